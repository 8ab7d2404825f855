"""The job lifecycle (docs/lifecycle.md): savepoints, stop, cancel, submit, rescaling."""
from types import SimpleNamespace

import pytest

from sim import ScenarioError, load_text, run
from sim.runtime.checkpoint_store import CompletedCheckpoint, TaskSnapshot
from sim.runtime.keygroups import java_string_hash, key_group, operator_index
from sim.runtime.rescale import restored_state

from .conftest import HELLO as _HELLO

# the first checkpoint exactly one interval after each (re)start, restarts after exactly 1 s:
# the times below are worked out from these
HELLO = _HELLO.replace("checkpointing: {interval: 1s}", "checkpointing: {interval: 1s, initial_delay: 1s}\n"
                       "restart: {strategy: fixed_delay, delay: 1s}")


def lifecycle(text: str, actions: str, **subs) -> str:
    for old, new in subs.items():
        text = text.replace(old, new)
    return text + "lifecycle:\n" + actions


def test_keys_are_routed_and_redistributed_by_key_group_ranges():
    # Java's "hello".hashCode() = 104*31^4 + 101*31^3 + 108*31^2 + 108*31 + 111 = 99162322 (and
    # "world" 113318802); the key group is murmurHash(hashCode) % 128, and subtask i of n owns the
    # key groups kg with kg * n // 128 == i: contiguous ranges, so going from 2 to 4 subtasks splits
    # each old range in two.
    assert (java_string_hash("hello"), java_string_hash("world")) == (99162322, 113318802)
    for word in ("hello", "world", "a", "b", "apple"):
        kg = key_group(word, 128)
        assert [operator_index(word, 128, n) for n in (1, 2, 4)] == [0, kg * 2 // 128, kg * 4 // 128]
        assert operator_index(word, 128, 4) // 2 == operator_index(word, 128, 2)
    # a checkpoint of 2 count subtasks restored into 4: each count goes to the subtask that owns its key
    hello, world = operator_index("hello", 128, 4), operator_index("world", 128, 4)
    assert hello != world
    cp = CompletedCheckpoint(3, 0.0, 0.0, {"count[0]": TaskSnapshot({"count": {"hello": 5}}),
                                           "count[1]": TaskSnapshot({"count": {"world": 7}})})
    op = SimpleNamespace(name="count", type="keyed_sum", max_parallelism=128)
    got = [restored_state(cp, SimpleNamespace(name=f"count[{i}]", ops=[op], index=i, parallelism=4), True)
           for i in range(4)]
    want = [{"count": {}} for _ in range(4)]
    want[hello]["count"]["hello"], want[world]["count"]["world"] = 5, 7
    assert got == want


def test_sink_state_goes_round_robin_and_kafka_sink_keeps_the_restored_id():
    # four old sink subtasks into two: old j goes to new j % 2 -> new 0 gets old 0 and 2, new 1 old 1 and 3
    snaps = {f"sink[{j}]": TaskSnapshot({"sink": {"pending": [(4, f"t{j}")], "prefix": "p", "checkpoint": 4}})
             for j in range(4)}
    cp = CompletedCheckpoint(4, 0.0, 0.0, snaps)
    op = SimpleNamespace(name="sink", type="kafka_sink", implementation="KafkaSink")
    got = [restored_state(cp, SimpleNamespace(name=f"sink[{i}]", ops=[op], index=i, parallelism=2), True)["sink"]
           for i in range(2)]
    assert got == [{"pending": [(4, "t0"), (4, "t2")], "prefix": "p", "checkpoint": 4},
                   {"pending": [(4, "t1"), (4, "t3")], "prefix": "p", "checkpoint": 4}]


def test_savepoint_ids_continue_and_stop_leaves_nothing_open():
    # checkpoint 1 at 1000 ms; sp1 is checkpoint 2 at 1200 ms; stop-with-savepoint sp2 is checkpoint 3
    # at 2000 ms; the job finishes and the legacy sink aborts its current, empty transaction on close.
    # Submitted from sp2 at 3000 ms, the next checkpoint is 3 + 1 = 4 (at 4000 ms).
    text = lifecycle(HELLO, "  - {at: 1200, savepoint: sp1}\n  - {at: 2000, stop: {savepoint: sp2}}\n"
                            "  - {at: 3000, submit: {from: sp2}}\n")
    r = run(load_text(text + "run: {until: 4500ms}\n"))
    assert r.report["savepoints"] == [{"name": "sp1", "checkpoint": 2, "t": 1202.1044},
                                      {"name": "sp2", "checkpoint": 3, "t": 2002.1044}]
    finished = r.trace.first("job_finished")
    assert finished["open_transactions"] == [] and finished["savepoint"] == "sp2"
    assert "closed: the job finished" in r.trace.first("txn_abort")["cause"]
    assert [c["id"] for c in r.report["checkpoints"]] == [1, 2, 3, 4]
    assert r.report["submissions"] == [{"t": 3000.0, "from": "sp2", "parallelism": 1, "checkpoint": 3,
                                        "error": None}]
    assert r.report["exactly_once"]["ok"]


def test_cancel_leaves_transactions_open_and_retention_decides_what_is_left():
    # a record at 1200 ms goes into the sink's open transaction sink[0]#2 (checkpoint 1 was at 1000 ms);
    # the cancel at 1500 ms leaves it open on the broker. Retention none (Flink's default) keeps no checkpoint, so a
    # submit from latest_checkpoint has nothing to start from; retain_on_cancellation keeps checkpoint 1.
    base = HELLO.replace("  - {topic: in, at: 300, value: hello}\n",
                         "  - {topic: in, at: 300, value: hello}\n  - {topic: in, at: 1200, value: hello}\n")
    actions = "  - {at: 1500, cancel: true}\n  - {at: 2000, submit: {from: latest_checkpoint}}\n"
    gone = run(load_text(lifecycle(base, actions) + "run: {until: 2500ms}\n"))
    kept = run(load_text(lifecycle(base, actions, **{"initial_delay: 1s}": "initial_delay: 1s, retention: "
                                                                            "retain_on_cancellation}"}) +
                         "run: {until: 2500ms}\n"))
    cancelled = gone.trace.first("job_cancelled")
    assert cancelled["open_transactions"] == ["sink[0]#2"] and cancelled["retained_checkpoints"] == []
    assert "no retained checkpoint" in gone.report["submissions"][0]["error"]
    assert kept.trace.first("job_cancelled")["retained_checkpoints"] == [1]
    assert kept.report["submissions"][0]["checkpoint"] == 1 and kept.report["submissions"][0]["error"] is None


def legacy_wide(new_parallelism: int):
    text = HELLO.replace("parallelism: 1", "parallelism: 12").replace("interval: 1s, initial_delay: 1s", "interval: 10s, initial_delay: 10s")
    return run(load_text(lifecycle(text, "  - {at: 500, cancel: true}\n"
                                         f"  - {{at: 600, submit: {{from: none, parallelism: {new_parallelism}}}}}\n")
                         + "run: {until: 700ms}\n"))


@pytest.mark.parametrize("parallelism, lingering", [
    # 12 -> 2 (6x): new subtask i aborts the ids of subtasks i + 2j, j < 5: 0..9; 10 and 11 linger
    (2, ["sink[10]#1", "sink[11]#1"]),
    # 12 -> 3 (4x): i + 3j, j < 5 covers 0..14: nothing lingers
    (3, []),
])
def test_the_legacy_sink_leaves_transactions_behind_after_a_scale_down_beyond_5x(parallelism, lingering):
    # Each of the 12 legacy sink subtasks opens a transaction (sink-i-0) at start; the job is cancelled
    # before any checkpoint and submitted again without state.
    r = legacy_wide(parallelism)
    old = {t["id"]: t["status"] for t in r.report["transactions"] if t["began"] == 0}
    assert sorted(k for k, v in old.items() if v == "open") == lingering
    assert len(old) == 12


def test_a_partition_missing_from_the_restored_state_starts_from_the_earliest():
    # partition 1 is added at 1500 ms, after checkpoint 1 (1000 ms); the crash at 2000 ms restores
    # checkpoint 1, which has no offset for it: earliest (offset 0), whatever start_from says (latest).
    text = HELLO.replace("in: {partitions: 1}", "in: {partitions: 1, grow: [{at: 1500, partitions: 2}]}")
    text = text.replace("start_from: earliest", "start_from: latest, parallelism: 1")
    r = run(load_text(text + "faults:\n  - {at: 2000, crash: source}\nrun: {until: 3500ms}\n"))
    reset = [e for e in r.trace.of("source_offset_reset") if e["partition"] == 1]
    assert [(e["offset"], e["cause"]) for e in reset] == [(0, "not in the checkpoint: earliest")]


@pytest.mark.parametrize("actions, message", [
    ("  - {at: 1s, submit: {from: none}}\n", "still running"),
    ("  - {at: 1s, cancel: true}\n  - {at: 2s, savepoint: sp}\n", "not running"),
    ("  - {at: 1s, cancel: true}\n  - {at: 2s, submit: {from: sp9}}\n", "earlier savepoint"),
    ("  - {at: 2s, savepoint: a}\n  - {at: 1s, cancel: true}\n", "time order"),
    ("  - {at: 1s, savepoint: a}\n  - {at: 2s, stop: {savepoint: a}}\n", "used twice"),
    ("  - {at: 1s, cancel: false}\n", "cancel"),
])
def test_impossible_lifecycles_are_scenario_errors(actions, message):
    with pytest.raises(ScenarioError) as err:
        load_text(lifecycle(HELLO, actions))
    assert message in str(err.value) and "lifecycle" in str(err.value)


def test_a_savepoint_outlives_retention_and_a_new_prefix_still_probes_the_restored_one():
    # Retention none deletes the checkpoints at the cancel (1500 ms), but savepoint sp (checkpoint 2,
    # 1200 ms) is the user's: the submit at 2000 ms starts from it. KafkaSink was renamed wc -> wc2; the
    # restored state names wc, so the writer probes both from sp + 1 = 3: wc-0-3 (the open transaction
    # of checkpoint 3's period, holding the record of 1300 ms) is aborted, wc-0-4 was never used.
    text = HELLO.replace("implementation: FlinkKafkaProducer,", "implementation: KafkaSink, transactional_id_prefix: wc,")
    text = text.replace("  - {topic: in, at: 300, value: hello}\n",
                        "  - {topic: in, at: 300, value: hello}\n  - {topic: in, at: 1300, value: world}\n")
    r = run(load_text(lifecycle(text, "  - {at: 1200, savepoint: sp}\n  - {at: 1500, cancel: true}\n"
                                      "  - {at: 2000, submit: {from: sp, transactional_id_prefix: wc2}}\n")
                      + "run: {until: 3500ms}\n"))
    assert r.trace.first("job_cancelled")["retained_checkpoints"] == []
    assert r.report["submissions"][0]["checkpoint"] == 2
    probes = [(e["prefix"], e["subtask"], e["first"], e["unused"]) for e in r.trace.of("txn_probe") if e["t"] == 2000]
    assert probes == [("wc2", 0, 3, 3), ("wc", 0, 3, 4), ("wc", 1, 3, 3)]
    assert r.trace.first("txn_abort", txn="sink[0]#2")["t"] == 2000
    assert r.report["exactly_once"]["ok"]
