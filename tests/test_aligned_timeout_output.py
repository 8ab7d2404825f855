"""The output side of aligned_timeout (Flink >= 1.16): a barrier still queued behind output buffers
when the timeout passes turns unaligned in the sender (docs/rules.md: barriers).

Expected values are worked out from the rule on scenarios/recovery/aligned_timeout_output.yaml
(its comment has the timeline): latency 1 ms, 10 ms a word in count, buffers of 4 words, one
credit, checkpoint 1 triggered at 10 ms, aligned_timeout 40 ms, the source takes the trigger at
41 ms with [m] queued behind the full channel.
"""
from __future__ import annotations

import sim
from sim.runtime.keygroups import operator_index

from .conftest import SCENARIOS

PATH = SCENARIOS / "recovery" / "aligned_timeout_output.yaml"
SOURCE, COUNT = "source->split[0]", "count->format->sink[0]"


def run(*overrides):
    return sim.run(sim.load_scenario(PATH, overrides=["run.trace=full", *overrides]))


def first(trace, kind, **match):
    return next(e for e in trace.of(kind) if all(e.get(k) == v for k, v in match.items()))


def words(values) -> list[str]:
    """The words of a buffer's (word, 1) values."""
    return [v[0] for v in values]


def persisted(r) -> int:
    return sum(c.get("persisted_in_flight") or 0 for c in r.report["checkpoints"] if c["status"] == "completed")


def test_on_1_16_the_barrier_overtakes_the_senders_queue_at_the_timeout():
    r = run()
    assert r.report["exactly_once"]["ok"]
    b = first(r.trace, "barrier_send", checkpoint=1)
    # deadline = trigger 10 + timeout 40 = 50 ms; [m] still queued: it goes out unaligned, ahead of [m]
    assert (b["t"], b["unaligned"], b["overtook"], b["arrive"]) == (50.0, True, 1, 51.0)
    out = r.trace.of("output_persisted")
    assert [(e["t"], e["task"], e["checkpoint"], e["n"], words(e["values"])) for e in out] == [(50.0, SOURCE, 1, 1, ["m"])]
    # count takes it when [e-h] is done (41 + 4 x 10 = 81), overtaking [i-l]: snapshot of a..h
    snap = first(r.trace, "snapshot_sync_start", task=COUNT, checkpoint=1)
    assert snap["t"] == 81.0 and sorted(snap["state"]["count"]) == list("abcdefgh")
    kept = first(r.trace, "buffer_persisted", task=COUNT, checkpoint=1)
    assert words(kept["values"]) == ["i", "j", "k", "l"]
    assert persisted(r) == (1 + 4) * 100             # sender's [m] + receiver's [i-l], 100 B a record
    # the restore puts [i-l] (receiver's) and then [m] (sender's) back into the channel
    assert first(r.trace, "inflight_restore", checkpoint=1)["n"] == 5
    # the overtaken [m] is still sent, after the barrier, when count frees the credit of [i-l]
    m = [e for e in r.trace.of("record_send") if words(e["values"]) == ["m"]]
    assert len(m) == 1 and m[0]["t"] > b["t"]


def test_before_1_16_the_barrier_waits_for_a_credit_and_only_the_input_side_switches():
    r = run("flink_version=1.15")
    assert r.report["exactly_once"]["ok"]
    b = first(r.trace, "barrier_send", checkpoint=1)
    # count takes [i-l] at 81: [m] gets the credit and goes, the aligned barrier right behind it
    assert (b["t"], b["unaligned"], b["arrive"]) == (81.0, False, 82.0) and "overtook" not in b
    assert not r.trace.of("output_persisted")
    # count is busy with [i-l] until 121; the timeout has passed, so there (input side, 1.13+) the
    # barrier overtakes [m]: snapshot of a..l, 1 record of channel state
    snap = first(r.trace, "snapshot_sync_start", task=COUNT, checkpoint=1)
    assert snap["t"] == 121.0 and sorted(snap["state"]["count"]) == list("abcdefghijkl")
    assert words(first(r.trace, "buffer_persisted", task=COUNT, checkpoint=1)["values"]) == ["m"]
    assert persisted(r) == 1 * 100


def test_a_deadline_already_past_at_the_trigger_turns_the_barrier_unaligned_at_once():
    # timeout 20 ms: the deadline 10 + 20 = 30 passed before the back-pressured source took the
    # trigger at 41; Flink's timer delay is max(0, ...) = 0, so the barrier overtakes [m] at 41
    b = first(run("checkpointing.aligned_timeout=20ms").trace, "barrier_send", checkpoint=1)
    assert (b["t"], b["unaligned"], b["overtook"]) == (41.0, True, 1)


def test_without_a_queue_at_the_sender_nothing_changes():
    # eight credits: the source never waits, so the barrier leaves at the trigger (10 ms) aligned
    # on 1.16 as on 1.15; with no credit to wait for, 1.16 sets no deadline either: the two runs
    # take the same SimPy events
    runs = {version: run("job.network.capacity=8", f"flink_version={version}") for version in ("1.15", "1.16")}
    for r in runs.values():
        b = first(r.trace, "barrier_send", checkpoint=1)
        assert (b["t"], b["unaligned"]) == (10.0, False) and "overtook" not in b
    assert runs["1.15"].report["stats"]["events"] == runs["1.16"].report["stats"]["events"]


def words_for(index: int, n: int) -> list[str]:
    """``n`` words that keyBy sends to count subtask ``index`` of 2 (by key group)."""
    out, i = [], 0
    while len(out) < n:
        word = f"w{i}"
        if operator_index(word, 128, 2) == index:
            out.append(word)
        i += 1
    return out


def test_the_switch_is_per_channel_a_channel_with_nothing_queued_keeps_its_barrier_aligned():
    # count has 2 subtasks: 9 words for count[0] ([x0-x3] [x4-x7] and a partial [x8]) and 4 for
    # count[1] (one full buffer). One credit a channel: count[0] takes [x0-x3] at 1 (1 -> 41) and
    # [x4-x7] fills its channel; count[1]'s buffer leaves at 0. The source is free at 1; at the
    # trigger (10) the flush queues [x8] for count[0] only. Deadline 10 + 20 = 30: the barrier to
    # count[0] overtakes [x8] (unaligned); count[1]'s has nothing ahead of it (in Flink it would have
    # left at 10, aligned) and goes aligned.
    zero, one = words_for(0, 9), words_for(1, 4)
    r = run("checkpointing.aligned_timeout=20ms", f"input=[{{topic: lines, at: 0, value: '{' '.join(zero + one)}'}}]",
            "job.operators[2].parallelism=2", "job.operators[3].parallelism=2",
            "job.operators[4].parallelism=2",
            "faults=[]")
    sends = {e["to"]: e for e in r.trace.of("barrier_send") if e["checkpoint"] == 1}
    to0, to1 = sends["count->format->sink[0]"], sends["count->format->sink[1]"]
    assert (to0["t"], to0["unaligned"], to0["overtook"]) == (30.0, True, 1)
    assert (to1["t"], to1["unaligned"]) == (30.0, False) and "overtook" not in to1
    assert [words(e["values"]) for e in r.trace.of("output_persisted")] == [[zero[8]]]
    assert r.report["exactly_once"]["ok"]


def test_the_timing_diagram_marks_the_output_the_sender_kept_on_its_own_lane():
    import matplotlib.pyplot as plt
    from sim.analysis.views.timing import timing_diagram

    r = run()
    drawn = timing_diagram(r.trace)
    try:
        marks = drawn["output_persisted"]
        assert len(marks) == 1                         # one checkpoint, one thin diamond
        (x, y), = marks[0].get_xydata()
        lanes = {t.get_text(): t.get_position()[1] for t in marks[0].axes.get_yticklabels()}
        assert x == 50.0 and y == lanes[SOURCE] + 0.2  # at the timeout, above the sender's lane
        marks[0].figure.canvas.draw()                  # labels are placed when the figure is drawn
        assert "kept (m,1)" in [t.get_text() for t in drawn["labels"]]
    finally:
        plt.close("all")


def test_a_later_trigger_waits_until_the_senders_barrier_is_out():
    # Checkpoints every 5 ms expiring after 35 ms: checkpoint 1 (triggered at 10) expires at 45 and
    # checkpoint 2 is triggered then, while the source still waits for a credit in checkpoint 1's
    # send (deadline 10 + 40 = 50). Made urgent only to be woken at the deadline, the source runs
    # no mail meanwhile (Flink queues barrier 1 before any later trigger is taken): at 50 barrier 1
    # overtakes the queued [m], unaligned, and every later barrier leaves after it, ids increasing.
    r = run("faults=[]", "checkpointing.interval=5ms", "checkpointing.timeout=35ms",
            "checkpointing.tolerable_failures=100", "run.until=200ms")
    sent = [e for e in r.trace.of("barrier_send") if e["task"] == SOURCE]
    assert (sent[0]["checkpoint"], sent[0]["t"], sent[0]["unaligned"], sent[0].get("overtook")) == (1, 50.0, True, 1)
    ids = [e["checkpoint"] for e in sent]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
