"""Pictures are drawn from traces only; tests look at the artists (exact, small), not at pixels."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import sim  # noqa: E402
from sim import Trace  # noqa: E402
from sim.analysis.views import VIEWS, save  # noqa: E402
from sim.analysis.views.chandy_lamport import cl_diagram  # noqa: E402
from sim.analysis.views.checkpoints import checkpoint_chart  # noqa: E402
from sim.analysis.views.gate import gate_diagram  # noqa: E402
from sim.analysis.views.style import CRASH, REPLAY, STYLES, TXN_COLORS, clean_id, cp_color  # noqa: E402
from sim.analysis.views.timing import timing_diagram  # noqa: E402

from .conftest import SCENARIOS  # noqa: E402


@pytest.fixture(scope="module")
def crash_run():
    return sim.run(SCENARIOS / "hello_world_crash.yaml")


@pytest.fixture(scope="module")
def timeout_run():
    return sim.run(SCENARIOS / "transactions" / "crash_before_notify_timed_out.yaml")


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _drawn(drawn):
    """Draw the figure (labels are placed at draw time) and return it."""
    fig = drawn["lanes"][0].figure
    fig.canvas.draw()
    return fig


def test_lanes_for_every_subtask_jobmanager_topics_and_readers(crash_run):
    fig, ax = plt.subplots()
    timing_diagram(crash_run.trace, ax=ax)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    tasks = [t["name"] for t in crash_run.trace.first("run_start")["tasks"]]
    assert labels == ["JobManager", "Kafka flink_kafka", *tasks, "Kafka flink_kafka2", "reader committed", "reader dirty"]


def test_chained_task_names_are_one_lane_each():
    events = [{"t": 0.0, "kind": "run_start", "scenario": "x", "tasks": [
        {"name": "source->split[0]", "operators": ["source", "split"], "subtask": 0, "parallelism": 1},
        {"name": "count[0]", "operators": ["count"], "subtask": 0, "parallelism": 1}], "topics": {"input": [], "output": []}},
        {"t": 1.0, "kind": "barrier_send", "task": "source->split[0]", "to": "count[0]", "checkpoint": 1,
         "channel": "source->split[0]->count[0]", "unaligned": False, "arrive": 2.0}]
    drawn = timing_diagram(Trace.from_events(events))
    assert [t.get_text() for t in drawn["lanes"][0].axes.get_yticklabels()] == ["JobManager", "source->split[0]",
                                                                                 "count[0]"]
    assert len(drawn["barriers"]) == 1


def test_one_barrier_arrow_per_channel_per_checkpoint(crash_run):
    drawn = timing_diagram(crash_run.trace)
    sends = crash_run.trace.of("barrier_send")
    assert len(drawn["barriers"]) == len(sends) == len({(e["channel"], e["checkpoint"]) for e in sends})


def test_crash_marker_at_the_crash_time_and_downtime_shaded(crash_run):
    drawn = timing_diagram(crash_run.trace)
    crash = crash_run.trace.first("task_crash")
    (marker,) = drawn["crashes"]
    assert list(marker.get_xdata()) == [crash["t"]]
    # one ▶ per restarted task: those with a state_restore event, and the source, which the trace gives
    # none for but which restarts from the offsets of the restored checkpoint (4 + source[0] = 5)
    restarted = crash_run.trace.first("job_failing")["restarted"]
    assert len(crash_run.trace.of("state_restore")) == len(restarted) - 1
    assert len(drawn["restores"]) == len(restarted) == 5
    # one shaded band per restarted task's lane, from the failover to the restart
    restart = crash_run.trace.first("job_restart")["t"]
    assert len(drawn["downtime"]) == len(restarted)
    for band in drawn["downtime"]:
        xs = band.get_paths()[0].vertices[:, 0]
        assert (min(xs), max(xs)) == (crash["t"], restart)


def test_replayed_records_are_drawn_differently(crash_run):
    drawn = timing_diagram(crash_run.trace)
    colors = {matplotlib.colors.to_hex(a.get_edgecolor()) for a in drawn["records"]}
    assert colors == {"#9a9a9a", REPLAY.lower()}                # ordinary and replayed


def _bar_phases(bar) -> list[str]:
    names = {matplotlib.colors.to_hex(v): k for k, v in TXN_COLORS.items()}
    return [names[matplotlib.colors.to_hex(c)] for c in bar.get_facecolors()]


def test_transaction_bars_change_colour_with_the_phase(crash_run):
    drawn = timing_diagram(crash_run.trace)
    bars = {a.get_gid(): a for a in drawn["transactions"]}
    # T1 (sink[0]#1): open from 0, pre-committed at checkpoint 1's barrier (154 ms), committed at 155.1 ms
    assert _bar_phases(bars["txn-sink[0]#1"]) == ["open", "precommitted"]
    # T2 was open when split crashed; it stays open (not red) until the restore aborts it
    assert _bar_phases(bars["txn-sink[0]#2"]) == ["open"]
    marks = {a.get_gid() for a in drawn["txn_marks"]}
    assert {"txn-committed-sink[0]#1", "txn-sink_abort-sink[0]#2"} <= marks


def test_broker_timeout_and_discarded_commit_are_drawn(timeout_run):
    drawn = timing_diagram(timeout_run.trace)
    t1 = next(a for a in drawn["transactions"] if a.get_gid() == "txn-sink[0]#1")
    # pre-committed at 254 ms, aborted by the broker's scan at 3000 ms, commit discarded at 5280 ms
    assert _bar_phases(t1) == ["open", "precommitted", "aborted"]
    marks = {a.get_gid(): list(a.get_xdata()) for a in drawn["txn_marks"]}
    assert marks["txn-timeout-sink[0]#1"] == [3.0]                 # seconds: the run is 5.6 s long
    assert marks["txn-discarded-sink[0]#1"] == [5.28]
    legend = [t.get_text() for t in drawn["lanes"][0].axes.get_legend().get_texts()]
    assert "txn broker aborts: timed out" in legend and "txn commit discarded (data lost)" in legend


def test_acks_and_completion_notices_are_drawn(timeout_run):
    drawn = timing_diagram(timeout_run.trace)
    trace = timeout_run.trace
    acked = sum(len(a.get_xdata()) for a in drawn["acks"])
    noticed = sum(len(a.get_xdata()) for a in drawn["notices"])
    # two chained tasks (source->split, count->format->sink) ack checkpoints 1 and 2: 4 acks; the sink
    # crashed before checkpoint 1's notice, so only checkpoint 2's notice reaches both tasks: 2 notices
    assert acked == len(trace.of("checkpoint_ack")) == 4 and noticed == len(trace.of("checkpoint_notify")) == 2


def test_every_glyph_is_in_the_legend(crash_run):
    drawn = timing_diagram(crash_run.trace)
    legend = {t.get_text() for t in drawn["lanes"][0].axes.get_legend().get_texts()}
    needed = {"record", "replayed record", "barrier 1", "barrier 2", "checkpoint triggered",
              "checkpoint completed",
              "ack (task -> JobManager)", "completion notice (JM -> task)", "snapshot (state copied)",
              "crash", "state restored", "task down (failover)", "txn open", "txn commit",
              "txn aborted by the sink", "read (read_committed)", "read (read_uncommitted)"}
    assert needed <= legend
    # and nothing that is not drawn: every barrier reached each task at one instant (no band, a tick),
    # and the uploads and pre-commits of this run last under 0.3 % of the picture's width (invisible)
    assert not legend & {"alignment: input blocked", "snapshot upload (async)", "txn pre-committed"}
    assert "aligned at once" in legend


def test_labels_never_overprint_labels_nor_marks(crash_run):
    """No two visible labels overlap, and none covers the centre of a crash, restore, trigger or txn mark."""
    for style in STYLES:
        drawn = timing_diagram(crash_run.trace, style=style)
        fig = _drawn(drawn)
        renderer = fig.canvas.get_renderer()
        boxes = [t.get_window_extent(renderer) for t in drawn["labels"] if t.get_visible()]
        assert len(boxes) > 20
        assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if a.overlaps(b)]
        points = [p for cat in ("crashes", "restores", "triggers", "txn_marks") for m in drawn[cat]
                  for p in m.get_transform().transform(m.get_xydata())]
        assert points and not [(b, p) for b in boxes for p in points if b.contains(*p)]


def test_slide_style_has_larger_text(crash_run):
    small = timing_diagram(crash_run.trace, style="notebook")
    big = timing_diagram(crash_run.trace, style="slide")
    assert min(t.get_fontsize() for t in big["labels"]) >= 14 > min(t.get_fontsize() for t in small["labels"]) >= 9
    with pytest.raises(ValueError, match="slide"):
        timing_diagram(crash_run.trace, style="poster")


def test_a_saved_trace_draws_the_same_picture(crash_run, tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(crash_run.trace.dumps())
    live = {k: len(v) for k, v in timing_diagram(crash_run.trace).items()}
    again = {k: len(v) for k, v in timing_diagram(Trace.read(path)).items()}
    assert live == again


def test_large_runs_are_aggregated_and_windows_cut():
    run = sim.run(SCENARIOS / "recovery" / "wordcount_crash_on_record.yaml")
    drawn = timing_diagram(run.trace)
    assert drawn["density"] and not drawn.get("records") and drawn["barriers"]
    assert len(drawn["density_scale"]) == len(drawn["density"])     # every band states its scale
    sends = run.trace.of("barrier_send")
    assert sum(len(c.get_segments()) for c in drawn["barriers"]) == len(sends)   # one collection per checkpoint
    window = timing_diagram(run.trace, window=(150.0, 260.0))
    assert len(window["barriers"]) == len([e for e in sends if 150.0 <= e["t"] <= 260.0]) < len(sends)


def test_control_traces_aggregate_too_and_summary_traces_keep_barriers():
    run = sim.run(SCENARIOS / "recovery" / "wordcount_crash_on_record.yaml", trace_level="control")
    drawn = timing_diagram(run.trace)
    assert drawn["density"] and not drawn.get("records") and not drawn.get("reads") and len(drawn["labels"]) < 40
    summary = sim.run(SCENARIOS / "recovery" / "wordcount_crash_on_record.yaml", trace_level="summary")
    drawn = timing_diagram(summary.trace)
    assert drawn["barriers"] and drawn["checkpoints"] and drawn["transactions"]


def test_a_window_keeps_what_began_before_it(timeout_run):
    # T2 (sink[0]#2) opens at 254 ms and is aborted at 5280 ms: a window 1-2 s shows it, clipped
    drawn = timing_diagram(timeout_run.trace, window=(1000.0, 2000.0))
    bars = {a.get_gid(): a for a in drawn["transactions"]}
    assert _bar_phases(bars["txn-sink[0]#2"]) == ["open"] and _bar_phases(bars["txn-sink[0]#1"]) == ["precommitted"]
    (x0, x1) = bars["txn-sink[0]#2"].get_paths()[0].get_extents().intervalx
    assert (round(x0, 6), round(x1, 6)) == (1000.0, 2000.0)        # clipped to the window
    assert drawn["downtime"]                                       # the job went down at 280 ms


def test_a_zoom_draws_the_whole_run_and_a_window_of_it_outlined(timeout_run, tmp_path):
    from sim.analysis.views.compare import save_zoom
    whole, zoom = save_zoom(timeout_run.trace, tmp_path / "z.png", (230.0, 310.0), ["all", "close-up"])
    assert (tmp_path / "z.png").stat().st_size > 5_000
    top, bottom = whole["lanes"][0].axes, zoom["lanes"][0].axes
    # the run lasts past 5 s (restart 5 s after the 280 ms crash): its axis is in seconds; the window's in ms
    assert bottom.get_xlim() == (230.0, 310.0) and top.get_xlim()[1] > 5.28
    # the YAML's crash at 280 ms is in the close-up, and the outline on the whole run spans 0.23-0.31 s
    assert [m.get_xdata()[0] for m in zoom["crashes"]] == [280.0]
    [frame] = [p for p in top.patches if p.get_linestyle() == "--" and p.get_facecolor()[3] == 0]
    assert [round(x, 2) for x in (frame.get_x(), frame.get_x() + frame.get_width())] == [0.23, 0.31]


def test_records_held_in_a_blocked_channel_are_drawn_as_held():
    run = sim.run(SCENARIOS / "recovery" / "shuffle_crash_exactly_once.yaml")
    drawn = timing_diagram(run.trace, window=(950.0, 1300.0))
    (held,) = drawn["held"]
    block = run.trace.first("channel_block", checkpoint=1, task="count[0]")
    unblock = next(e for e in run.trace.of("channel_unblock") if e["t"] > block["t"] and e["task"] == "count[0]")
    assert held.get_xdata()[-1] == unblock["t"]


def test_no_aligned_labels_in_unaligned_runs_and_persisted_marks_above_barriers():
    run = sim.run(SCENARIOS / "recovery" / "unaligned_inflight_restore.yaml")
    drawn = timing_diagram(run.trace, window=(95.0, 112.0))
    fig = _drawn(drawn)
    assert not [t for t in drawn["labels"] if "align" in t.get_text()]
    assert drawn["persisted"] and all(p.get_zorder() > b.get_zorder() for p in drawn["persisted"]
                                      for b in drawn["barriers"])
    assert fig
    restored = timing_diagram(run.trace)["inflight"]            # persisted buffers put back after the restart
    assert len(restored) == len(run.trace.of("inflight_restore")) > 0


def test_records_an_unaligned_barrier_overtook_cross_its_arrow():
    from matplotlib.patches import FancyArrowPatch
    run = sim.run(SCENARIOS / "recovery" / "unaligned_inflight_restore.yaml")
    drawn = timing_diagram(run.trace, window=(95.0, 112.0))
    arrows = [a for a in drawn["overtaken"] if isinstance(a, FancyArrowPatch)]
    # an unaligned barrier jumps the buffers queued in its channel, which are persisted: one arrow
    # per persisted record (the checkpoint-1 persistings all fall inside the window)
    persisted = [e for e in run.trace.of("buffer_persisted") if e["checkpoint"] == 1]
    assert 95 <= min(e["t"] for e in persisted) and max(e["t"] for e in persisted) <= 112
    assert len(arrows) == sum(e["n"] for e in persisted) > 0
    sent = {e["channel"]: e["t"] for e in run.trace.of("barrier_send") if e["checkpoint"] == 1}
    taken = {e["channel"]: e["t"] for e in run.trace.of("barrier_receive") if e["checkpoint"] == 1}
    for arrow in arrows:
        channel = next(ch for ch in sent if ch in arrow.get_gid())
        (x_sent, _), (x_taken, _) = arrow._posA_posB
        # FIFO channel: sent before the barrier; overtaken: processed after the barrier was taken
        assert x_sent <= sent[channel] and x_taken >= taken[channel]


def test_okabe_ito_checkpoint_colours_differ_from_crash_and_restore():
    assert len({cp_color(i) for i in range(1, 7)}) == 6
    assert CRASH not in {cp_color(i) for i in range(1, 7)} and cp_color(3) != "#009E73"


def test_gate_diagram_shows_queues_order_blocked_and_stored_items():
    run = sim.run(SCENARIOS / "gates" / "three_inputs_buffered.yaml")
    drawn = gate_diagram(run.trace)
    # 9 items: 6 data buffers, 3 barriers; the handler processed the 6 data buffers in order #1..#6
    assert len(drawn["lanes"]) == 4 and len(drawn["data"]) == 6 and len(drawn["arrivals"]) == 9
    assert len(drawn["order"]) == 6 and len(drawn["triggers"]) == 1 and len(drawn["blocked"]) == 2
    # channels 1 and 2 are blocked from their barriers (t=2, t=3) to channel 0's (t=7): items 4 and 5
    # arrive on them meanwhile and are stored (buffer mode), then processed after the snapshot as #4, #5
    assert len(drawn["stored"]) == 2


def test_gate_diagram_items_that_arrive_together_do_not_overprint():
    run = sim.run(SCENARIOS / "gates" / "unaligned_overtaking.yaml")
    drawn = gate_diagram(run.trace)
    xs = [a.get_xdata()[0] for a in drawn["arrivals"]]
    assert len(set(xs)) == len(xs)                          # four items arrive at t=0, side by side
    assert len(drawn["persisted"]) == 3                     # items 1, 2 and 4 are channel state


def test_checkpoint_chart_axes_start_at_zero_and_the_legend_sits_below():
    run = sim.run(SCENARIOS / "recovery" / "expired_checkpoint.yaml")
    drawn = checkpoint_chart(run.trace)
    n = len(run.report["checkpoints"])
    ax = drawn["end_to_end"][0].axes
    assert len(drawn["end_to_end"]) + len(drawn["failed"]) >= n and len(drawn["failed"]) == 1
    assert ax.get_ylim()[0] == 0 and drawn["size"][0].axes.get_ylim()[0] == 0
    fig = ax.figure
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert legend.y1 < ax.get_window_extent().y0


def test_chandy_lamport_diagram_shows_the_whole_run_and_channel_state_on_top():
    run = sim.run(SCENARIOS / "chandy_lamport" / "concurrent_snapshots.yaml")
    drawn = cl_diagram(run.trace)
    assert len(drawn["cuts"]) == 2 and len(drawn["records"]) == 4
    (state,) = drawn["channel_state"]                   # the token caught for snapshot 1
    assert state.get_zorder() > max(c.get_zorder() for c in drawn["cuts"])
    last_marker = max(e["arrive"] for e in run.trace.of("cl_marker_send"))
    assert drawn["lanes"][0].axes.get_xlim()[1] > last_marker == 2.0


@pytest.mark.parametrize("name", ["ring", "concurrent_snapshots"])
@pytest.mark.parametrize("dpi", [100, 150])
def test_chandy_lamport_labels_stay_off_the_cut_lines(name, dpi):
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(layout="constrained", dpi=dpi)
    fig.snapsim_fit = True                           # sized as `snapsim figures` sizes it
    drawn = cl_diagram(sim.run(SCENARIOS / "chandy_lamport" / f"{name}.yaml").trace, ax=fig.add_subplot())
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    boxes = [t.get_window_extent(canvas.get_renderer()) for t in drawn["labels"] if t.get_visible()]
    assert boxes
    for cut in drawn["cuts"]:                        # each segment of the cut, sampled, as thick as it is painted
        pts = cut.get_transform().transform(cut.get_xydata())
        half = cut.get_linewidth() / 2 * dpi / 72
        for (x0, y0), (x1, y1) in zip(pts[:-1], pts[1:]):
            for k in np.linspace(0, 1, 300):
                point = (x0 + (x1 - x0) * k, y0 + (y1 - y0) * k)
                assert not [b for b in boxes if b.padded(half).contains(*point)], f"a label lies on {cut.get_gid()}"


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_save_writes_files(crash_run, tmp_path, suffix):
    out = tmp_path / f"d{suffix}"
    save(crash_run.trace, out)
    assert out.stat().st_size > 10_000


def test_svg_elements_have_titles_and_clean_ids(crash_run, tmp_path):
    import xml.etree.ElementTree as ET

    out = tmp_path / "d.svg"
    save(crash_run.trace, out)
    root = ET.parse(out).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    titled = {g.get("id"): g.find(f"{ns}title").text for g in root.iter(f"{ns}g") if g.find(f"{ns}title") is not None}
    crash = crash_run.trace.first("task_crash")
    assert titled[clean_id("crash", crash["task"], crash["t"])] == f"split[0] crashed: {crash['reason']}"
    assert titled["barrier-1-source-0-split-0"].startswith("barrier 1: source[0] -> split[0]")
    assert len(titled) > 50 and all(i.replace("-", "").isalnum() for i in titled)
    save(crash_run.trace, tmp_path / "again.svg")
    assert (tmp_path / "again.svg").read_bytes() == out.read_bytes()


def test_the_library_never_switches_the_backend(crash_run, tmp_path):
    before = matplotlib.get_backend()
    save(crash_run.trace, tmp_path / "d.png", style="slide")
    assert matplotlib.get_backend() == before and not plt.get_fignums()


def test_views_registry_and_bad_kinds(crash_run, tmp_path):
    assert set(VIEWS) >= {"timing", "gate", "chandy_lamport", "checkpoints"}
    with pytest.raises(ValueError, match="unknown picture kind"):
        save(crash_run.trace, tmp_path / "x.png", kind="pie")


def test_figures_are_regenerated_by_one_command(tmp_path):
    from sim.figures import FIGURES, make_figures
    written = make_figures(SCENARIOS, tmp_path)
    assert [p.name for p in written] == [f[1] for f in FIGURES]
    assert all(p.stat().st_size > 5_000 for p in written)
    committed = SCENARIOS.parent / "figures"
    assert {p.name for p in written} <= {p.name for p in committed.iterdir()}
    # the committed figures are what the code draws today, byte for byte (run `snapsim figures`)
    stale = [p.name for p in written if p.read_bytes() != (committed / p.name).read_bytes()]
    assert stale == [], f"figures/ is stale: {stale}; regenerate with `snapsim figures`"


def test_every_state_and_read_label_of_the_slide_picture_is_visible(crash_run):
    """The README's picture (slide style): snapshot 2's states sit right at the end of the run and the
    committed reader's values right at checkpoint 2; labels there go left of their mark, not away."""
    drawn = timing_diagram(crash_run.trace, style="slide")
    _drawn(drawn)
    shown = {t.get_text().replace("\n", " ") for t in drawn["labels"] if t.get_visible()}
    # checkpoint 2 (641 ms): the source stored offset 3 (three records read); count[0] holds hello=2,
    # count[1] world=1; each sink pre-committed its T3 and opened T4
    assert {"source{flink_kafka-0:3}", "count{hello:2} sink{pending:T3, open:T4}",
            "count{world:1} sink{pending:T3, open:T4}", "trigger 2"} <= shown
    # its completion at the right edge: "✓2 complete", or "✓2" where the long wording has no room by its rule
    assert shown & {"✓2 complete", "✓2"}
    # the committed reader sees T3's world:::1 and hello:::2 when checkpoint 2 completes; the replay
    # re-reads offsets 1 and 2 at one instant: one label each, in the order they happened
    assert {"world:::1, hello:::2", "p0@1,p0@2", "world,hello"} <= shown
    fig = drawn["lanes"][0].figure
    right = fig.bbox.x1
    assert all(t.get_window_extent().x1 <= right for t in drawn["labels"] if t.get_visible())


def test_a_label_with_no_room_right_of_its_mark_goes_left_of_it():
    from sim.analysis.views.labels import LabelLayer
    fig, ax = plt.subplots(figsize=(4, 2))
    ax.set_xlim(0, 10)
    ax.set_ylim(-1, 1)
    layer = LabelLayer(ax, 9)
    layer.avoid((9.5,), (None,), 2)                       # a rule just right of the anchor
    label = layer.add(9.0, 0.0, "a long label", ((2, 4),))
    fixed = layer.add(5.0, -0.5, "stays right", ((2, 4),), mirror=False)
    layer.avoid((5.0, 10.0), (-0.4, -0.4), 30, joined=True)   # a thick line along its row, right of it
    fig.canvas.draw()
    box = label.get_window_extent()
    anchor = ax.transData.transform((9.0, 0.0))[0]
    assert label.get_visible() and box.x1 <= anchor              # mirrored: it ends before its anchor
    assert not fixed.get_visible()                               # not allowed to: hidden


def test_snapshot_labels_say_none_for_no_transaction():
    from sim.analysis.describe import state_text
    # KafkaSink between checkpoints may hold no transaction: "open:none", not Python's None
    assert state_text({"sink": {"pending": [], "open": None}}) == "sink{pending:none, open:none}"


def test_snapshot_labels_are_compact_for_chains():
    from sim.analysis.describe import state_text
    state = {"count": {"hello": 1}, "format": None, "sink": {"pending": ["sink[0]#1"], "open": "sink[0]#2"}}
    # the sink's transactions sink[0]#1 and sink[0]#2 are the bars labelled T1 and T2 under its lane
    assert state_text(state) == "count{hello:1} sink{pending:T1, open:T2}"
    assert state_text({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}) == "{a:1, b:2, c:3, d:4…}"


def test_gate_barriers_of_an_unaligned_snapshot_are_dashed():
    # the handler is unaligned, so snapshot 1 is unaligned and both BAR(1, ch) items are its barriers:
    # two arrival bars, two take bars, all dashed (their queue lines too); the legend names them
    drawn = gate_diagram(sim.run(SCENARIOS / "gates" / "unaligned_overtaking.yaml").trace)
    assert len(drawn["barriers"]) == 4
    assert {m.get_linestyle() for m in drawn["barriers"] if len(m.get_xdata()) == 2} == {"--"}
    legend = {t.get_text() for t in drawn["lanes"][0].axes.get_legend().get_texts()}
    assert "unaligned barrier" in legend and "barrier" not in legend


def test_channel_state_is_bowed_off_the_other_snapshots_cut():
    # N1 -> N2 sent at N1's cut of snapshot 0 and received at N2's: drawn straight it would lie on that cut
    drawn = cl_diagram(sim.run(SCENARIOS / "chandy_lamport" / "concurrent_snapshots.yaml").trace)
    (state,) = drawn["channel_state"]
    assert state.get_connectionstyle().rad == -0.18
    assert all(getattr(m.get_connectionstyle(), "rad", 0) == 0 for m in drawn["messages"])


def test_a_barrier_queued_behind_records_is_drawn_until_the_snapshot():
    run = sim.run(SCENARIOS / "recovery" / "shuffle_crash_exactly_once.yaml")
    drawn = timing_diagram(run.trace, window=(950, 1300))
    # split[1] has one input: its barrier 1 arrives (barrier_send.arrive) and waits behind records
    # until split[1] takes it and snapshots (snapshot_sync_start); no other task waits that long
    arrive = min(e["arrive"] for e in run.trace.of("barrier_send") if e["to"] == "split[1]" and e["checkpoint"] == 1)
    snap = next(e["t"] for e in run.trace.of("snapshot_sync_start") if e["task"] == "split[1]" and e["checkpoint"] == 1)
    (line,) = drawn["waiting"]
    assert list(line.get_xdata()) == [arrive, snap] and snap - arrive > 100
