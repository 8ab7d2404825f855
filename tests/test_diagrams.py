"""Diagrams are drawn from traces only; tests look at the artists, not the pixels."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import sim  # noqa: E402
from sim import Trace  # noqa: E402
from sim.analysis.diagram import save_diagram, timing_diagram  # noqa: E402
from sim.analysis.diagram_other import checkpoint_chart, cl_diagram, gate_diagram  # noqa: E402

from .conftest import SCENARIOS  # noqa: E402


@pytest.fixture(scope="module")
def crash_run():
    return sim.run(SCENARIOS / "hello_world_crash.yaml")


def test_lanes_for_every_subtask_jobmanager_topics_and_readers(crash_run):
    fig, ax = plt.subplots()
    timing_diagram(crash_run.trace, ax=ax)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    tasks = [t["name"] for t in crash_run.trace.first("run_start")["tasks"]]
    assert labels == ["JobManager", "Kafka flink_kafka", *tasks, "Kafka flink_kafka2", "reader committed", "reader dirty"]
    plt.close(fig)


def test_one_barrier_arrow_per_channel_per_checkpoint(crash_run):
    drawn = timing_diagram(crash_run.trace)
    sends = crash_run.trace.of("barrier_send")
    channels = {(e["channel"], e["checkpoint"]) for e in sends}
    assert len(drawn["barriers"]) == len(sends) == len(channels)
    plt.close("all")


def test_crash_marker_at_the_crash_time_and_downtime_shaded(crash_run):
    drawn = timing_diagram(crash_run.trace)
    crash = crash_run.trace.first("task_crash")
    (marker,) = drawn["crashes"]
    assert list(marker.get_xdata()) == [crash["t"]]
    assert len(drawn["downtime"]) == 1 and len(drawn["restores"]) == len(crash_run.trace.of("state_restore"))
    plt.close("all")


def test_replayed_records_are_drawn_differently(crash_run):
    drawn = timing_diagram(crash_run.trace)
    colors = {a.arrow_patch.get_edgecolor()[:3] for a in drawn["records"]}
    assert len(colors) == 2                      # ordinary and replayed
    plt.close("all")


def test_snapshots_transactions_checkpoints_and_reads_are_drawn(crash_run):
    drawn = timing_diagram(crash_run.trace)
    trace = crash_run.trace
    assert len(drawn["checkpoints"]) == len(trace.of("checkpoint_complete"))
    assert len(drawn["snapshots"]) >= 2 * len(trace.of("snapshot_sync_start"))
    assert len(drawn["reads"]) == len([e for e in trace.of("consumer_read") if not e["consumer"].startswith("_")])
    assert drawn["transactions"]
    plt.close("all")


def test_a_saved_trace_draws_the_same_picture(crash_run, tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(crash_run.trace.dumps())
    live = {k: len(v) for k, v in timing_diagram(crash_run.trace).items()}
    again = {k: len(v) for k, v in timing_diagram(Trace.read(path)).items()}
    assert live == again
    plt.close("all")


def test_large_runs_are_aggregated_and_windows_cut():
    run = sim.run(SCENARIOS / "recovery" / "wordcount_crash_on_record.yaml")
    drawn = timing_diagram(run.trace)
    assert drawn["density"] and not drawn["records"] and drawn["barriers"]
    window = timing_diagram(run.trace, window=(150.0, 260.0))
    assert len(window["barriers"]) < len(drawn["barriers"])
    plt.close("all")


def test_alignment_spans_and_persisted_buffers():
    run = sim.run(SCENARIOS / "recovery" / "shuffle_crash_exactly_once.yaml")
    drawn = timing_diagram(run.trace)
    assert drawn["alignment"]
    unaligned = sim.run(SCENARIOS / "recovery" / "unaligned_inflight_restore.yaml")
    assert unaligned.trace.of("inflight_restore")             # in-flight data really came back
    assert timing_diagram(unaligned.trace)["persisted"]
    plt.close("all")


def test_gate_diagram():
    run = sim.run(SCENARIOS / "gates" / "three_inputs_buffered.yaml")
    drawn = gate_diagram(run.trace)
    assert len(drawn["lanes"]) == 3 and len(drawn["barriers"]) == 3 and len(drawn["data"]) == 6
    assert len(drawn["triggers"]) == 1 and len(drawn["order"]) == 6 and len(drawn["blocked"]) == 2
    plt.close("all")


def test_checkpoint_chart():
    run = sim.run(SCENARIOS / "recovery" / "expired_checkpoint.yaml")
    drawn = checkpoint_chart(run.trace)
    n = len(run.report["checkpoints"])
    assert len(drawn["end_to_end"]) == n and len(drawn["failed"]) == 1
    plt.close("all")


def test_chandy_lamport_diagram_draws_each_cut_and_the_channel_state():
    run = sim.run(SCENARIOS / "chandy_lamport" / "concurrent_snapshots.yaml")
    drawn = cl_diagram(run.trace)
    assert len(drawn["cuts"]) == 2 and len(drawn["records"]) == 4
    assert len(drawn["channel_state"]) == 1          # the token caught for snapshot 1
    plt.close("all")


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_save_diagram_writes_files(crash_run, tmp_path, suffix):
    out = tmp_path / f"d{suffix}"
    save_diagram(crash_run.trace, out)
    assert out.stat().st_size > 10_000


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
