"""Rules that no test pinned before (each could be broken by a one-line change with the suite green).

Every expected value is worked out from the rule (docs/rules.md), in the comment next to it.
"""
from types import SimpleNamespace

import pytest
import simpy

import sim
from sim import load_text, run, simulate
from sim.kafka import KafkaCluster
from sim.runtime.kafka_sink import KafkaSink
from sim.runtime.sink import FlinkKafkaProducer
from sim.trace import Trace

from .conftest import HELLO, SCENARIOS
from .test_coordinator import stub


# --- docs/rules.md: the coordinator: the coordinator ----------------------------------------------------------------
def test_min_pause_above_zero_means_one_checkpoint_at_a_time():
    # max_concurrent 5 would allow five pending checkpoints; with min_pause > 0 Flink keeps one
    # (CheckpointRequestDecider): nobody acknowledges, so after checkpoint 1 no other is triggered
    env, job, coord, tasks = stub(interval=100.0, max_concurrent=5, min_pause=10.0)
    coord.start()
    env.run(until=1000)
    assert [e["checkpoint"] for e in job.trace.of("checkpoint_trigger")] == [1]
    env, job, coord, tasks = stub(interval=100.0, max_concurrent=5)
    coord.start()
    env.run(until=1000)
    assert len(job.trace.of("checkpoint_trigger")) == 5        # without min_pause: five pending


def test_a_declining_task_sends_cancellation_markers_downstream():
    # source->split declines checkpoint 1: instead of barrier 1 it sends a cancellation marker on
    # its one output channel, which count->format->sink's handler sees. A generic decline counts
    # against tolerable_failures (docs/rules.md: the coordinator): tolerate one, so no failover cancels the marker;
    # the first trigger is pinned (Flink's first delay is random).
    r = simulate(load_text(HELLO.replace("interval: 1s", "interval: 150ms, initial_delay: 150ms, "
                                         "tolerable_failures: 1") +
                           "faults:\n  - {task: split, decline: 1}\n"))
    marker = r.trace.first("cancel_marker", checkpoint=1)
    assert marker is not None and marker["task"] == "count->format->sink[0]"
    assert marker["channel"] == "source->split[0]->count->format->sink[0]"
    assert r.trace.first("barrier_send", checkpoint=1) is None



def test_a_cancellation_marker_leaves_behind_the_senders_queued_output():
    # docs/rules.md: cancellation markers travel in channel order. buffer_size 4, buffer_timeout 1s,
    # latency 1 ms: split turns "hello" (read at 100 ms) into one record, which waits in a partial
    # buffer (1 of 4) until its timer (100 + 1000 ms). At 150 ms checkpoint 1 is triggered and split
    # declines: the partial buffer is finished and sent first (record_send at 150, arriving 151),
    # and the marker behind it, with no credit; the receiver takes the buffer (151) before the marker.
    # Were the marker to skip the queue it would arrive at 151 and the buffer only at 1100.
    r = simulate(load_text(HELLO.replace("interval: 1s", "interval: 150ms, initial_delay: 150ms, "
                                         "tolerable_failures: 1")
                           .replace("  parallelism: 1\n", "  parallelism: 1\n  network: {latency: 1ms, "
                                    "buffer_size: 4, buffer_timeout: 1s, capacity: 8}\n") +
                           "faults:\n  - {task: split, decline: 1}\n"))
    send = r.trace.first("record_send")
    assert (send["t"], send["arrive"], send["values"]) == (150.0, 151.0, [["hello", 1]])
    events = list(r.trace)
    receive = next(i for i, e in enumerate(events) if e["kind"] == "record_receive")
    marker = next(i for i, e in enumerate(events) if e["kind"] == "cancel_marker")
    assert events[receive]["t"] == 151.0 and receive < marker and events[marker]["t"] >= 151.0
    assert events[marker]["checkpoint"] == 1


def test_a_back_pressured_senders_cancellation_marker_waits_behind_its_queued_buffers():
    # aligned_timeout_output's pipeline (4 words a buffer, one credit, count 10 ms a word, latency
    # 1 ms), unaligned with no aligned_timeout, split declining checkpoint 1. At 0 the 13 words make
    # [a-d] [e-h] [i-l] and a partial [m]: [a-d] goes at 0 (count 1 -> 41), [e-h] at 1, [i-l] at 41
    # (when count takes [e-h], 41 -> 81). The trigger at 10 reaches the back-pressured source at once
    # (unaligned); it declines: [m] is finished behind [i-l] and the marker queued behind [m]. [m]
    # gets the credit freed at 81 (count takes [i-l], 81 -> 121) and leaves at 81, arriving 82; the
    # marker, needing no credit, right behind it. count takes [m] at 121 (121 -> 131), then the
    # marker at 131. (Skipping the queue, it would arrive at 11 behind [e-h] and be taken at 81.)
    text = (SCENARIOS / "recovery" / "aligned_timeout_output.yaml").read_text()
    r = simulate(load_text(text.replace("aligned_timeout: 40ms}", "tolerable_failures: 1}")
                           .replace("  - {at: 130, crash: count}", "  - {task: split, decline: 1}")))
    sends = [(e["t"], e["n"], e["arrive"]) for e in r.trace.of("record_send")]
    assert sends == [(0, 4, 1.0), (1.0, 4, 2.0), (41.0, 4, 42.0), (81.0, 1, 82.0)]
    marker = r.trace.first("cancel_marker")
    assert (marker["t"], marker["checkpoint"]) == (131.0, 1)

def test_the_job_values_of_a_checkpoint_come_from_its_tasks():
    # shuffle_crash_exactly_once (chaining off): count[0] aligns two channels. Per task, from the
    # trace alone: start_delay = first barrier - trigger; alignment_duration = last barrier - first;
    # processed_in_flight = records processed between the first barrier and the snapshot x 100 B.
    # The job values are the largest per-task durations and the summed bytes (Flink's web UI).
    r = simulate(sim.load_scenario(SCENARIOS / "recovery" / "shuffle_crash_exactly_once.yaml"))
    trace, cid = r.trace, 1
    trigger = trace.first("checkpoint_trigger", checkpoint=cid)["t"]
    stats = trace.first("checkpoint_complete", checkpoint=cid)["stats"]
    arrivals = [e["t"] for e in trace.of("barrier_receive") if e["task"] == "count[0]" and e["checkpoint"] == cid]
    snapshot = trace.first("snapshot_sync_start", task="count[0]", checkpoint=cid)["t"]
    processed = sum(e["n"] for e in trace.of("record_process")
                    if e["task"] == "count[0]" and min(arrivals) <= e["t"] <= snapshot)
    task = stats["tasks"]["count[0]"]
    assert task["start_delay"] == pytest.approx(min(arrivals) - trigger)
    assert task["alignment_duration"] == pytest.approx(max(arrivals) - min(arrivals)) and task["alignment_duration"] > 100
    assert task["processed_in_flight"] == processed * 100 and processed > 0
    per_task = stats["tasks"].values()
    for key in ("start_delay", "alignment_duration", "sync_duration"):
        assert stats[key] == max(t[key] for t in per_task)
    assert stats["processed_in_flight"] == sum(t["processed_in_flight"] for t in per_task)
    assert stats["sync_duration"] == max(e["duration"] for e in trace.of("snapshot_sync_end") if e["checkpoint"] == cid)


# --- docs/rules.md: barriers/3: unaligned checkpoints --------------------------------------------------------
def test_persisted_in_flight_bytes_lengthen_the_upload():
    # slow storage (1 B/ms): a task acknowledges when both uploads are done -- its state's
    # (snapshot_async_end) and its channel state's (input buffers recorded before the barriers and
    # output buffers the barrier overtook), which takes persisted bytes / 1 B/ms. Some task must
    # wait for the channel state.
    path = SCENARIOS / "recovery" / "unaligned_inflight_restore.yaml"
    r = simulate(sim.load_scenario(path, overrides=["state_backend.async_bytes_per_ms=1", "faults=[]"]))
    trace = r.trace
    longer = 0
    for done in trace.of("checkpoint_complete"):
        cid = done["checkpoint"]
        for name, task in done["stats"]["tasks"].items():
            if not task["persisted_in_flight"]:
                continue
            state_uploaded = trace.first("snapshot_async_end", task=name, checkpoint=cid)["t"]
            # the upload of channel state starts once the last barrier is in (a source: at its snapshot)
            start = trace.first("alignment_end", task=name, checkpoint=cid) or \
                trace.first("snapshot_sync_end", task=name, checkpoint=cid)
            channels_uploaded = start["t"] + task["persisted_in_flight"] / 1.0
            assert task["ack_time"] == pytest.approx(max(state_uploaded, channels_uploaded))
            longer += channels_uploaded > state_uploaded
    assert longer > 0


@pytest.mark.parametrize("setting, key", [("checkpointing.mode=at_least_once", "checkpointing.unaligned"),
                                          ("checkpointing.max_concurrent=2", "checkpointing.max_concurrent")])
def test_unaligned_requires_exactly_once_and_max_concurrent_one(setting, key):
    with pytest.raises(sim.ScenarioError) as err:
        sim.load_scenario(SCENARIOS / "recovery" / "unaligned_inflight_restore.yaml", overrides=[setting])
    assert err.value.path == key


# --- docs/connectors.md: the source ---------------------------------------------------------------------
def test_commit_offsets_on_checkpoint_false_commits_nothing_to_the_group():
    # monitoring only: with the option off, completed checkpoints commit no offsets
    text = HELLO.replace("interval: 1s", "interval: 250ms").replace(
        "start_from: earliest}", "start_from: earliest, commit_offsets_on_checkpoint: false}")
    trace = simulate(load_text(text)).trace
    assert trace.first("checkpoint_complete") is not None and not trace.of("offsets_committed")


# --- docs/connectors.md: the two-phase-commit sink ------------------------------------------------------
SINKS = [FlinkKafkaProducer, KafkaSink]     # both sinks follow the rules of this section


def sink_writer(cls=FlinkKafkaProducer):
    """A real sink subtask on a small cluster, outside a job (its attempt is a stand-in)."""
    spec = load_text(HELLO.replace("1min}", "1min, transactional_id_prefix: p}")).job.operators[-1]
    env = simpy.Environment()
    attempt = SimpleNamespace(env=env, trace=Trace("full"), number=1, failing=False, alive=lambda: True)
    cluster = KafkaCluster({"in": 1, "out": 1}, 900_000.0, 10_000.0)
    writer = cls("sink[0]", 0, 1, spec, cluster, attempt, {})
    writer.open(None)
    return writer, attempt.trace


@pytest.mark.parametrize("cls", SINKS)
def test_notify_k_commits_every_pending_transaction_up_to_k_in_order(cls):
    # three pre-committed transactions (checkpoints 1, 2, 3); notify(2) commits those of 1 and 2,
    # in that order, and keeps 3 pending
    writer, trace = sink_writer(cls)
    for cid in (1, 2, 3):
        writer.process([(f"w{cid}", ("in", 0, cid, 0.0))])
        writer.snapshot(cid)
    writer.notify_complete(2)
    assert [(e["checkpoint"], e["txn"]) for e in trace.of("txn_commit")] == [(1, "sink[0]#1"), (2, "sink[0]#2")]
    assert [cid for cid, _ in writer.pending] == [3]


@pytest.mark.parametrize("cls", SINKS)
def test_a_late_notice_for_an_older_checkpoint_is_a_no_op(cls):
    # notify(2) committed 1 and 2; a notice for 1 arriving afterwards commits nothing and fails nothing
    writer, trace = sink_writer(cls)
    for cid in (1, 2):
        writer.process([(f"w{cid}", ("in", 0, cid, 0.0))])
        writer.snapshot(cid)
    writer.notify_complete(2)
    before = len(trace.events)
    writer.notify_complete(1)
    assert len(trace.events) == before and writer.pending == []
