"""The state at an instant, rebuilt from the trace alone (issue 19).

Expected values are worked out from the scenarios' rules (latency 1 ms, processing 0.1 ms per
record, split 50 ms in the shuffle scenario), written next to each assertion.
"""
import pytest

import sim
from sim import Trace
from sim.analysis.state import Timeline, state_at

from .conftest import SCENARIOS


@pytest.fixture(scope="module")
def crash():
    return Timeline(sim.run(SCENARIOS / "hello_world_crash.yaml").trace)


@pytest.fixture(scope="module")
def shuffle():
    return Timeline(sim.run(SCENARIOS / "recovery" / "shuffle_crash_exactly_once.yaml").trace)


def task(state, name):
    return next(t for t in state["tasks"] if t["name"] == name)


C0, C1 = "count->format->sink[0]", "count->format->sink[1]"      # count, format and sink are chained


def channel(state, name):
    dst = name.split("]->", 1)[1]
    return next(c for c in task(state, dst)["channels"] if c["name"] == name)


def labels(ch):
    return [(i["label"], i["arrived"]) for i in ch["items"]]


def test_barrier_in_flight_towards_count(crash):
    # Checkpoint 1 triggers at 150 ms (interval 150ms); split receives the barrier at 151 and
    # forwards it at once, so at 151.5 each of count's two channels holds barrier 1 in flight
    # (arrives 152). count[0] counted the first hello at ~102 ms: {hello: 1}.
    s = crash.at(151.5)
    for src in ("split[0]", "split[1]"):
        assert labels(channel(s, f"{src}->{C0}")) == [("barrier 1", False)]
    assert task(s, C0)["state"] == {"count": {"hello": 1}}
    assert task(s, C1)["state"] == {"count": {}}
    cp = s["checkpoints"][0]
    # The source acknowledged (snapshot at 150, ack 151.1); every other task is awaited.
    assert (cp["id"], cp["status"], cp["acked"]) == (1, "in progress", ["source[0]"])
    assert C0 in cp["waiting"] and "source[0]" not in cp["waiting"]


def test_world_in_flight_and_queued(crash):
    # world is read at 200, sent by the source at 200.1 to split[1] (arrives 201.1), processed at
    # 201.2 and sent on to count[1] (arrives 202.2): at 201.5 it is in flight to count[1] ...
    s = crash.at(201.5)
    assert labels(channel(s, f"split[1]->{C1}")) == [("(world, 1)", False)]
    # ... at 202.2 it arrives and the chain count->format->sink takes it at once (record_receive):
    # at 202.25 it is out of the channel and in hand; three operators of 0.1 ms each: counted at 202.5.
    s = crash.at(202.25)
    assert labels(channel(s, f"split[1]->{C1}")) == []
    assert task(s, C1)["in_hand"]["label"] == "(world, 1)"
    assert task(s, C1)["state"] == {"count": {}}
    s = crash.at(202.5)
    assert task(s, C1)["state"] == {"count": {"world": 1}} and task(s, C1)["in_hand"] is None


def test_the_crash_and_what_it_loses(crash):
    # split crashes on its third record (the second hello, read at 290, reaches split[0] at 291.1).
    s = crash.at(291.1)
    assert s["job"]["status"] == "failing over"
    assert task(s, "split[0]")["status"] == "crashed"
    assert task(s, "split[1]")["status"] == "cancelled"
    f = s["failure"]
    assert f["crashed"] == ["split[0]"]
    assert f["dropped"] == [{"where": "split[0]", "items": ["hello"], "in_hand": True}]
    # world:::1 was written at 204.5 into sink[1]'s transaction opened at checkpoint 1 (154 ms):
    # open at the crash, so it will be aborted; count[1] held world=1 that checkpoint 1 lacks.
    assert {x["txn"]: x["records"] for x in f["open_txns"]} == {"sink[0]#2": 0, "sink[1]#2": 1}
    assert f["states"] == {C0: {"count": {"hello": 1}}, C1: {"count": {"world": 1}}}
    # Output partition: hello:::1 at 0, commit marker of sink[0]#1 at 1, world:::1 at 2 -> the
    # high watermark is 3 and the last stable offset stops at the open transaction's first offset 2.
    out = next(p for p in s["partitions"] if p["topic"] == "flink_kafka2")
    assert (out["hw"], out["lso"], out["open"]) == (3, 2, ["sink[1]#2"])
    assert s["readers"]["committed"]["read"] == ["hello:::1"]
    assert s["readers"]["dirty"]["read"] == ["hello:::1", "world:::1"]


def test_the_restore_and_what_is_replayed(crash):
    # restart delay 200 ms: attempt 2 at 491.1 from checkpoint 1 (offset 1, count hello=1 / {}).
    s = crash.at(491.1)
    r = s["restore"]
    assert (r["t"], r["attempt"], r["checkpoint"], r["offsets"]) == (491.1, 2, 1, {"flink_kafka-0": 1})
    assert task(s, C0)["state"] == {"count": {"hello": 1}} and task(s, C1)["state"] == {"count": {}}
    # The source starts at offset 1 and reads world (offset 1) at once: next offset 2.
    assert task(s, "source[0]")["position"] == {"flink_kafka-0": 2}
    assert [(a["txn"], a["records"]) for a in r["aborted"]] == [("sink[0]#2", 0), ("sink[1]#2", 1)]
    # Aborting sink[1]#2 writes an abort marker at offset 3: high watermark 4, nothing open.
    out = next(p for p in s["partitions"] if p["topic"] == "flink_kafka2")
    assert (out["hw"], out["lso"]) == (4, 4)
    # The source re-reads offsets 1 and 2 (world, hello); their records are marked as replayed.
    s = crash.at(493.0)
    assert s["restore"]["replayed"] == ["world", "hello"]
    ch = channel(s, f"split[0]->{C0}")
    assert [(i["label"], i["replay"]) for i in ch["items"]] == [("(hello, 1)", True)]


def test_end_of_run(crash):
    # Records at 0, 2, 4, 5; markers at 1 (commit), 3 (abort), 6 and 7 (the two commits of
    # checkpoint 2): high watermark 8, nothing open.
    s = crash.at(10_000)
    out = next(p for p in s["partitions"] if p["topic"] == "flink_kafka2")
    assert (out["hw"], out["lso"]) == (8, 8)
    assert [e.get("marker") or e["value"] for e in out["entries"]] == [
        "hello:::1", "COMMIT", "world:::1", "ABORT", "world:::1", "hello:::2", "COMMIT", "COMMIT"]
    assert s["readers"]["committed"]["read"] == ["hello:::1", "world:::1", "hello:::2"]
    assert s["job"]["status"] == "finished"
    assert [(c["id"], c["status"]) for c in s["checkpoints"]] == [(1, "completed"), (2, "completed")]


def test_alignment_blocks_the_channel_and_holds_what_queues_behind(shuffle):
    # count[0] gets barrier 1 from split[0] at 1002 and blocks that channel; split[0] takes 50 ms
    # a record, so the second hello (read at 1005) reaches count at 1057.1 and waits behind the
    # block until split[1]'s barrier arrives (~1202). At 1100 the alignment is in progress.
    s = shuffle.at(1100)
    count = task(s, "count[0]")
    assert count["alignment"] == {"checkpoint": 1, "since": 1002.0, "first": "split[0]->count[0]"}
    assert count["blocked"] and channel(s, "split[0]->count[0]")["blocked"]
    assert labels(channel(s, "split[0]->count[0]")) == [("(hello, 1)", True)]
    assert not channel(s, "split[1]->count[0]")["blocked"]
    # x records were counted while aligning: 950 and 960 were processed by 1052.2 -> x=2.
    # (this scenario turns chaining off: count is a task of its own)
    assert count["state"] == {"count": {"hello": 1, "x": 2}}
    # After the alignment ends the channel is released and the held hello is counted (1202.4).
    s = shuffle.at(1203)
    assert not channel(s, "split[0]->count[0]")["blocked"]
    assert channel(s, "split[0]->count[0]")["items"] == []
    assert task(s, "count[0]")["state"]["count"]["hello"] == 2


def _events(*rows):
    return [{"t": 0.0, "kind": "run_start", "level": "full", "tasks": ["a[0]", "b[0]", "c[0]"]}, *rows]


def send(t, src, dst, values, arrive):
    return {"t": t, "kind": "record_send", "task": src, "to": dst, "channel": f"{src}->{dst}",
            "n": len(values), "values": values, "arrive": arrive}


def test_channel_inferred_from_values_without_record_receive():
    # Two channels into c[0]; "y" arrived first on b's channel but c processed "x": the state
    # removes the matching head (a's channel) and keeps y queued.
    trace = Trace.from_events(_events(send(1, "a[0]", "c[0]", ["x"], 2), send(1, "b[0]", "c[0]", ["y"], 1.5),
                                      {"t": 3, "kind": "record_process", "task": "c[0]", "n": 1, "values": ["x"]}))
    s = state_at(trace, 3)
    assert labels(channel(s, "a[0]->c[0]")) == []
    assert labels(channel(s, "b[0]->c[0]")) == [("y", True)]


def test_record_receive_names_the_channel_when_present():
    trace = Trace.from_events(_events(send(1, "a[0]", "c[0]", ["x"], 2), send(1, "b[0]", "c[0]", ["x"], 1.5),
                                      {"t": 2, "kind": "record_receive", "task": "c[0]", "channel": "a[0]->c[0]", "n": 1},
                                      {"t": 3, "kind": "record_process", "task": "c[0]", "n": 1, "values": ["x"]}))
    s = state_at(trace, 3)
    assert labels(channel(s, "a[0]->c[0]")) == []
    assert labels(channel(s, "b[0]->c[0]")) == [("x", True)]


def test_buffer_alignment_moves_items_into_the_alignment_buffer():
    # alignment: buffer (Flink <= 1.9): the blocked channel's record is read and stored, then
    # processed from the buffer (replay=true) after the alignment.
    rows = [send(1, "a[0]", "c[0]", ["x"], 2),
            {"t": 2, "kind": "channel_block", "task": "c[0]", "channel": "a[0]->c[0]", "checkpoint": 1},
            {"t": 2.5, "kind": "record_buffered", "task": "c[0]", "channel": "a[0]->c[0]", "n": 1, "checkpoint": 1}]
    trace = Trace.from_events(_events(*rows))
    s = state_at(trace, 2.5)
    assert labels(channel(s, "a[0]->c[0]")) == [] and [i["label"] for i in task(s, "c[0]")["buffered"]] == ["x"]
    rows.append({"t": 4, "kind": "record_process", "task": "c[0]", "n": 1, "values": ["x"], "replay": True})
    assert task(state_at(Trace.from_events(_events(*rows)), 4), "c[0]")["buffered"] == []


def test_lower_trace_levels_say_what_they_lack():
    run = sim.run(sim.load_scenario(SCENARIOS / "hello_world_crash.yaml"), trace_level="control")
    s = state_at(run.trace, 151.5)
    assert "record hops are not kept" in s["notes"][0]
    # barriers are control events: still shown in the channel
    assert labels(channel(s, f"split[0]->{C0}")) == [("barrier 1", False)]
    # no record hops: the count is unknown before its first snapshot (152), then known as of it;
    # a source's read position is never guessed; a failure's in-flight loss is unknown.
    assert task(s, C0)["state"] is None and "not known" in task(s, C0)["state_source"]
    later = state_at(run.trace, 160)
    assert task(later, C0)["state"] == {"count": {"hello": 1}}
    assert "later updates are not in a control trace" in task(later, C0)["state_source"]
    assert task(later, "source[0]")["position"] == {}
    failure = state_at(run.trace, 291.1)["failure"]
    assert failure["dropped"] is None and failure["states"] is None
    assert {x["txn"]: x["records"] for x in failure["open_txns"]} == {"sink[0]#2": 0, "sink[1]#2": 1}
    run = sim.run(sim.load_scenario(SCENARIOS / "hello_world_crash.yaml"), trace_level="summary")
    s = state_at(run.trace, 300)
    assert "channels, barriers and operator state are not shown" in s["notes"][0]
    assert s["job"]["status"] == "failing over"
    # without kafka_append the records of the open transactions are unknown, not zero
    assert {x["txn"]: x["records"] for x in s["failure"]["open_txns"]} == {"sink[0]#2": None, "sink[1]#2": None}


def test_moments_to_step_to(crash):
    barriers = [m for m in crash.moments("barrier") if m["task"] == C0]
    assert [m["t"] for m in barriers] == [152.0, 152.0, 643.1, 643.1]
    assert [m["t"] for m in crash.moments("crash")] == [291.1, 291.1]
    assert [m["t"] for m in crash.moments("restore")] == [491.1]
    with pytest.raises(ValueError, match="unknown moment kind"):
        crash.moments("nap")


def test_unaligned_restore_puts_the_persisted_buffers_back_first():
    # Unaligned checkpoint 2: barrier 2 overtook buffers on source->split[0] -> count->format[0],
    # which became channel state; that channel only carries the words count[0] owns (key groups
    # kg * 2 // 128 == 0: b, c and e of a..e). The restore from checkpoint 2 (at 450 ms) puts them
    # back at the head of that channel, in order; the task takes the first at once.
    run = sim.run(SCENARIOS / "recovery" / "unaligned_inflight_restore.yaml")
    name = "source->split[0]->count->format[0]"
    persisted = [e["values"] for e in run.trace.of("buffer_persisted") if e["checkpoint"] == 2 and e["channel"] == name]
    assert len(persisted) >= 2 and {v[0][0] for v in persisted} <= {"b", "c", "e"}
    labels = [f"({v[0][0]}, {v[0][1]})" for v in persisted]
    s = state_at(run.trace, 450.0)
    assert s["restore"]["checkpoint"] == 2
    ch = channel(s, name)
    assert [(i["label"], i["replay"], i["restored"]) for i in ch["items"]][:len(labels) - 1] == \
        [(label, True, 2) for label in labels[1:]]
    assert task(s, "count->format[0]")["in_hand"]["label"] == labels[0]


def test_unaligned_restore_puts_the_senders_kept_output_back_after_the_receivers():
    # The same restore: at trigger 2 (200 ms) source->split[0] still held an output buffer for
    # count->format[0]; the unaligned barrier overtook it, so the sender kept it as channel state
    # (output_persisted). A restore puts the receiver's recorded buffers back first, then the
    # sender's (they were sent later): the channel's last restored item is the sender's, with its
    # values, not an anonymous "restored in-flight buffer".
    run = sim.run(SCENARIOS / "recovery" / "unaligned_inflight_restore.yaml")
    name = "source->split[0]->count->format[0]"
    kept = [e["values"] for e in run.trace.of("output_persisted") if e["checkpoint"] == 2 and e["channel"] == name]
    assert len(kept) == 1
    restored = [i for i in channel(state_at(run.trace, 450.0), name)["items"] if i.get("restored") == 2]
    assert restored[-1]["values"] == kept[0] and restored[-1]["label"] == f"({kept[0][0][0]}, {kept[0][0][1]})"


def test_region_failover_cancels_only_the_region():
    # Two disconnected pipelines a->b and c->d: c[0] fails and only its region {c[0], d[0]} goes
    # down; a->b keeps its queued record, c->d loses its own.
    rows = [send(1, "a[0]", "b[0]", ["x"], 2), send(1, "c[0]", "d[0]", ["y"], 2),
            {"t": 3, "kind": "task_crash", "task": "c[0]", "reason": "boom", "attempt": 1},
            {"t": 3, "kind": "job_failing", "task": "jobmanager", "attempt": 1, "reason": "boom",
             "dropped_in_flight": 1, "restarted": ["c[0]", "d[0]"]}]
    events = [{"t": 0.0, "kind": "run_start", "level": "full", "tasks": ["a[0]", "b[0]", "c[0]", "d[0]"]}, *rows]
    s = state_at(Trace.from_events(events), 3)
    assert labels(channel(s, "a[0]->b[0]")) == [("x", True)] and task(s, "b[0]")["status"] == "running"
    assert labels(channel(s, "c[0]->d[0]")) == [] and task(s, "d[0]")["status"] == "cancelled"
    assert s["failure"]["dropped"] == [{"where": "c[0]->d[0]", "items": ["y"]}]
    assert s["failure"]["restarted"] == ["c[0]", "d[0]"]
    rows.append({"t": 5, "kind": "job_restart", "task": "jobmanager", "attempt": 2, "checkpoint": None, "delay": 2})
    s = state_at(Trace.from_events(events + rows[-1:]), 5)
    assert [task(s, n)["status"] for n in ("a[0]", "b[0]", "c[0]", "d[0]")] == ["running"] * 4


def test_pick_keeps_crashes_and_restores(crash):
    # 4 instants out of many: the crash (291.1) and the restore (491.1) always, then two others
    picked = crash.pick(4)
    assert len(picked) == 4 and 291.1 in picked and 491.1 in picked
    assert crash.pick(10_000) == crash.times


def test_step_texts_write_states_as_the_pictures_do():
    # The pictures' labels write no state as 'none', an empty list as 'none' and a sink transaction
    # id sink[0]#3 as T3; a chain's state as operator{key:value}. The step texts use the same words,
    # never Python's None or a dict's quotes.
    from sim.analysis.describe import describe
    restore = {"t": 491.0, "kind": "state_restore", "task": "count->sink[0]", "checkpoint": 1,
               "state": {"count": {"hello": 1}, "sink": {"pending": [], "open": "sink[0]#3"}}}
    assert describe(restore) == "count->sink[0] restores count{hello:1} sink{pending:none, open:T3} from checkpoint 1"
    assert describe(dict(restore, task="split[0]", state=None)) == "split[0] restores none from checkpoint 1"
    snap = {"t": 400.0, "kind": "snapshot_sync_start", "task": "source[0]", "checkpoint": 1,
            "state": {"source": {"in-0": 2}}}
    assert describe(snap) == "source[0] snapshots checkpoint 1: source{in-0:2}"
    # and in a whole run with a crash and a restore: no step says None
    run = sim.run(sim.load_text((SCENARIOS / "hello_world_crash.yaml").read_text(), overrides=["run.trace=full"]))
    assert run.trace.of("state_restore") and not any("None" in describe(e) for e in run.trace)
