"""A stop-with-savepoint suspends the checkpoint coordinator first (docs/lifecycle.md: stop).

Flink's SchedulerBase.stopWithSavepoint calls stopCheckpointScheduler() before it triggers the
stop's savepoint: every pending checkpoint is aborted (CHECKPOINT_COORDINATOR_SUSPEND, not counted
against the tolerable failures by CheckpointFailureManager), queued savepoints and the queued
periodic request are dropped (abortPendingAndQueuedCheckpoints), and the stop's savepoint is
triggered at once. Also: a ``until: drained`` run waits for a pending savepoint, and a stop whose
savepoint a region failover aborts leaves the job running, its surviving sources reading again.

The runs use scenarios/recovery/aligned_timeout_output.yaml (unaligned checkpoints on, so a plain
savepoint is not forced and queues behind a pending checkpoint; checkpoint 1 at 10 ms;
max_concurrent 1; its barrier waits at split until well after 15 ms, see
tests/test_savepoint_aligned.py) and scenarios/recovery/region_failover.yaml.
"""
from __future__ import annotations

from pathlib import Path

import sim

from .test_aligned_timeout_output import first, run
from .test_savepoint_aligned import BACKPRESSURED

PLAIN = [o for o in BACKPRESSURED if not o.startswith("lifecycle")]


def statuses(r) -> dict:
    return {c["id"]: (c["status"], c.get("savepoint"), c.get("reason")) for c in r.report["checkpoints"]}


def test_a_stop_aborts_the_pending_checkpoint_and_its_savepoint_runs_at_once():
    # checkpoint 1 (triggered at 10) is still pending at 15 when the stop comes: it is aborted at 15
    # (coordinator_suspend) and sp1 becomes checkpoint 2, triggered at 15 -- not queued behind 1.
    # tolerable_failures 0: had the abort counted, 1 > 0 failures would fail the job over; it does
    # not count, so nothing fails and the job finishes when sp1 completes.
    r = run(*PLAIN, "lifecycle=[{at: 15, stop: {savepoint: sp1}}]", "run.until=drained",
            "checkpointing.tolerable_failures=0")
    assert statuses(r) == {1: ("aborted", None, "coordinator_suspend"), 2: ("completed", "sp1", None)}
    assert first(r.trace, "checkpoint_abort", checkpoint=1)["t"] == 15.0
    assert first(r.trace, "checkpoint_trigger", checkpoint=2)["t"] == 15.0
    assert "queued" not in first(r.trace, "lifecycle", savepoint="sp1")["detail"]
    assert not r.trace.of("job_failing")
    assert first(r.trace, "job_finished")["t"] == first(r.trace, "checkpoint_complete", checkpoint=2)["t"]
    assert r.report["run_end"] == "finished"


def test_a_stop_drops_a_queued_savepoint():
    # sp0 asked for at 12 queues behind checkpoint 1 (unaligned on: not forced; max_concurrent 1
    # taken). The stop at 15 drops it (a second lifecycle event, never a checkpoint), aborts 1 and
    # triggers sp1 as checkpoint 2 at 15.
    r = run(*PLAIN, "lifecycle=[{at: 12, savepoint: sp0}, {at: 15, stop: {savepoint: sp1}}]", "run.until=drained")
    assert statuses(r) == {1: ("aborted", None, "coordinator_suspend"), 2: ("completed", "sp1", None)}
    asked, dropped = [e for e in r.trace.of("lifecycle") if e["savepoint"] == "sp0"]
    assert asked["t"] == 12.0 and "queued" in asked["detail"]
    assert dropped["t"] == 15.0 and "coordinator_suspend" in dropped["detail"] and "no savepoint" in dropped["detail"]
    assert [s["name"] for s in r.report["savepoints"]] == ["sp1"]


def test_no_periodic_checkpoint_follows_the_stops_savepoint():
    # interval 15 ms: checkpoint 1 at 10; the tick at 25 finds it pending (max_concurrent 1) and
    # queues a periodic request. The stop at 33 drops that request, aborts 1 and triggers sp1 (2) at
    # 33; when sp1 completes the job finishes: no checkpoint is ever triggered after 33.
    r = run("faults=[]", "checkpointing.interval=15ms", "lifecycle=[{at: 33, stop: {savepoint: sp1}}]",
            "run.until=drained")
    assert [(e["t"], e["checkpoint"]) for e in r.trace.of("checkpoint_trigger")] == [(10.0, 1), (33.0, 2)]
    assert statuses(r)[2] == ("completed", "sp1", None) and r.report["run_end"] == "finished"


def test_a_drained_run_waits_for_a_pending_savepoint():
    # checkpoint 1 at 200 is slow (async phase 50 ms) and its notification comes 20 ms late; sp1 is
    # asked for at 260 while 1 is pending, queues, and is triggered when 1 completes. The input is
    # long consumed, and 1's late notification commits the sinks' output: the run is otherwise
    # drained, but sp1 is pending, so it must not end before sp1 completes.
    r = run("faults=[]", "run.until=drained", "checkpointing.initial_delay=200ms", "checkpointing.notify_delay=20ms",
            "state_backend.async_base=50ms", "lifecycle=[{at: 260, savepoint: sp1}]")
    assert [(c["id"], c["status"], c.get("savepoint")) for c in r.report["checkpoints"]] == \
        [(1, "completed", None), (2, "completed", "sp1")]
    assert r.report["run_end"] == "drained"
    assert first(r.trace, "run_end")["t"] >= first(r.trace, "checkpoint_complete", checkpoint=2)["t"]


def test_a_stop_aborted_by_a_region_failover_leaves_the_job_running():
    # region_failover.yaml with 1 ms per record: the stop at 349.9 triggers sp1 (checkpoint 2); the
    # crash of sink[1] at 350 fails over the second pipeline and aborts sp1, so the stop fails and
    # the job goes on: the first pipeline's source reads again and writes c (700) with no loss; the
    # restarted pipeline and the periodic checkpoints that follow commit everything; the run drains.
    path = Path(sim.__file__).parent.parent / "scenarios" / "recovery" / "region_failover.yaml"
    r = sim.run(sim.load_scenario(path, overrides=["run.trace=full", "lifecycle=[{at: 349.9, stop: {savepoint: sp1}}]",
                                                   "job.processing_time={default: 1ms}"]))
    assert statuses(r)[2] == ("aborted", "sp1", "job_failed")
    assert not r.trace.of("job_finished")
    assert r.report["exactly_once"]["ok"] and r.report["run_end"] == "drained"
    assert [e["value"] for e in r.trace.of("kafka_append") if e["task"].endswith("[0]")].count("c:::1") == 1


def test_a_savepoint_queued_behind_a_queued_savepoint_names_it():
    # sp1 at 15 queues behind pending checkpoint 1; sp2 at 16 finds sp1 still queued, so it queues
    # behind sp1 (CheckpointRequestDecider keeps them in order) and its detail names sp1. When 1
    # completes, sp1 (checkpoint 2) is triggered at that instant; sp2 (3) when sp1 completes.
    r = run(*PLAIN, "lifecycle=[{at: 15, savepoint: sp1}, {at: 16, savepoint: sp2}]")
    assert "queued behind savepoint sp1" in first(r.trace, "lifecycle", savepoint="sp2")["detail"]
    assert first(r.trace, "checkpoint_trigger", checkpoint=2)["t"] == first(r.trace, "checkpoint_complete", checkpoint=1)["t"]
    assert first(r.trace, "checkpoint_trigger", checkpoint=3)["t"] == first(r.trace, "checkpoint_complete", checkpoint=2)["t"]
    assert [(c["id"], c.get("savepoint")) for c in r.report["checkpoints"]] == [(1, None), (2, "sp1"), (3, "sp2")]


FINAL = "scenarios/connectors/bounded_final_checkpoint.yaml"


def _final(*overrides):
    r = sim.run(sim.load_scenario(FINAL, overrides=["run.until=drained", "run.max_time=60s",
                                                    "state_backend.async_base=50ms",
                                                    "checkpointing.interval=100ms", *overrides]))
    return r, [(c["id"], c["status"]) for c in r.report["checkpoints"]]


def test_a_failed_stop_during_the_final_checkpoint_is_followed_by_another_final_checkpoint():
    # The input ends at 2.1 and final checkpoint 1 is pending (its snapshot uploads for 50 ms). The
    # stop at 20 suspends the coordinator: checkpoint 1 aborted (coordinator_suspend); count declines
    # the stop's savepoint 2, so the stop fails and the job goes on. Finished tasks still need a
    # checkpoint completed after their end of input (FLIP-147): a new final checkpoint, 3, is
    # triggered at once (the input has ended, the job is quiet), and the job finishes when it completes.
    r, cps = _final("lifecycle=[{at: 20, stop: {savepoint: sp1}}]", "faults=[{task: count, decline: 2}]",
                    "checkpointing.tolerable_failures=5")
    assert cps == [(1, "aborted"), (2, "declined"), (3, "completed")]
    assert r.report["run_end"] == "finished" and len(list(r.trace.of("job_finished"))) == 1
    assert r.report["exactly_once"]["ok"]


def test_a_failover_during_the_final_checkpoint_is_followed_by_another_final_checkpoint():
    # The crash at 20 aborts final checkpoint 1 (job_failed); the job restarts, replays to the end
    # of its input, and takes final checkpoint 2, which completes: the job finishes.
    r, cps = _final("faults=[{at: 20, crash: count}]")
    assert cps == [(1, "aborted"), (2, "completed")]
    assert r.report["run_end"] == "finished" and len(list(r.trace.of("job_finished"))) == 1
    assert r.report["exactly_once"]["ok"]
