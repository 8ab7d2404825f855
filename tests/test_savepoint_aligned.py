"""Savepoints are always aligned, with no timeout (docs/rules.md: savepoints); and review findings
on aligned barriers: obsolete ones never come due, and on Flink 1.13 the aligned timeout counts
from the first arrival of the barrier at each task.

Flink's CheckpointOptions.forConfig gives a savepoint ``alignedNoTimeout``: no announcement, no
alignment timer, never a priority event, whatever ``unaligned``/``aligned_timeout`` say. With
unaligned checkpoints on, a savepoint is not forced (CheckpointProperties.forSavepoint(
!unalignedCheckpointsEnabled)): it waits for the pending checkpoint to end, then starts at once
(min_pause holds back periodic checkpoints only).

The runs use scenarios/recovery/aligned_timeout_output.yaml (its comment has the timeline):
source->split chained, count 10 ms a word, buffers of 4 words, one credit, latency 1 ms.
"""
from __future__ import annotations

from sim.scenario.versions import release
from sim.snapshot import Aligned, Barrier, Block, Emit, SetTimer, Trigger, Unblock
from sim.snapshot.handlers import AlternatingHandler, UnalignedHandler

from .test_aligned_timeout_output import COUNT, SOURCE, first, run

SAVEPOINT = "lifecycle=[{at: 5, savepoint: sp1}]"


def sp(cid: int, created: float = 0.0) -> Barrier:
    return Barrier(cid, created, savepoint=True)


# ----------------------------------------------------------------- the handlers, by plain calls
def test_the_unaligned_handler_aligns_a_savepoint():
    # ch0's savepoint barrier blocks ch0 (no trigger yet); ch1's data passes and is not persisted;
    # ch1's barrier completes the alignment: an aligned trigger, ch0 released.
    h = UnalignedHandler(2)
    assert not h.wants_priority(sp(1), 0.0) and h.priority_from(sp(1)) == float("inf")
    assert h.on_barrier(0, sp(1), 0.0) == [Block(0, 1)]
    assert h.on_buffer(1, ["x"], 1.0) == [Emit(1, ["x"])]
    assert h.on_barrier(1, sp(1), 2.0) == [Aligned(1, 2.0, 1), Trigger(1, unaligned=False), Unblock(0)]


def test_the_alternating_handler_sets_no_timer_and_never_switches_for_a_savepoint():
    # timeout 3, created 0: a checkpoint's barrier would set a timer at 3 and one arriving at 10 would
    # switch at once; a savepoint's blocks ch0, and its late barrier on ch1 still ends an aligned alignment
    h = AlternatingHandler(2, 3.0)
    assert not h.wants_priority(sp(1), 10.0) and h.priority_from(sp(1)) == float("inf")
    assert h.on_barrier(0, sp(1), 0.0) == [Block(0, 1)]
    assert h.on_timer(1, 3.0) == []
    assert h.on_barrier(1, sp(1), 10.0) == [Aligned(1, 10.0, 0), Trigger(1, unaligned=False), Unblock(0)]
    # the next checkpoint's barrier is timeoutable again: it is wanted with priority from 20 + 3
    assert not h.wants_priority(Barrier(2, 20.0), 22.0) and h.wants_priority(Barrier(2, 20.0), 23.0)


# --------------------------------------------------------------------------------------- runs
def test_a_savepoint_under_unaligned_true_is_aligned():
    # unaligned: true, aligned_timeout 0: a checkpoint's barrier would leave the source unaligned and
    # count would take it ahead of the queued words. Savepoint sp1 (checkpoint 1) is triggered at 5;
    # the source is back-pressured from 1 to 41 (waiting to send [i-l]); its trigger mail is not
    # urgent, so it injects at 41, flushes [m] behind [i-l] and sends the aligned barrier after [m],
    # when count takes [i-l] at 81 (arrives 82). count works on [i-l] until 121 and [m] until 131,
    # then takes the barrier: snapshot of all 13 words, no channel state anywhere.
    r = run("faults=[]", "checkpointing.initial_delay=10s", "checkpointing.aligned_timeout=0ms", SAVEPOINT,
            "run.until=300ms")
    assert first(r.trace, "checkpoint_trigger", checkpoint=1)["t"] == 5.0
    assert first(r.trace, "barrier_inject", task=SOURCE, checkpoint=1)["t"] == 41.0
    b = first(r.trace, "barrier_send", task=SOURCE, checkpoint=1)
    assert (b["t"], b["unaligned"], b["arrive"]) == (81.0, False, 82.0)
    got = first(r.trace, "barrier_receive", task=COUNT, checkpoint=1)
    assert (got["t"], got["unaligned"]) == (131.0, False)
    snap = first(r.trace, "snapshot_sync_start", task=COUNT, checkpoint=1)
    assert snap["t"] == 131.0 and sorted(snap["state"]["count"]) == list("abcdefghijklm")
    assert not r.trace.of("output_persisted") and not r.trace.of("buffer_persisted")
    (cp,) = r.report["checkpoints"]
    assert (cp["status"], cp["savepoint"], cp["persisted_in_flight"]) == ("completed", "sp1", 0)


BACKPRESSURED = ("faults=[]", "job.operators[1].chain=false",
                 "input=[{topic: lines, at: 0, value: 'a b c d'}, {topic: lines, at: 0, value: 'e f g h'},"
                 " {topic: lines, at: 0, value: 'x'}]",
                 "checkpointing.aligned_timeout=10ms", "checkpointing.timeout=1s", "checkpointing.interval=10s",
                 "checkpointing.min_pause=50ms", "run.until=400ms", "lifecycle=[{at: 15, savepoint: sp1}]")


def test_a_savepoint_waits_for_the_pending_checkpoint_and_never_overtakes_it():
    # split unchained (tests/test_priority_backpressure.py has the timeline): checkpoint 1 is triggered
    # at 10 and its aligned barrier waits at split, behind [x], for a credit. sp1 is asked for at 15:
    # unaligned checkpoints are on, so it is not forced and max_concurrent (1) is taken: it is queued
    # (before, it was triggered at 15 and its priority barrier overtook barrier 1 on 1.15, aborting
    # checkpoint 1). Checkpoint 1 completes; sp1 is triggered at that instant, min_pause (50 ms) not
    # applying to it, and is aligned at every task.
    for version in ("1.15", "1.16"):
        r = run(*BACKPRESSURED, f"flink_version={version}")
        status = {c["id"]: (c["status"], c.get("savepoint")) for c in r.report["checkpoints"]}
        assert status == {1: ("completed", None), 2: ("completed", "sp1")}
        asked = first(r.trace, "lifecycle", savepoint="sp1")
        assert asked["t"] == 15.0 and "queued" in asked["detail"]
        done = first(r.trace, "checkpoint_complete", checkpoint=1)["t"]
        assert first(r.trace, "checkpoint_trigger", checkpoint=2)["t"] == done
        assert all(not e["unaligned"] for e in r.trace.of("barrier_send") if e["checkpoint"] == 2)
        assert not [e for e in r.trace.of("output_persisted") + r.trace.of("buffer_persisted") if e["checkpoint"] == 2]


def test_a_queued_savepoint_is_dropped_by_a_failover():
    # as above, with count crashing at 20: sp1 is queued at 15 behind checkpoint 1; the failover at
    # 20 aborts checkpoint 1 and drops sp1 (Flink: abortPendingAndQueuedCheckpoints), which is never
    # triggered; a second lifecycle event says so.
    r = run(*BACKPRESSURED, "faults=[{at: 20, crash: count}]")
    assert not [c for c in r.report["checkpoints"] if c.get("savepoint")]
    dropped = [e for e in r.trace.of("lifecycle") if e["savepoint"] == "sp1"][1]
    assert dropped["t"] == 20.0 and "no savepoint" in dropped["detail"]


def test_an_obsolete_aligned_barrier_never_comes_due():
    # checkpoint 2 is under way: barrier 1 (older) is ignored when taken, so a back-pressured task is
    # not woken for it (StreamTask.announce asks priority_from); barrier 2's comes due at 20 + 3
    h = AlternatingHandler(2, 3.0)
    h.on_barrier(0, Barrier(2, 20.0), 21.0)
    assert h.priority_from(Barrier(1, 10.0)) == float("inf") and h.priority_from(Barrier(2, 20.0)) == 23.0


def test_a_queued_stop_with_savepoint_still_finishes_the_job():
    # the same with a stop at 15: periodic checkpoints stop at once, the stop's savepoint waits for
    # checkpoint 1 and is triggered when it completes; the sources pause after its barrier, and the
    # job finishes when it completes
    plain = [o for o in BACKPRESSURED if not o.startswith("lifecycle")]
    r = run(*plain, "lifecycle=[{at: 15, stop: {savepoint: sp1}}]", "run.until=drained")
    done = {c["id"]: c for c in r.report["checkpoints"]}
    assert (done[1]["status"], done[2]["status"], done[2]["savepoint"]) == ("completed", "completed", "sp1")
    assert done[2]["trigger_time"] == first(r.trace, "checkpoint_complete", checkpoint=1)["t"]
    assert first(r.trace, "job_finished")["t"] == first(r.trace, "checkpoint_complete", checkpoint=2)["t"]


# ------------------------------------------------------- Flink 1.13: the timeout's origin per task
def test_on_1_13_the_timeout_counts_from_the_first_arrival_at_the_task():
    # timeout 3, checkpoint 1 triggered at 0; its barriers are announced to arrive at 7 and at 5
    # (the earlier one announced later): the first arrival is 5, so the timer is due at 5 + 3 = 8,
    # and a barrier taken at 5 does not switch (from the trigger, 1.14: 5 >= 0 + 3, it would)
    h = AlternatingHandler(2, 3.0, from_arrival=True)
    h.on_announce(Barrier(1, 0.0), 7.0)
    h.on_announce(Barrier(1, 0.0), 5.0)
    assert h.priority_from(Barrier(1, 0.0)) == 8.0
    assert h.on_barrier(0, Barrier(1, 0.0), 5.0) == [SetTimer(8.0, 1), Block(0, 1)]
    assert h.on_timer(1, 8.0) == [Trigger(1, unaligned=True), Unblock(0)]
    later = AlternatingHandler(2, 3.0)
    later.on_announce(Barrier(1, 0.0), 5.0)
    assert later.on_barrier(0, Barrier(1, 0.0), 5.0) == [Trigger(1, unaligned=True)]
    assert [release(v).aligned_timeout_from_trigger for v in ("1.13", "1.14", "1.20")] == [False, True, True]


def test_on_1_13_a_back_pressured_task_takes_the_barrier_at_its_first_arrival_plus_the_timeout():
    # tests/test_priority_backpressure.py's first case (trigger at 10, timeout 40, split waiting for
    # credits): barrier 1 leaves the source at 10 and reaches split at 11. From 1.14 split takes it
    # at 10 + 40 = 50; on 1.13 at 11 + 40 = 51, then overtakes its queued [m] (sent at 51, arriving
    # 52). count, busy with [e-h] until 82, takes the now unaligned barrier then, as on 1.14.
    r = run("faults=[]", "job.operators[1].chain=false", "job.network.buffer_timeout=0ms", "flink_version=1.13")
    assert first(r.trace, "barrier_receive", task="split[0]", checkpoint=1)["t"] == 51.0
    b = first(r.trace, "barrier_send", task="split[0]", checkpoint=1)
    assert (b["t"], b["unaligned"], b["arrive"]) == (51.0, True, 52.0)
    assert [(e["t"], e["task"]) for e in r.trace.of("output_persisted")] == [(51.0, "split[0]")]
    snap = first(r.trace, "snapshot_sync_start", task=COUNT, checkpoint=1)
    assert snap["t"] == 82.0 and sorted(snap["state"]["count"]) == list("abcdefgh")
    assert r.report["exactly_once"]["ok"]
