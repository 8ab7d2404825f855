"""The two Kafka sinks side by side (SEMANTICS 5) and the sources' settings (SEMANTICS 4)."""
import pytest

from sim import ScenarioError, load_text, run

from .conftest import HELLO

KAFKA_SINK = "implementation: KafkaSink, transactional_id_prefix: wc"


def kafka_sink(text: str = HELLO) -> str:
    return text.replace("transaction_timeout: 1min}", f"transaction_timeout: 1min, {KAFKA_SINK}}}")


def test_kafka_sink_ids_are_prefix_subtask_checkpoint_and_empty_transactions_are_not_committed():
    # Checkpoints trigger at 1000, 2000, 3000 ms. Every record is written before 1000 ms, into the
    # transaction checkpoint 1 pre-commits: id wc-0-1. The periods of checkpoints 2 and 3 write
    # nothing, so their transactions (wc-0-2, wc-0-3) are empty: never opened on the broker, never
    # committed. One transaction, one commit.
    trace = run(load_text(kafka_sink() + "run: {until: 3500ms}\n")).trace
    assert [e["checkpoint"] for e in trace.of("checkpoint_complete")] == [1, 2, 3]
    assert [(e["transactional_id"], e["implementation"]) for e in trace.of("txn_begin")] == [("wc-0-1", "KafkaSink")]
    assert [(e["txn"], e["checkpoint"], e["records"]) for e in trace.of("txn_commit")] == [("sink[0]#1", 1, 3)]


def test_flink_kafka_producer_commits_its_empty_transactions_from_a_pool_of_five():
    # The legacy sink opens a transaction at start and after each barrier, empty or not, on pool ids
    # sink-0-0, sink-0-1, ...: with checkpoints at 1000, 2000, 3000 it commits three (3, 0, 0 records).
    trace = run(load_text(HELLO + "run: {until: 3500ms}\n")).trace
    assert [e["transactional_id"] for e in trace.of("txn_begin")] == ["sink-0-0", "sink-0-1", "sink-0-0", "sink-0-1"]
    assert [e["records"] for e in trace.of("txn_commit")] == [3, 0, 0]


def test_kafka_sink_probes_and_aborts_lingering_transactions_on_restore():
    # First start: the probe of wc-0-1 finds it unused; subtask 0 had no used id, so the aborter
    # stops there (a subtask without transactions ends the search).
    # A record at 1200 ms goes into wc-0-2 (checkpoint 2's transaction); the sink crashes at 1500 ms
    # and the job restarts from checkpoint 1 at 2500 ms (fixed delay 1 s). The writer probes
    # wc-0-2: used (its open transaction is aborted), wc-0-3: never used -> stop; then subtask
    # 0 + parallelism 1 = 1: wc-1-2 never used -> no such subtask, stop. The replayed record goes
    # into a new transaction under wc-0-2 and is committed by checkpoint 2: exactly once.
    text = kafka_sink(HELLO.replace("  - {topic: in, at: 300, value: hello}\n",
                                    "  - {topic: in, at: 300, value: hello}\n  - {topic: in, at: 1200, value: hello}\n"))
    r = run(load_text(text + "faults:\n  - {at: 1500, crash: sink}\n"))
    trace = r.trace
    probes = [(e["prefix"], e["subtask"], e["first"], e["unused"], e["used"]) for e in trace.of("txn_probe")]
    assert probes == [("wc", 0, 1, 1, 0),                               # first start: nothing used yet
                      ("wc", 0, 2, 3, 1), ("wc", 1, 2, 2, 0)]          # restore from checkpoint 1
    abort = trace.first("txn_abort", txn="sink[0]#2")
    assert abort["t"] == 2500 and "fenced by a new producer" in abort["cause"]
    assert [e["transactional_id"] for e in trace.of("txn_begin")] == ["wc-0-1", "wc-0-2", "wc-0-2"]
    assert r.report["exactly_once"]["ok"]
    assert r.report["consumers"]["committed"] == ["hello:::1", "world:::1", "hello:::2", "hello:::3"]


def test_kafka_sink_discards_a_refused_commit_without_failover():
    # The transaction's first write is at ~104 ms and its timeout 500 ms: the broker's scan (1 s)
    # aborts it at 1000 ms... checkpoint 1 triggers at 2000 ms (interval 2 s), pre-commits it and
    # completes; the commit gets ProducerFenced: KafkaSink discards it -- no restart; FlinkKafkaProducer
    # fails over instead: its restart comes 1 s later (~3002 ms). Both lose the three counts.
    base = HELLO.replace("transaction_timeout: 1min", "transaction_timeout: 500ms").replace("interval: 1s", "interval: 2s")
    base = base.replace("kafka: {", "kafka: {abort_scan_interval: 1s, ")
    new = run(load_text(base.replace("500ms}", f"500ms, {KAFKA_SINK}}}") + "run: {until: 3500ms}\n"))
    old = run(load_text(base + "run: {until: 3500ms}\n"))
    discarded = new.trace.of("commit_discarded")
    assert [(e["txn"], e["checkpoint"], e["error"], e["records"]) for e in discarded] == [("sink[0]#1", 1, "ProducerFenced", 3)]
    assert new.report["restarts"] == 0 and old.report["restarts"] == 1
    assert len(new.report["exactly_once"]["lost"]) == 3 == len(old.report["exactly_once"]["lost"])
    assert any("discarded the commit without failing over" in s for s in new.report["exactly_once"]["explanation"])
    assert not old.trace.of("commit_discarded")


def test_kafka_sink_exactly_once_needs_a_prefix():
    text = HELLO.replace("transaction_timeout: 1min}", "transaction_timeout: 1min, implementation: KafkaSink}")
    with pytest.raises(ScenarioError) as err:
        load_text(text)
    assert "transactional_id_prefix" in str(err.value) and "implementation" in str(err.value)
