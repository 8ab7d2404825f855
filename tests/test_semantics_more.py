"""More rules: sink semantics, partitioners, user functions, alignment modes and snapshot timing in jobs."""
from collections import Counter

import pytest

import sim
from sim import FunctionRegistry, load_text, run, simulate

from .conftest import HELLO, SCENARIOS


def sink_job(semantic, linger, crash_at, interval="120ms"):
    text = HELLO.replace("transaction_timeout: 1min}", f"semantic: {semantic}, linger: {linger}}}") \
        .replace("interval: 1s", f"interval: {interval}")
    return load_text(text + f"faults:\n  - {{at: {crash_at}, crash: sink}}\n")


def test_at_least_once_sink_duplicates_what_it_replays():
    # checkpoints at 120 ms (offset 1) and 240 ms (offset 2, after world); hello@300 is written at
    # once (no linger, no transaction); the crash at 350 restores checkpoint 2 and replays offset 2:
    # the committed reader sees hello:::2 twice
    r = run(sink_job("at_least_once", 0, 350))
    values = r.report["consumers"]["committed"]
    assert Counter(values) == Counter({"hello:::1": 1, "world:::1": 1, "hello:::2": 2})
    assert [d["value"] for d in r.report["exactly_once"]["duplicates"]] == ["hello:::2"]


def test_at_least_once_flushes_on_the_barrier_but_none_does_not():
    # hello:::1 waits in the producer's batch (linger 50 ms) when barrier 1 passes the sink at
    # ~124 ms; the sink crashes at 130 ms. at_least_once flushed it on the barrier; none lost it,
    # and checkpoint 1 already counts hello as read: it is never replayed.
    flushed = run(sink_job("at_least_once", 50, 130))
    assert "hello:::1" in flushed.report["consumers"]["committed"]
    lost = run(sink_job("none", 50, 130))
    assert "hello:::1" not in lost.report["consumers"]["committed"]
    assert [x["value"] for x in lost.report["exactly_once"]["lost"]] == ["hello:::1"]


PARTITIONS = """
name: p
kafka: {topics: {in: {partitions: 1}, out: {partitions: 1}}}
input:
  - {topic: in, at: 0, value: "a b c d e f"}
job:
  parallelism: 3
  edges: EDGES
  operators:
    - {name: source, type: kafka_source, implementation: FlinkKafkaConsumer, topic: in, parallelism: 1, start_from: earliest}
    - {name: split, type: flat_map, function: split_words, parallelism: 1}
    - {name: up, type: map, function: identity}
    - {name: sink, type: kafka_sink, implementation: FlinkKafkaProducer, topic: out, parallelism: 1, semantic: at_least_once, linger: 0}
consumers:
  - {name: all, topic: out}
"""


def processed_by(trace, op):
    return {e["task"]: e["n"] for e in trace.of("record_process") if e["task"].startswith(op)}


@pytest.mark.parametrize("partitioner, expected", [("rebalance", {"up[0]": 2, "up[1]": 2, "up[2]": 2}),
                                                   ("broadcast", {"up[0]": 6, "up[1]": 6, "up[2]": 6})])
def test_rebalance_spreads_and_broadcast_copies(partitioner, expected):
    edges = (f"[{{from: source, to: split}}, {{from: split, to: up, partitioner: {partitioner}}}, "
             "{from: up, to: sink, partitioner: rebalance}]")
    trace = simulate(load_text(PARTITIONS.replace("EDGES", edges))).trace
    counts = Counter()
    for e in trace.of("record_process"):
        if e["task"].startswith("up"):
            counts[e["task"]] += e["n"]
    assert dict(counts) == expected


def test_user_functions_extend_the_registry():
    shout = FunctionRegistry().with_function("shout", lambda pair: f"{pair[0].upper()}:::{pair[1]}!", kind="map")
    text = HELLO.replace("function: format_count", "function: shout")
    with pytest.raises(sim.ScenarioError, match="unknown map function 'shout'"):
        load_text(text)
    r = sim.run(load_text(text, functions=shout), functions=shout)
    assert r.report["consumers"]["committed"] == ["HELLO:::1!", "WORLD:::1!", "HELLO:::2!"]


def test_buffer_alignment_in_a_job_stores_and_replays_and_stays_exactly_once():
    path = SCENARIOS / "recovery" / "shuffle_crash_exactly_once.yaml"
    r = run(sim.load_scenario(path, overrides=["checkpointing.alignment=buffer"]))
    assert r.report["exactly_once"]["ok"]
    stored = r.trace.of("record_buffered")
    assert stored and all(e["task"] == "count[0]" and e["checkpoint"] == 1 for e in stored)
    assert r.trace.of("record_process") and any(e["replay"] for e in r.trace.of("record_process"))


def test_aligned_timeout_in_a_job_switches_late_checkpoints_to_unaligned():
    path = SCENARIOS / "recovery" / "unaligned_inflight_restore.yaml"
    r = run(sim.load_scenario(path, overrides=["checkpointing.aligned_timeout=2ms",
                                               "job.processing_time.count=3ms"]))
    assert r.report["exactly_once"]["ok"]
    sends = r.trace.of("barrier_send")
    assert any(e["unaligned"] for e in sends) and any(not e["unaligned"] for e in sends)
    assert not any(e["unaligned"] for e in sends if e["task"].startswith("source"))   # sources start aligned


def test_snapshot_phases_follow_state_size_and_backend_speed():
    text = HELLO + "state_backend: {sync_base: 1ms, sync_bytes_per_ms: 100, async_base: 2ms, async_bytes_per_ms: 50, record_bytes: 100}\n"
    unchained = text.replace("  parallelism: 1", "  parallelism: 1\n  chaining: false")
    trace = simulate(load_text(unchained)).trace
    ends = {e["task"]: e for e in trace.of("snapshot_sync_end")}
    asyncs = {e["task"]: e for e in trace.of("snapshot_async_end")}
    # count holds hello and world at 1 s: 2 entries x 100 B: sync 1 + 200/100 ms, async 2 + 200/50 ms
    assert ends["count[0]"]["duration"] == pytest.approx(3.0)
    assert asyncs["count[0]"]["duration"] == pytest.approx(6.0)
    # a stateless task copies nothing: only the fixed costs
    assert ends["split[0]"]["duration"] == pytest.approx(1.0) and asyncs["split[0]"]["duration"] == pytest.approx(2.0)
    # chained, one snapshot holds every operator's state: count's 2 entries plus the sink's 2 (the
    # transaction pre-committed for checkpoint 1 and the one it opens) = 400 B: sync 1 + 4, async 2 + 8
    trace = simulate(load_text(text)).trace
    ends = {e["task"]: e for e in trace.of("snapshot_sync_end")}
    asyncs = {e["task"]: e for e in trace.of("snapshot_async_end")}
    assert ends["count->format->sink[0]"]["duration"] == pytest.approx(5.0)
    assert asyncs["count->format->sink[0]"]["duration"] == pytest.approx(10.0)


def test_completed_checkpoints_commit_source_offsets_to_the_group():
    trace = simulate(load_text(HELLO.replace("interval: 1s", "interval: 250ms"))).trace
    inject = trace.first("barrier_inject", checkpoint=1)
    commit = trace.first("offsets_committed", checkpoint=1)
    assert commit["offsets"] == inject["offsets"] == {"in-0": 2} and commit["group"] == "flink"
    assert commit["t"] == trace.first("checkpoint_complete", checkpoint=1)["t"]


def test_group_offsets_without_a_committed_offset_fall_back_to_auto_offset_reset():
    text = HELLO.replace("start_from: earliest", "start_from: group_offsets, auto_offset_reset: earliest")
    reset = simulate(load_text(text)).trace.first("source_offset_reset")
    assert (reset["offset"], reset["cause"]) == (0, "no committed offset; auto_offset_reset: earliest")


def grown(discovery):
    text = HELLO.replace("in: {partitions: 1}", "in: {partitions: 1, grow: [{at: 2s, partitions: 2}]}") \
        .replace("    - {name: source, type: kafka_source, implementation: FlinkKafkaConsumer, topic: in, start_from: earliest}",
                 f"    - {{name: source, type: kafka_source, implementation: FlinkKafkaConsumer, topic: in, start_from: earliest{discovery}}}")
    return load_text(text.replace("input:", "input:\n  - {topic: in, partition: 1, at: 2500, value: kafka}"))


def test_partitions_added_later_are_discovered_and_read_from_the_earliest_offset():
    trace = run(grown(", partition_discovery_interval: 5s")).trace
    found = trace.first("source_offset_reset", partition=1)
    assert (found["t"], found["offset"], found["cause"]) == (5000, 0, "discovered partition: earliest")
    reads = [e["value"] for e in trace.of("consumer_read") if e["consumer"] == "committed"]
    assert "kafka:::1" in reads


def test_without_discovery_a_new_partition_is_never_read():
    r = run(grown(""))
    assert "kafka:::1" not in r.report["consumers"]["committed"]


def test_input_into_a_partition_before_it_exists_is_refused():
    text = HELLO.replace("in: {partitions: 1}", "in: {partitions: 1, grow: [{at: 2s, partitions: 2}]}")
    with pytest.raises(sim.ScenarioError, match="partition 1 of 'in' is only added at 2000 ms"):
        load_text(text.replace("input:", "input:\n  - {topic: in, partition: 1, at: 100, value: x}"))


def test_a_source_reading_a_transactional_topic_skips_the_markers():
    # stage 1 writes counts with transactions into "mid" (2 partitions); stage 2 reads mid: the
    # commit markers take offsets but never reach the job as records
    text = """
name: chain
kafka: {topics: {in: {partitions: 1}, mid: {partitions: 2}, out: {partitions: 1}}}
input:
  - {topic: in, at: 10, value: "a b"}
  - {topic: in, at: 20, value: "a"}
job:
  parallelism: 2
  edges: [{from: source, to: split}, {from: split, to: count}, {from: count, to: format},
          {from: format, to: sink}, {from: again, to: copy}, {from: copy, to: out}]
  operators:
    - {name: source, type: kafka_source, implementation: FlinkKafkaConsumer, topic: in, parallelism: 1, start_from: earliest}
    - {name: split, type: flat_map, function: split_words, parallelism: 1}
    - {name: count, type: keyed_sum}
    - {name: format, type: map, function: format_count}
    - {name: sink, type: kafka_sink, implementation: FlinkKafkaProducer, topic: mid, transaction_timeout: 1min}
    - {name: again, type: kafka_source, implementation: FlinkKafkaConsumer, topic: mid, parallelism: 1, start_from: earliest}
    - {name: copy, type: map, function: identity, parallelism: 1}
    - {name: out, type: kafka_sink, implementation: FlinkKafkaProducer, topic: out, parallelism: 1, semantic: at_least_once, linger: 0}
checkpointing: {interval: 50ms}
consumers:
  - {name: final, topic: out, isolation: read_uncommitted}
run: {until: 300ms}
"""
    values = run(load_text(text)).report["consumers"]["final"]
    assert sorted(values) == ["a:::1", "a:::2", "b:::1"]


def test_too_many_pending_transactions_exhaust_the_id_pool():
    # checkpoints never complete (the upload takes 10 s) and up to 10 may be pending: the sink
    # pre-commits five transactions and has no free transactional id for a sixth
    text = HELLO.replace("interval: 1s", "interval: 20ms, max_concurrent: 10") + \
        "state_backend: {async_base: 10s}\nrestart: {strategy: none}\nrun: {until: 500ms}\n"
    r = run(load_text(text))
    assert "too many ongoing snapshots" in r.report["job_failed"]
