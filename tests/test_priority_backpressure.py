"""Priority events at a task that waits for output credits (docs/rules.md: barriers).

Flink's mailbox runs priority events (unaligned barriers, and aligned ones whose aligned_timeout
passed) while the task's output is unavailable, including those that came while it processed a
record. With aligned_timeout, Flink announces an aligned barrier as soon as it reaches the
receiver's input channel; the handler's timer, due at the barrier's trigger time + aligned_timeout,
then makes it a priority event. A later checkpoint's unaligned barrier goes to the head of the
sender's queue, ahead of an aligned barrier still waiting there.

The tests run scenarios/recovery/aligned_timeout_output.yaml with split as a task of its own
(``chain: false``): source -> split -> count, latency 1 ms, 10 ms a word in count, buffers of 4
words, one credit per channel.
"""
from __future__ import annotations

from .test_aligned_timeout_output import COUNT, first, persisted, run, words

SPLIT = "split[0]"
OWN_TASK = ("faults=[]", "job.operators[1].chain=false")


def sends(r, task):
    return [e for e in r.trace.of("barrier_send") if e["task"] == task]


def test_a_task_waiting_for_credits_takes_a_barrier_at_its_timeout():
    # buffer_timeout 0: every input buffer's output goes at once. The source sends the line at 0;
    # split cuts it at 1 into [a-d] [e-h] [i-l] [m]: [a-d] goes at 1 (count: 2 -> 42), [e-h] at 2,
    # [i-l] at 42 (count: 42 -> 82), and split waits for a credit for [m] until 82.
    # Barrier 1 leaves the source at 10 and reaches split at 11, while split waits. Announced on
    # arrival, it becomes a priority event at 10 + 40 = 50: split takes it then, switches to
    # unaligned, and its barrier overtakes the queued [m] (output state at split). count takes it
    # at 82, when [e-h] is done, overtaking [i-l]: snapshot a..h, (1 + 4) x 100 B persisted.
    # The same on 1.15 (input side only) and 1.16: split's own trigger is unaligned.
    for version in ("1.15", "1.16"):
        r = run(*OWN_TASK, "job.network.buffer_timeout=0ms", f"flink_version={version}")
        assert first(r.trace, "barrier_receive", task=SPLIT, checkpoint=1)["t"] == 50.0
        b = first(r.trace, "barrier_send", task=SPLIT, checkpoint=1)
        assert (b["t"], b["unaligned"], b["arrive"]) == (50.0, True, 51.0)
        kept = [(e["t"], e["task"], words(e["values"])) for e in r.trace.of("output_persisted")]
        assert kept == [(50.0, SPLIT, ["m"])]
        snap = first(r.trace, "snapshot_sync_start", task=COUNT, checkpoint=1)
        assert snap["t"] == 82.0 and sorted(snap["state"]["count"]) == list("abcdefgh")
        assert words(first(r.trace, "buffer_persisted", task=COUNT, checkpoint=1)["values"]) == list("ijkl")
        assert persisted(r) == (1 + 4) * 100
        assert r.report["exactly_once"]["ok"]


LATER = (*OWN_TASK,
         "input=[{topic: lines, at: 0, value: 'a b c d'}, {topic: lines, at: 0, value: 'e f g h'},"
         " {topic: lines, at: 0, value: 'x'}]",
         "checkpointing.aligned_timeout=10ms", "checkpointing.timeout=25ms", "checkpointing.interval=5ms",
         "checkpointing.tolerable_failures=1", "run.until=200ms")


def test_a_later_unaligned_barrier_overtakes_an_aligned_one_still_queued():
    # The source flushes its three lines at the trigger (10), barrier 1 behind them (both at 11).
    # split sends [a-d] at 11 (count: 12 -> 52) and [e-h] at 12, then takes barrier 1 (aligned:
    # 12 < 10 + 10) and flushes [x], which waits for a credit until count takes [e-h] at 52.
    # Checkpoint 1 expires at 10 + 25 = 35 and checkpoint 2 is triggered then; its barrier
    # reaches split at 36 and becomes a priority event at 35 + 10 = 45.
    # 1.15: barrier 1 still waits behind [x]. At 45 split takes barrier 2 and triggers it
    # unaligned: barrier 2 goes to the head of the queue, ahead of [x] and of barrier 1, and [x]
    # is checkpoint 2's output state (Flink: PipelinedSubpartition.processPriorityBuffer).
    # Barrier 1 leaves aligned, right after [x].
    r = run(*LATER, "flink_version=1.15")
    (b2, b1), x = sends(r, SPLIT)[:2], first(r.trace, "record_send", task=SPLIT, n=1)
    assert (b2["checkpoint"], b2["t"], b2["unaligned"]) == (2, 45.0, True) and "overtook" not in b2
    assert (b1["checkpoint"], b1["t"], b1["unaligned"]) == (1, x["t"], False) and x["t"] > 45.0
    kept = [(e["t"], e["checkpoint"], words(e["values"])) for e in r.trace.of("output_persisted")]
    assert kept == [(45.0, 2, ["x"])]
    status = {c["id"]: c["status"] for c in r.report["checkpoints"]}
    assert (status[1], status[2]) == ("expired", "completed")
    # 1.16: barrier 1's own deadline (10 + 10 = 20) comes first: it overtakes [x] at 20; at 45
    # split, still waiting for the credit of [x], takes barrier 2 the same way: [x] is kept twice
    r = run(*LATER)
    b1, b2 = sends(r, SPLIT)[:2]
    assert (b1["checkpoint"], b1["t"], b1["unaligned"], b1["overtook"]) == (1, 20.0, True, 1)
    assert (b2["checkpoint"], b2["t"], b2["unaligned"]) == (2, 45.0, True)
    kept = [(e["t"], e["checkpoint"], words(e["values"])) for e in r.trace.of("output_persisted")]
    assert kept == [(20.0, 1, ["x"]), (45.0, 2, ["x"])]
    assert r.report["exactly_once"]["ok"]


def test_an_unaligned_barrier_that_came_during_processing_is_taken_before_the_credit_wait():
    # Unaligned from the source (aligned_timeout 0), buffer_timeout 0, 4 ms a line in split; line i
    # is written at i ms. split takes l0 at 1 (-> 5), l1 at 5 (-> 9), l2 at 9 (-> 13); the source
    # sends l3-l5 in one buffer at 9. count takes [w0-z0] at 6 (-> 46); [w1-z1] (sent at 9) fills
    # its channel, so at 13 split's [w2-z2] must wait for a credit until 46.
    # Barrier 1 (trigger 10) reaches split at 11, while it processes l2. At 13, with its output
    # unavailable, split takes it: snapshot at 13; the barrier overtakes [w2-z2] (4 records of
    # output state) and the three queued lines (3 records of input state), leaves at 13 and
    # reaches count at 14; count takes it at 46, overtaking [w1-z1] (4 records).
    # persisted_in_flight: (4 + 3 + 4) x 100 B.
    lines = ", ".join(f"{{topic: lines, at: {i}, value: 'w{i} x{i} y{i} z{i}'}}" for i in range(6))
    r = run(*OWN_TASK, "job.network.buffer_timeout=0ms", f"input=[{lines}]", "checkpointing.aligned_timeout=0ms",
            "job.processing_time.split=4ms")
    assert first(r.trace, "barrier_receive", task=SPLIT, checkpoint=1)["t"] == 13.0
    b = first(r.trace, "barrier_send", task=SPLIT, checkpoint=1)
    assert (b["t"], b["unaligned"], b["arrive"]) == (13.0, True, 14.0)
    kept = first(r.trace, "output_persisted", task=SPLIT, checkpoint=1)
    assert (kept["t"], words(kept["values"])) == (13.0, ["w2", "x2", "y2", "z2"])
    assert first(r.trace, "buffer_persisted", task=SPLIT, checkpoint=1)["n"] == 3
    assert first(r.trace, "snapshot_sync_start", task=COUNT, checkpoint=1)["t"] == 46.0
    assert words(first(r.trace, "buffer_persisted", task=COUNT, checkpoint=1)["values"]) == ["w1", "x1", "y1", "z1"]
    assert persisted(r) == (4 + 3 + 4) * 100
    assert r.report["exactly_once"]["ok"]
