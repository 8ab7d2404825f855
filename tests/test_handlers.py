"""Barrier handlers driven item by item (docs/rules.md: barriers).

Every expected value below was worked out by hand from the rules; the comment under each case
walks through it. ``gate()`` runs a ``kind: gate`` scenario (indexes are positions in ``seq``;
item i arrives at time i unless ``at:`` says otherwise).
"""
import pytest
import yaml

from sim import simulate
from sim.analysis.gate import gate_result
from sim.scenario import parse_scenario
from hypothesis import given, settings, strategies as st

from sim.snapshot import Abort, Aligned, Aligner, AtLeastOnceTracker, Barrier, Block, Emit, Trigger, Unblock


def gate(seq, channels=2, handler="aligned", **kw):
    data = {"kind": "gate", "name": "t", "channels": channels, "handler": handler, "sequence": seq, **kw}
    scenario = parse_scenario(yaml.safe_dump(data), "t.yaml")
    return gate_result(simulate(scenario).trace)


def check(result, emitted=None, triggered=(), aborted=(), blocked_after=None, persisted=None):
    if emitted is not None:
        assert result["emitted"] == emitted
    assert result["triggered"] == list(triggered)
    assert result["aborted"] == [list(a) for a in aborted]
    if blocked_after is not None:
        assert result["blocked_after"] == blocked_after
    if persisted is not None:
        assert result["persisted"] == persisted


BOTH = pytest.mark.parametrize("alignment", ["buffer", "block"])


# ------------------------------------------------------------------------------------ aligned
def test_design_example_three_channels_buffer():
    # BAR(1,1), BAR(1,2) block 1 and 2; B2 (4) and B1 (5) are held; B0 (6) passes; BAR(1,0) completes
    # the alignment: trigger, then 4 and 5 in arrival order, then B0 (8).
    r = gate(["B0", "B2", "BAR(1,1)", "BAR(1,2)", "B2", "B1", "B0", "BAR(1,0)", "B0"], 3, alignment="buffer")
    check(r, [0, 1, 6, 4, 5, 8], [1], (), [[], [], [1], [1, 2], [1, 2], [1, 2], [1, 2], [], []])
    assert r["stored"] == [4, 5]


@BOTH
def test_two_channels_hold_the_aligned_channel(alignment):
    # 1 blocks ch0; B0 (2) is held; B1 (3) passes; BAR(1,1) triggers and releases 2; then 5.
    r = gate(["B0", "BAR(1,0)", "B0", "B1", "BAR(1,1)", "B0"], alignment=alignment)
    check(r, [0, 3, 2, 5], [1], (), [[], [0], [0], [0], [], []])


@BOTH
def test_higher_barrier_subsumes(alignment):
    # BAR(2,1) during the alignment of 1: abort 1 (subsumed), release ch0 (B0 at 1 goes), align 2 on
    # ch1; B1 (3) is held until BAR(2,0) triggers 2.
    r = gate(["BAR(1,0)", "B0", "BAR(2,1)", "B1", "BAR(2,0)", "B1"], alignment=alignment)
    check(r, [1, 3, 5], [2], [(1, "subsumed")], [[0], [0], [1], [1], [], []])


@BOTH
def test_higher_barrier_on_the_other_channel_of_the_same_task(alignment):
    # 1 blocks ch0; BAR(2,1) subsumes 1 and blocks ch1; BAR(2,0) completes 2.
    r = gate(["BAR(1,0)", "BAR(2,1)", "BAR(2,0)"], alignment=alignment)
    check(r, [], [2], [(1, "subsumed")], [[0], [1], []])


@BOTH
def test_obsolete_barriers_are_ignored(alignment):
    # After checkpoint 2 completed, both barriers of 1 are old: ignored, nothing blocks.
    r = gate(["BAR(2,0)", "BAR(2,1)", "BAR(1,0)", "B0", "BAR(1,1)", "B1"], alignment=alignment)
    check(r, [3, 5], [2], (), [[0], [], [], [], [], []])


@BOTH
def test_lower_barrier_during_alignment_is_ignored(alignment):
    # Aligning 2 on ch0; BAR(1,1) is older: ignored and ch1 stays open (B1 passes).
    r = gate(["BAR(2,0)", "BAR(1,1)", "B1", "BAR(2,1)"], alignment=alignment)
    check(r, [2], [2], (), [[0], [0], [0], []])


@BOTH
def test_cancellation_marker_first(alignment):
    # CAN(1,0) before any barrier of 1: abort 1 (cancelled); the later BAR(1,1) is ignored.
    r = gate(["CAN(1,0)", "BAR(1,1)", "B1", "B0"], alignment=alignment)
    check(r, [2, 3], [], [(1, "cancelled")], [[], [], [], []])


@BOTH
def test_cancellation_marker_last(alignment):
    # 1 aligned on ch0 and ch1; CAN(1,2) aborts it and releases both; B0 (2) follows, then B1 (4).
    r = gate(["BAR(1,0)", "BAR(1,1)", "B0", "CAN(1,2)", "B1"], 3, alignment=alignment)
    check(r, [2, 4], [], [(1, "cancelled")], [[0], [0, 1], [0, 1], [], []])


@BOTH
def test_higher_cancellation_drops_lower_checkpoint_without_notice(alignment):
    # CAN(2,1) while aligning 1: 1 is dropped silently, 2 aborted; BAR(1,1) and BAR(2,0) are old.
    r = gate(["BAR(1,0)", "B0", "CAN(2,1)", "BAR(1,1)", "BAR(2,0)"], alignment=alignment)
    check(r, [1], [], [(2, "cancelled")], [[0], [0], [], [], []])


@BOTH
def test_lower_cancellation_is_ignored(alignment):
    r = gate(["BAR(2,0)", "CAN(1,1)", "BAR(2,1)"], alignment=alignment)
    check(r, [], [2], (), [[0], [0], []])


def test_end_of_partition_aborts_the_alignment_flink_before_1_15():
    # EOP(1) while 1 is aligning: abort (end_of_stream); the EOP is handed on before the replay of
    # B0 (1), as Flink 1.9's BarrierBuffer returns the event first; then B0 (3).
    r = gate(["BAR(1,0)", "B0", "EOP(1)", "B0"], alignment="buffer", end_of_partition="abort")
    check(r, [2, 1, 3], [], [(1, "end_of_stream")], [[0], [0], [], []])


def test_end_of_partition_counts_as_aligned_flink_1_15():
    # Same input, policy align: the closed ch1 counts as having delivered barrier 1: trigger.
    r = gate(["BAR(1,0)", "B0", "EOP(1)", "B0"], alignment="buffer", end_of_partition="align")
    check(r, [2, 1, 3], [1], (), [[0], [0], [], []])


@BOTH
def test_closed_channel_counts_as_aligned_for_later_checkpoints(alignment):
    # ch1 ended first: BAR(1,0) alone completes checkpoint 1, nothing ever blocks.
    r = gate(["EOP(1)", "B0", "BAR(1,0)", "B0"], alignment=alignment)
    check(r, [0, 1, 3], [1], (), [[], [], [], []])


def test_end_of_partition_on_a_blocked_channel_waits_block():
    # EOP(0) arrives behind BAR(1,0) on the blocked ch0: it waits; BAR(1,1) triggers; then EOP.
    r = gate(["BAR(1,0)", "EOP(0)", "BAR(1,1)"], alignment="block", end_of_partition="abort")
    check(r, [1], [1], (), [[0], [0], []])


def test_end_of_partition_on_a_blocked_channel_is_stored_buffer():
    # In buffer mode the EOP is stored like data and replayed after the trigger: no abort either.
    r = gate(["BAR(1,0)", "EOP(0)", "BAR(1,1)"], alignment="buffer", end_of_partition="abort")
    check(r, [1], [1], (), [[0], [0], []])
    assert r["stored"] == [1]


def test_one_channel_triggers_at_once_with_zero_alignment():
    r = gate(["B0", "BAR(1,0)", "B0", "BAR(2,0)"], 1)
    check(r, [0, 2], [1, 2], (), [[], [], [], []])
    assert r["alignments"] == {1: {"duration": 0.0, "processed_bytes": 0}, 2: {"duration": 0.0, "processed_bytes": 0}}


def test_alignment_statistics():
    # first barrier at t=0, last at t=3; 10 + 5 bytes processed on ch1 in between
    r = gate(["BAR(1,0)", "B1(10)", "B1(5)", "BAR(1,1)"], alignment="block")
    assert r["alignments"] == {1: {"duration": 3.0, "processed_bytes": 15}}


def test_alignment_limit_aborts_and_replays_the_crossing_item():
    # 6 bytes stored (<= 10); the next 6 make 12 > 10: abort (alignment_limit); both are replayed,
    # the crossing one included; BAR(1,1) then belongs to an aborted checkpoint: ignored.
    r = gate(["BAR(1,0)", "B0(6)", "B0(6)", "B1", "BAR(1,1)"], alignment="buffer", max_buffered_bytes=10)
    check(r, [1, 2, 3], [], [(1, "alignment_limit")], [[0], [0], [], [], []])


def test_replay_of_the_newest_stored_sequence_comes_first():
    # ch0, ch1 block for 1 and store BAR(2,0) B0 B1 BAR(2,1) B0. EOP(2) completes 1 (align policy):
    # trigger 1, EOP emitted, replay starts: BAR(2,0) blocks ch0 (2 aligning, ch2 closed), B0 (3)
    # is stored anew, B1 (4) passes, BAR(2,1) completes 2: the new sequence [3] goes before the
    # rest of the old one [6].
    seq = ["BAR(1,0)", "BAR(1,1)", "BAR(2,0)", "B0", "B1", "BAR(2,1)", "B0", "EOP(2)"]
    r = gate(seq, 3, alignment="buffer")
    check(r, [7, 4, 3, 6], [1, 2], (), [[0], [0, 1], [0, 1], [0, 1], [0, 1], [0, 1], [0, 1], []])


@BOTH
def test_long_mixed_sequence_aligned(alignment):
    # 1 aligns over ch0, ch1, ch2 and triggers at 6 (held B0 (2) follows); CAN(2,0) aborts 2, so
    # BAR(2,1) is ignored; ch2 ends; 3 aligns ch0 then ch1 (ch2 closed) and triggers at 13.
    seq = ["B0", "BAR(1,0)", "B0", "B1", "BAR(1,1)", "B2", "BAR(1,2)", "CAN(2,0)", "B1", "BAR(2,1)", "EOP(2)",
           "BAR(3,0)", "B0", "BAR(3,1)", "B0"]
    r = gate(seq, 3, alignment=alignment)
    check(r, [0, 3, 5, 2, 8, 10, 12, 14], [1, 3], [(2, "cancelled")],
          [[], [0], [0], [0], [0, 1], [0, 1], [], [], [], [], [], [0], [0], [], []])


# ------------------------------------------------------------------------------- at least once
def test_tracker_lets_records_through():
    r = gate(["B0", "BAR(1,0)", "B0", "B1", "BAR(1,1)", "B0"], handler="at_least_once")
    check(r, [0, 2, 3, 5], [1], (), [[]] * 6)


def test_tracker_tracks_several_and_drops_older_incomplete_silently():
    # 1 and 2 are both pending; 2 completes first: 1 is dropped without notice; BAR(1,1) is old.
    r = gate(["BAR(1,0)", "BAR(2,0)", "BAR(2,1)", "BAR(1,1)"], handler="at_least_once")
    check(r, [], [2], ())


def test_tracker_completes_interleaved_checkpoints_in_order():
    r = gate(["BAR(1,0)", "BAR(2,0)", "BAR(1,1)", "BAR(2,1)"], handler="at_least_once")
    check(r, [], [1, 2], ())


def test_tracker_cancellation_of_a_pending_checkpoint():
    r = gate(["BAR(1,0)", "CAN(1,1)", "BAR(2,0)", "BAR(2,1)"], handler="at_least_once")
    check(r, [], [2], [(1, "cancelled")])


def test_tracker_higher_cancellation_aborts_each_lower_with_its_own_notice():
    # docs/rules.md: barriers (tracker): CAN(2,1) first aborts every pending lower id with its own notice -- 1 is
    # pending ({ch0}) so (1, cancelled) -- then 2, never seen, is aborted and remembered ({ch1}, target
    # 2). BAR(1,1): id 1 <= latest 2 and not pending: ignored. BAR(2,0): counted into aborted 2,
    # which reaches its target and is removed without a trigger.
    r = gate(["BAR(1,0)", "CAN(2,1)", "BAR(1,1)", "BAR(2,0)"], handler="at_least_once")
    check(r, [], [], [(1, "cancelled"), (2, "cancelled")])


def test_tracker_cancellation_notice_at_most_once_per_checkpoint():
    # 3 channels. CAN(1,0) aborts pending 1 (notice); CAN(2,1) drops 1 (already aborted: no second
    # notice) and aborts 2; the markers of 2 on ch0 and ch2 are only counted; 3 then completes.
    seq = ["BAR(1,1)", "CAN(1,0)", "BAR(2,0)", "CAN(2,1)", "CAN(2,2)", "BAR(2,0)",
           "BAR(3,0)", "BAR(3,1)", "BAR(3,2)"]
    r = gate(seq, 3, handler="at_least_once")
    check(r, [], [3], [(1, "cancelled"), (2, "cancelled")])


def test_tracker_end_of_partition_abort_policy():
    r = gate(["BAR(1,0)", "EOP(1)", "B0"], handler="at_least_once", end_of_partition="abort")
    check(r, [1, 2], [], [(1, "end_of_stream")])


def test_tracker_end_of_partition_align_policy():
    # ch1 ends while 1 waits for it: ch1 counts as aligned, {0, 1} reaches the target 2: trigger.
    r = gate(["BAR(1,0)", "EOP(1)", "B0"], handler="at_least_once", end_of_partition="align")
    check(r, [1, 2], [1], ())


def test_tracker_channel_that_delivered_the_barrier_and_ended_counts_once():
    # BAR(1,0) (target 2, {0}); EOP(0) marks ch0 again: still {0}, nothing triggers (the old tracker
    # counted 1 barrier against 1 open channel and triggered here). B1 (2) is processed; BAR(1,1)
    # makes {0, 1}: trigger after it.
    r = gate(["BAR(1,0)", "EOP(0)", "B1", "BAR(1,1)"], handler="at_least_once")
    check(r, [1, 2], [1], ())
    assert r["trigger_after"] == {1: 3}


def test_tracker_end_of_partition_triggers_only_the_newest_complete():
    # 3 channels: 1 and 2 have both seen ch0 and ch1 (targets 3). EOP(2) marks ch2 newest first: 2
    # reaches 3 and is triggered; 1 is older and dropped without a trigger (the old tracker triggered
    # 1 and then 2).
    seq = ["BAR(1,0)", "BAR(1,1)", "BAR(2,0)", "BAR(2,1)", "EOP(2)"]
    r = gate(seq, 3, handler="at_least_once")
    check(r, [4], [2], ())


def test_tracker_one_channel():
    r = gate(["BAR(1,0)", "B0", "BAR(2,0)"], 1, handler="at_least_once")
    check(r, [1], [1, 2], ())


def test_tracker_long_mixed_sequence():
    # 1 and 2 pending (targets 3); BAR(1,1) -> 1 has {0,1}. CAN(2,1) aborts 1 with its own notice
    # and aborts 2 ({0,1} counted). EOP(2), newest first: 2 reaches {0,1,2}: removed, aborted so not
    # triggered. Two open channels remain: 3 (target 2) triggers on BAR(3,1).
    seq = ["BAR(1,0)", "B0", "BAR(2,0)", "BAR(1,1)", "B1", "CAN(2,1)", "EOP(2)", "B0", "BAR(3,0)", "BAR(3,1)"]
    r = gate(seq, 3, handler="at_least_once")
    check(r, [1, 4, 6, 7], [3], [(1, "cancelled"), (2, "cancelled")], [[]] * 10)


def test_tracker_tracks_at_most_fifty():
    # 51 ids seen once each on ch0: the oldest (1) is dropped from tracking, so its barrier on ch1 is
    # ignored (1 <= latest); 2 is still tracked and completes on BAR(2,1).
    seq = [f"BAR({i},0)" for i in range(1, 52)] + ["BAR(1,1)", "BAR(2,1)"]
    r = gate(seq, handler="at_least_once")
    check(r, [], [2], ())


# ------------------------------------------------------------------------------------ unaligned
def test_unaligned_triggers_on_first_barrier_and_records_channel_state():
    # BAR(1,0) triggers at once; B1 (2) comes before ch1's barrier: persisted; B0 (3) does not.
    r = gate(["B0", "BAR(1,0)", "B1", "B0", "BAR(1,1)", "B1"], handler="unaligned")
    check(r, [0, 2, 3, 5], [1], (), [[]] * 6, {1: [2]})


def test_unaligned_barrier_overtakes_queued_buffers():
    # processing 1 ms: #0 is being processed when #1, #2 and the barrier arrive; at t=1 the barrier
    # overtakes #1 and #2 (persisted, then processed); #4 precedes ch1's barrier: persisted too.
    seq = [{"item": "B0", "at": 0}, {"item": "B0", "at": 0}, {"item": "B0", "at": 0},
           {"item": "BAR(1,0)", "at": 0}, {"item": "B1", "at": 5}, {"item": "BAR(1,1)", "at": 6}]
    r = gate(seq, handler="unaligned", processing_time=1)
    check(r, [0, 1, 2, 4], [1], (), None, {1: [1, 2, 4]})


def test_unaligned_subsumed():
    r = gate(["BAR(1,0)", "B1", "BAR(2,1)", "B0", "BAR(2,0)"], handler="unaligned")
    check(r, [1, 3], [1, 2], [(1, "subsumed")], None, {1: [1], 2: [3]})


def test_unaligned_cancelled_stops_recording():
    r = gate(["BAR(1,0)", "CAN(1,1)", "B1"], handler="unaligned")
    check(r, [2], [1], [(1, "cancelled")], None, {})


def test_unaligned_end_of_partition_completes():
    # B1 precedes ch1's end: persisted; the closed ch1 counts as aligned, completing 1.
    r = gate(["BAR(1,0)", "B1", "EOP(1)", "B0"], handler="unaligned")
    check(r, [1, 2, 3], [1], (), None, {1: [1]})


def test_unaligned_long_mixed_sequence():
    # 1 triggers on ch0; B1, B2 and the B2 before ch2's barrier are persisted; ch0 ends; CAN(2,1)
    # aborts 2; 3 triggers on ch1 (ch0 closed) and records B2 (10) until BAR(3,2).
    seq = ["BAR(1,0)", "B1", "B2", "BAR(1,1)", "B2", "BAR(1,2)", "EOP(0)", "CAN(2,1)", "B1", "BAR(3,1)", "B2",
           "BAR(3,2)"]
    r = gate(seq, 3, handler="unaligned")
    check(r, [1, 2, 4, 6, 8, 10], [1, 3], [(2, "cancelled")], [[]] * 12, {1: [1, 2, 4], 3: [10]})


# ----------------------------------------------------------------------------------- alternating
def test_alternating_active_timeout_switches_to_unaligned():
    # timer at 0 + 3; until then ch0 is blocked (B0 at 1 waits) and B1 (2) passes. At t=3 the timer
    # fires: trigger (unaligned), ch0 released: B0 (1) follows, B1 (3) and B1 (4) precede ch1's
    # barrier: persisted. BAR(1,1) (5) completes the checkpoint.
    r = gate(["BAR(1,0)", "B0", "B1", "B1", "B1", "BAR(1,1)"], handler="alternating", aligned_timeout=3)
    check(r, [2, 1, 3, 4], [1], (), [[0], [0], [0], [], [], []], {1: [3, 4]})


def test_alternating_passive_timeout_on_a_late_barrier():
    # created at 0, timeout 2: BAR(1,0) arrives at 2, already late: unaligned at once.
    r = gate(["B1", "B1", "BAR(1,0)", "B1", "BAR(1,1)"], handler="alternating", aligned_timeout=2, created={1: 0})
    check(r, [0, 1, 3], [1], (), [[]] * 5, {1: [3]})


def test_alternating_unaligned_barrier_from_upstream_and_next_checkpoint_aligned_again():
    # 1 starts aligned (ch0 blocked); UBAR(1,1) arrives unaligned: switch at once; B2 precedes ch2's
    # barrier: persisted. Checkpoint 2 starts aligned again: B0 (5) waits for BAR(2,2).
    seq = ["BAR(1,0)", "UBAR(1,1)", "B2", "BAR(1,2)", "BAR(2,0)", "B0", "BAR(2,1)", "BAR(2,2)"]
    r = gate(seq, 3, handler="alternating", aligned_timeout=100)
    check(r, [2, 5], [1, 2], (), [[0], [], [], [], [0], [0], [0, 1], []], {1: [2]})


def test_alternating_aligned_in_time_stays_aligned():
    r = gate(["BAR(1,0)", "B0", "BAR(1,1)"], handler="alternating", aligned_timeout=10)
    check(r, [1], [1], (), [[0], [0], []], {})


# ----------------------------------------------------------------- direct calls, no scenario at all
def test_handler_objects_answer_with_actions():
    h = Aligner(2, "block")
    b = Barrier(1)
    assert h.on_barrier(0, b, 0.0) == [Block(0, 1)]
    assert not h.fast
    assert h.on_barrier(1, b, 2.5) == [Aligned(1, 2.5, 0), Trigger(1), Unblock(0)]
    assert h.fast
    t = AtLeastOnceTracker(2)
    assert t.on_buffer(1, ["x"], 0.0) == [Emit(1, ["x"])]
    assert t.on_barrier(0, Barrier(3), 0.0) == []
    assert t.on_barrier(1, Barrier(3), 1.0) == [Aligned(3, 1.0, 0), Trigger(3)]


def test_handlers_refuse_reading_a_blocked_channel_in_block_mode():
    h = Aligner(2, "block")
    h.on_barrier(0, Barrier(1), 0.0)
    with pytest.raises(RuntimeError):
        h.on_buffer(0, ["late"], 1.0)


def test_trigger_of_unaligned_checkpoint_is_marked():
    h = Aligner(2, "block", aligned_timeout=0.0)
    actions = h.on_barrier(0, Barrier(1), 0.0, overtaken=[["a"]])
    assert actions[0] == Trigger(1, unaligned=True)
    assert [type(a).__name__ for a in actions] == ["Trigger", "Persist"]
    assert not any(isinstance(a, Abort) for a in actions)


# ------------------------------------------------------------------------------------ properties
@st.composite
def sequences(draw):
    """Per-channel streams (data, increasing barrier ids or markers, maybe a final EOP), interleaved."""
    channels = draw(st.integers(2, 4))
    streams = []
    for ch in range(channels):
        items, cid = [], 0
        for _ in range(draw(st.integers(0, 10))):
            kind = draw(st.sampled_from(["B", "B", "B", "BAR", "CAN"]))
            if kind == "B":
                items.append(f"B{ch}({draw(st.integers(1, 5))})")
            else:
                cid += draw(st.integers(1, 2))
                items.append(f"{kind}({cid},{ch})")
        if draw(st.booleans()):
            items.append(f"EOP({ch})")
        streams.append(items)
    order = draw(st.permutations([ch for ch, items in enumerate(streams) for _ in items]))
    pos = [0] * channels
    seq = []
    for ch in order:
        seq.append(streams[ch][pos[ch]])
        pos[ch] += 1
    return channels, seq or ["B0"]


def _actions(seq, channels, **kw):
    data = {"kind": "gate", "name": "p", "channels": channels, "sequence": seq, **kw}
    trace = simulate(parse_scenario(yaml.safe_dump(data), "p.yaml")).trace
    return [(e["index"], a) for e in trace if e["kind"] in ("gate_item", "gate_timer") for a in e["actions"]]


def _channel_of(text):
    return int(text[1]) if text[1].isdigit() else None


@settings(max_examples=300, deadline=None)
@given(sequences(), st.sampled_from(["buffer", "block"]), st.sampled_from(["align", "abort"]))
def test_aligned_never_emits_a_record_behind_a_barrier_before_trigger_or_abort(case, alignment, eop):
    channels, seq = case
    blocked, emitted, last = set(), set(), {}
    for _, action in _actions(seq, channels, alignment=alignment, end_of_partition=eop):
        if action[0] == "block":
            blocked.add(action[1])
        elif action[0] == "unblock":
            blocked.discard(action[1])
        elif action[0] == "emit":
            idx = action[1]
            ch = _channel_of(seq[idx])
            if ch is None:
                continue
            assert ch not in blocked, f"B{ch} (item {idx}) emitted while its channel is aligned"
            assert idx not in emitted
            assert idx > last.get(ch, -1), "records of one channel keep their order"
            emitted.add(idx)
            last[ch] = idx


@settings(max_examples=150, deadline=None)
@given(sequences())
def test_at_least_once_and_unaligned_emit_everything_in_arrival_order(case):
    channels, seq = case
    data = [i for i, item in enumerate(seq) if item[1].isdigit() or item.startswith("EOP")]
    for handler in ("at_least_once", "unaligned"):
        emitted = [a[1] for _, a in _actions(seq, channels, handler=handler) if a[0] == "emit"]
        assert emitted == data
