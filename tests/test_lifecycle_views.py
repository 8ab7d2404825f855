"""The timing diagram draws the lifecycle, the stalled read_committed readers and discarded commits.

Expected positions are worked out from the scenarios' YAML and the rules (docs/rules.md: Kafka; docs/lifecycle.md), not
read from the drawing code.
"""
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

from sim.analysis.views.timing import timing_diagram  # noqa: E402
from sim.api import load_scenario, run  # noqa: E402

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@pytest.fixture(scope="module")
def prefix_run():
    return run(load_scenario(SCENARIOS / "lifecycle/changed_prefix_stalls_reader.yaml"))


@pytest.fixture(scope="module")
def rescale_run():
    return run(load_scenario(SCENARIOS / "lifecycle/stop_and_rescale.yaml"))


def _draw(trace, **kw):
    drawn = timing_diagram(trace, **kw)         # at its own size: the labels are placed as in a notebook
    ax = drawn["lanes"][0].axes
    fig = ax.figure
    fig.canvas.draw()                           # places the labels
    return fig, ax, drawn


def _x_extent(artist) -> tuple[float, float]:
    xs = [x for path in artist.get_paths() for x, _ in path.vertices]
    return min(xs), max(xs)


def _y_extent(artist) -> tuple[float, float]:
    ys = [y for path in artist.get_paths() for _, y in path.vertices]
    return min(ys), max(ys)


def _visible(drawn) -> list[str]:
    """The labels shown, each on one line (a label may be written on two where one does not fit)."""
    return [t.get_text().replace("\n", " ") for t in drawn["labels"] if t.get_visible()]


def test_the_stall_span_is_the_lso_hold_worked_out_from_the_scenario(prefix_run):
    # T1 (wordcount-0-2) holds counts-0 from its first write (hello:::1, the first append of the
    # run: nothing was written before it) -- the LSO rule: a read_committed reader reads up to the
    # first offset of the oldest open transaction. Nobody ends T1 (cancelled; the new prefix never
    # probes wordcount-0-*), so the broker's scan aborts it: scans every 1 s, timeout 10 s, first
    # write at ~1.2 s -> at 11 s it is 9.8 s old (kept), at 12 s 10.8 s old: aborted at 12 000 ms.
    trace = prefix_run.trace
    first_write = next(e["t"] for e in trace.events if e["kind"] == "kafka_append")
    assert 1200 <= first_write < 1210
    fig, ax, drawn = _draw(trace)
    [span] = drawn["stalls"]
    # the diagram runs past 5 s, so its x axis is in seconds
    assert _x_extent(span) == pytest.approx((first_write / 1000, 12.0))
    lanes = dict(zip([t.get_text() for t in ax.get_yticklabels()], ax.get_yticks()))
    lo, hi = _y_extent(span)
    assert lo < lanes["reader committed"] < hi                 # on the held-back reader's own lane
    assert [s for s in _visible(drawn) if s.startswith("stalled")] == \
        ["stalled: T1 (wordcount-0-2) holds counts-0, 1 record(s) waiting"]   # world:::1 waited behind it
    assert "reader stalled: last stable offset held" in \
        [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(fig)


def test_a_window_clips_the_stall_to_it(prefix_run):
    # the hold lasts 1.2 s .. 12 s; a 5-8 s window (3 s wide: in ms) shows it over the whole window
    fig, _, drawn = _draw(prefix_run.trace, window=(5000.0, 8000.0))
    [span] = drawn["stalls"]
    assert _x_extent(span) == pytest.approx((5000.0, 8000.0))
    # the cancel (1.5 s) and the submission (2 s) lie before the window: no marks, no idle span
    assert "lifecycle" not in drawn and "idle" not in drawn
    plt.close(fig)


def test_cancel_and_submit_are_marked_on_the_job_manager_lane(prefix_run):
    # YAML: cancel at 1500 ms, submit at 2000 ms from none with the default parallelism 1
    fig, ax, drawn = _draw(prefix_run.trace)
    marks = {m.get_gid().split("-")[1]: m.get_xdata()[0] for m in drawn["lifecycle"]}
    assert marks == {"cancel": 1.5, "submit": 2.0}
    assert {"cancel", "submit from no state, p=1"} <= set(_visible(drawn))
    # no job runs between them: JobManager and the two task lanes are shaded 1.5 .. 2 s
    assert [_x_extent(band) for band in drawn["idle"]] == [(1.5, 2.0)] * 3
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"job cancelled", "job submitted", "no job running"} <= set(legend)
    plt.close(fig)


def test_stop_savepoints_and_rescaled_submissions_are_marked(rescale_run):
    # YAML: stop with savepoint before-scale-up at 2500 ms, submit from it with parallelism 4 at
    # 3000 ms; stop with before-scale-down at 5500 ms, submit from it with parallelism 1 at 6000 ms.
    # Each stop's savepoint completes (and the job finishes) a few ms after its request.
    fig, ax, drawn = _draw(rescale_run.trace)
    by_kind: dict[str, list] = {}
    for m in drawn["lifecycle"]:
        by_kind.setdefault(m.get_gid().split("-")[1], []).append(m.get_xdata()[0])
    assert by_kind["submit"] == [3.0, 6.0]
    for kind in ("savepoint", "finished"):
        assert [round(x, 1) for x in by_kind[kind]] == [2.5, 5.5]
    # the stop request is the savepoint's checkpoint trigger; the finished box says when it came
    titles = [m.snapsim_title for m in drawn["lifecycle"] if m.get_gid().startswith("lifecycle-finished")]
    assert [t.split(":")[0] for t in titles] == ["stop-with-savepoint requested at 2500.0 ms",
                                                 "stop-with-savepoint requested at 5500.0 ms"]
    assert {"savepoint before-scale-up", "savepoint before-scale-down", "submit from before-scale-up, p=4",
            "submit from before-scale-down, p=1"} <= set(_visible(drawn))
    assert "stalls" not in drawn                     # every transaction committed: nobody was held back
    plt.close(fig)


def test_kafka_sink_marks_its_discarded_commit_and_the_legacy_sink_does_not():
    # checkpoint 1 triggers at 8 s (initial_delay 8s) and completes a few ms later; its commit of
    # the timed-out T1 is refused. KafkaSink discards it (marked); FlinkKafkaProducer fails over.
    kafka_sink = run(load_scenario(SCENARIOS / "connectors/kafka_sink_discards_commit.yaml")).trace
    legacy = run(load_scenario(SCENARIOS / "transactions/checkpoints_wider_than_timeout.yaml")).trace
    fig, ax, drawn = _draw(kafka_sink)
    [mark] = [m for m in drawn["txn_marks"] if m.get_gid().startswith("txn-discarded")]
    assert 8.0 < mark.get_xdata()[0] < 8.01
    assert "discarded, no failover" in _visible(drawn)
    plt.close(fig)
    fig, ax, drawn = _draw(legacy)
    assert not [m for m in drawn["txn_marks"] if m.get_gid().startswith("txn-discarded")]
    assert drawn["crashes"]                           # the refused commit failed the job over instead
    plt.close(fig)


def test_the_two_sinks_are_drawn_on_one_time_axis(tmp_path):
    from sim.analysis.lso import lso_holds
    from sim.analysis.views.compare import save_compare
    traces = [run(load_scenario(SCENARIOS / s)).trace for s in
              ("transactions/checkpoints_wider_than_timeout.yaml", "connectors/kafka_sink_discards_commit.yaml")]
    drawn = save_compare(traces, tmp_path / "pair.png", ["legacy", "KafkaSink"])
    assert (tmp_path / "pair.png").stat().st_size > 5_000
    # both transactions T1 first write at ~0.1 s and hold counts-0's last stable offset until the
    # broker aborts them at 6 s (timeout 5 s, scans every 1 s); the job writes nothing else meanwhile,
    # so no record waits behind them: no reader is stalled, and none is drawn stalled
    holds = [lso_holds(t) for t in traces]
    assert [[h["waited"] for h in hs] for hs in holds] == [[0], [0]]
    assert all("nothing was written behind it, so no reader waited" in hs[0]["sentence"] for hs in holds)
    assert not [d for d in drawn if "stalls" in d]
    axes = [d["lanes"][0].axes for d in drawn]
    assert axes[0].get_xlim() == axes[1].get_xlim()


def test_a_read_committed_source_is_drawn_stalled_on_its_own_lanes():
    # tests/test_connectors.py's open input transaction: upstream-a writes at 100 ms and is never
    # ended; the broker aborts it at its 3000 ms scan (2900 ms old > 2 s). The held-back reader is the
    # job's source, so the span lies on the source's subtask lane, 100 ms .. 3000 ms (under 5 s: ms).
    from sim import load_text

    from .test_connectors import SOURCE_JOB
    text = SOURCE_JOB.format(source=", start_from: earliest, isolation: read_committed", input="""\
  - transaction: {topic: in, transactional_id: upstream-a, timeout: 2s, records: [{at: 100, value: a}]}
  - transaction: {topic: in, transactional_id: upstream-b, commit: 300ms, records: [{at: 200, value: b}]}""")
    fig, ax, drawn = _draw(run(load_text(text)).trace)
    [span] = drawn["stalls"]
    assert _x_extent(span) == pytest.approx((100.0, 3000.0))
    lanes = dict(zip([t.get_text() for t in ax.get_yticklabels()], ax.get_yticks()))
    source_lanes = [y for name, y in lanes.items() if name.startswith("source")]
    lo, hi = _y_extent(span)
    assert len(source_lanes) == 1 and lo < source_lanes[0] < hi
    assert "stalled: T0 (upstream-a) holds in-0, 1 record(s) waiting" in _visible(drawn)
    plt.close(fig)


def test_a_rescaled_run_draws_every_submissions_subtasks(rescale_run):
    # YAML: parallelism 2, then resubmitted at 4 (3000 ms), then at 1 (6000 ms). The lanes are the
    # chains source->split and count->format->sink (run_start names them); the second submission
    # adds subtasks [2] and [3] of both. Each new subtask sits after the last of
    # its operator, so the lanes read source->split[0..3], then count->format->sink[0..3].
    fig, ax, drawn = _draw(rescale_run.trace)
    tasks = [name for name in ax.snapsim_lanes if "[" in name]
    assert tasks == [f"source->split[{i}]" for i in range(4)] + [f"count->format->sink[{i}]" for i in range(4)]
    # what the second submission's new subtasks did is drawn on their lanes: sink[2]'s first transaction
    # (begun after 3000 ms) and its snapshot in checkpoint 4 (triggered at 4000 ms: 3000 + initial_delay 1s)
    y = dict(zip(ax.snapsim_lanes, ax.get_yticks()))
    assert any(abs(m.get_ydata()[0] - y["count->format->sink[2]"]) < 1e-9 and 4.0 <= m.get_xdata()[0] < 4.01
               for m in drawn["snapshots"] if m.get_gid().startswith("snapshot-dot-4-"))
    # a subtask the running submission lacks is shaded: [2], [3] in the first run (0 .. job finished at
    # ~2.5 s), [1], [2], [3] in the third (6 s .. the run's end); the second (p=4) has them all
    bands = {(b.get_gid().split("-", 1)[1].rsplit("-", 1)[0], round(_x_extent(b)[0], 1)) for b in drawn["undeployed"]}
    assert bands == {(f"{op}[{i}]", 0.0) for op in ("source->split", "count->format->sink") for i in (2, 3)} | \
        {(f"{op}[{i}]", 6.0) for op in ("source->split", "count->format->sink") for i in (1, 2, 3)}
    assert "no such subtask (another parallelism)" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(fig)


def test_the_report_hover_map_names_the_rescaled_subtasks(rescale_run):
    from sim.analysis.views.svgmap import lane_of, timing_svg

    _, geo = timing_svg(rescale_run.trace)
    names = [lane["name"] for lane in geo["lanes"]]
    assert {"count->format->sink[3]", "source->split[3]"} <= set(names)
    # an event of a subtask only the second submission had finds its lane
    e = next(e for e in rescale_run.trace.events if e.get("task") == "count->format->sink[3]")
    assert lane_of(e, set(names)) == "count->format->sink[3]"


@pytest.mark.parametrize("style", ["notebook", "slide"])
@pytest.mark.parametrize("scenario", ["changed_prefix_stalls_reader.yaml", "stop_and_rescale.yaml"])
def test_no_label_covers_a_checkpoint_trigger(scenario, style):
    # the submission's label ("submit from ...") used to be written over the next checkpoint's star;
    # labels may cross a line, never a trigger mark
    trace = run(load_scenario(SCENARIOS / "lifecycle" / scenario)).trace
    drawn = timing_diagram(trace, style=style)
    ax = drawn["lanes"][0].axes
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    covered = []
    for star in drawn["triggers"]:
        x, y = ax.transData.transform((star.get_xdata()[0], star.get_ydata()[0]))
        half = star.get_markersize() * fig.dpi / 72 / 2
        covered += [(t.get_text(), star.get_gid()) for t in drawn["labels"] if t.get_visible() and
                    t.get_window_extent(renderer).overlaps(Bbox([[x - half, y - half], [x + half, y + half]]))]
    assert covered == []
    submits = [t for t in drawn["labels"] if t.get_visible() and t.get_text().replace("\n", " ").startswith("submit")]
    assert submits or style == "slide"              # on a slide the label may be cut to "p=4"
    plt.close(fig)
