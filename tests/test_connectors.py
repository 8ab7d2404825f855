"""The two Kafka sinks side by side (docs/connectors.md) and the sources' settings (docs/connectors.md)."""
import pytest

from sim import ScenarioError, load_text, run

from .conftest import HELLO as _HELLO

# the first checkpoint exactly one interval after each (re)start, restarts after exactly 1 s:
# the times below are worked out from these
HELLO = _HELLO.replace("checkpointing: {interval: 1s}", "checkpointing: {interval: 1s, initial_delay: 1s}\n"
                       "restart: {strategy: fixed_delay, delay: 1s}")

KAFKA_SINK = "implementation: KafkaSink, transactional_id_prefix: wc"


def kafka_sink(text: str = HELLO) -> str:
    return text.replace("implementation: FlinkKafkaProducer", KAFKA_SINK)


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
    base = HELLO.replace("transaction_timeout: 1min", "transaction_timeout: 500ms").replace("interval: 1s, initial_delay: 1s", "interval: 2s, initial_delay: 2s")
    base = base.replace("kafka: {", "kafka: {abort_scan_interval: 1s, ")
    new = run(load_text(kafka_sink(base) + "run: {until: 3500ms}\n"))
    old = run(load_text(base + "run: {until: 3500ms}\n"))
    discarded = new.trace.of("commit_discarded")
    assert [(e["txn"], e["checkpoint"], e["error"], e["records"]) for e in discarded] == [("sink[0]#1", 1, "ProducerFenced", 3)]
    assert new.report["restarts"] == 0 and old.report["restarts"] == 1
    assert len(new.report["exactly_once"]["lost"]) == 3 == len(old.report["exactly_once"]["lost"])
    assert any("discarded the commit without failing over" in s for s in new.report["exactly_once"]["explanation"])
    assert not old.trace.of("commit_discarded")


def test_kafka_sink_without_a_prefix_uses_the_operator_name():
    # Flink refuses to build it; snapsim names its ids after the operator instead: sink-0-1 (checkpoint 1)
    text = HELLO.replace("implementation: FlinkKafkaProducer", "implementation: KafkaSink")
    trace = run(load_text(text + "run: {until: 1500ms}\n")).trace
    assert trace.first("txn_begin")["transactional_id"] == "sink-0-1"


SOURCE_JOB = """
name: src
seed: 1
kafka: {{abort_scan_interval: 1s, topics: {{in: {{partitions: 1}}, out: {{partitions: 1}}}}}}
input:
{input}
job:
  parallelism: 1
  operators:
    - {{name: source, type: kafka_source, topic: in{source}}}
    - {{name: split, type: flat_map, function: split_words}}
    - {{name: count, type: keyed_sum}}
    - {{name: format, type: map, function: format_count}}
    - {{name: sink, type: kafka_sink, topic: out, transaction_timeout: 1min, implementation: FlinkKafkaProducer}}
checkpointing: {{interval: 1s, initial_delay: 1s}}
consumers:
  - {{name: committed, topic: out, isolation: read_committed}}
"""
PLAIN = "  - {topic: in, at: 0, value: early}\n  - {topic: in, at: 100, value: late}"


@pytest.mark.parametrize("implementation, offset, cause, values", [
    # FlinkKafkaConsumer starts from group_offsets; the group has none, so auto_offset_reset (latest):
    # the record written at 0 ms is already there and is skipped -- offset 1.
    ("FlinkKafkaConsumer", 1, "no committed offset; auto_offset_reset: latest", ["late:::1"]),
    # KafkaSource starts from earliest: offset 0, both records.
    ("KafkaSource", 0, "start_from: earliest", ["early:::1", "late:::1"]),
])
def test_the_sources_start_defaults_differ(implementation, offset, cause, values):
    r = run(load_text(SOURCE_JOB.format(input=PLAIN, source=f", implementation: {implementation}")))
    reset = r.trace.first("source_offset_reset")
    assert (reset["offset"], reset["cause"]) == (offset, cause)
    assert r.report["consumers"]["committed"] == values


ABORTED_THEN_COMMITTED = """  - transaction: {topic: in, abort: 400ms, records: [{at: 100, value: hello}]}
  - transaction: {topic: in, commit: 900ms, records: [{at: 600, value: hello}]}"""


def test_a_read_uncommitted_source_ingests_aborted_input_and_read_committed_does_not():
    # read_uncommitted: hello@0 (aborted at 400 ms) and hello@2 (after the abort marker at offset 1)
    # are both counted: hello:::1, hello:::2. read_committed: the source waits for the commit at
    # 900 ms and skips the aborted record: hello:::1 only, written at 900 ms (+ processing).
    dirty = run(load_text(SOURCE_JOB.format(input=ABORTED_THEN_COMMITTED, source=", start_from: earliest")))
    clean = run(load_text(SOURCE_JOB.format(input=ABORTED_THEN_COMMITTED,
                                            source=", start_from: earliest, isolation: read_committed")))
    assert dirty.report["consumers"]["committed"] == ["hello:::1", "hello:::2"]
    assert clean.report["consumers"]["committed"] == ["hello:::1"]
    assert clean.trace.of("kafka_append")[2]["t"] >= 900       # appends 0, 1: the input records
    assert dirty.report["exactly_once"]["ok"] is False and clean.report["exactly_once"]["ok"] is True


def test_an_open_input_transaction_holds_a_read_committed_source_until_the_broker_aborts_it():
    # upstream-a writes at 100 ms and never ends (timeout 2 s); upstream-b writes at 200 ms and commits
    # at 300 ms, behind it. The broker scans every second: at 2000 ms the first is 1900 ms old, at
    # 3000 ms 2900 ms > 2000 ms: aborted. Only then does the last stable offset pass it, and the source
    # reads b's record: the sink writes "b:::1" at 3000 ms + processing.
    text = SOURCE_JOB.format(source=", start_from: earliest, isolation: read_committed", input="""\
  - transaction: {topic: in, transactional_id: upstream-a, timeout: 2s, records: [{at: 100, value: a}]}
  - transaction: {topic: in, transactional_id: upstream-b, commit: 300ms, records: [{at: 200, value: b}]}""")
    r = run(load_text(text))
    timeout = r.trace.first("txn_timeout")
    assert (timeout["txn"], timeout["t"]) == ("upstream-a#0", 3000)
    written = [e for e in r.trace.of("kafka_append") if e.get("task")]
    assert [e["value"] for e in written] == ["b:::1"] and 3000 <= written[0]["t"] < 3010
    # The report names the stall: upstream-a held in-0's LSO at offset 0 from its first write (100 ms)
    # to the broker's abort (3000 ms); b's one record waited behind it; the held-back reader is the source.
    [hold] = r.report["lso_holds"]
    assert (hold["txn"], hold["topic"], hold["partition"], hold["offset"]) == ("upstream-a#0", "in", 0, 0)
    assert (hold["start"], hold["end"], hold["ended"], hold["waited"]) == (100, 3000, "timed out", 1)
    assert hold["readers"] == ["operator 'source' (read_committed source)"]


def test_committed_transactions_hold_nothing_worth_reporting():
    # Every sink transaction commits: the LSO moves as it should, no stall to report.
    assert run(load_text(HELLO)).report["lso_holds"] == []


@pytest.mark.parametrize("item, message", [
    ("  - transaction: {topic: in, commit: 1s, abort: 1s, records: [{at: 1, value: a}]}", "commit or abort"),
    ("  - transaction: {topic: in, commit: 1, records: [{at: 5, value: a}]}", "before its last record"),
    ("  - transaction: {topic: in, records: [{at: 5, value: a}, {at: 1, value: b}]}", "time order"),
    ("  - transaction: {topic: in, timeout: 1h, records: [{at: 5, value: a}]}", "transaction_max_timeout"),
    ("  - transaction: {topic: in, records: [{at: 5, value: a}]}\n  - {topic: in, value: x}", "plain input"),
])
def test_bad_input_transactions_are_scenario_errors(item, message):
    with pytest.raises(ScenarioError) as err:
        load_text(SOURCE_JOB.format(input=item, source=""))
    assert message in str(err.value) and "input" in str(err.value)


@pytest.mark.parametrize("version, sink, source", [
    ("1.13", "FlinkKafkaProducer", "FlinkKafkaConsumer"),     # docs/rules.md: the release table: legacy up to 1.14
    ("1.14", "FlinkKafkaProducer", "FlinkKafkaConsumer"),
    ("1.15", "KafkaSink", "KafkaSource"),                     # the new ones from 1.15
    ("2.0", "KafkaSink", "KafkaSource"),
])
def test_the_connectors_default_by_flink_version(version, sink, source):
    text = HELLO.replace("implementation: FlinkKafkaProducer, ", "transactional_id_prefix: wc, ").replace(
        "implementation: FlinkKafkaConsumer, ", "")
    ops = load_text(f'flink_version: "{version}"\n' + text).job.operators
    assert (ops[-1].implementation, ops[0].implementation) == (sink, source)


def test_a_legacy_connector_on_flink_2_is_an_error_naming_both():
    with pytest.raises(ScenarioError) as err:
        load_text('flink_version: "2.0"\n' + HELLO)
    assert "Flink 2.0 has no FlinkKafkaConsumer" in str(err.value) and "implementation" in str(err.value)


def test_a_new_connector_before_its_release_is_an_error():
    # KafkaSink (Sink V2) arrived in Flink 1.14: on 1.13 it does not exist
    with pytest.raises(ScenarioError) as err:
        load_text('flink_version: "1.13"\n' + kafka_sink())
    assert "Flink 1.13 has no KafkaSink (from Flink 1.14)" in str(err.value)
    assert load_text('flink_version: "1.14"\n' + kafka_sink()).job.operators[-1].implementation == "KafkaSink"


@pytest.mark.parametrize("version, committed, checkpoints", [
    # 1.15+: the end of the bounded input triggers a final checkpoint, which commits the last transaction
    ("1.15", ["hello:::1", "world:::1", "hello:::2"], 1),
    # 1.14: the tasks finish without one; the sink closes and aborts its transaction: all three lost
    ("1.14", [], 0),
])
def test_bounded_input_finishes_with_a_final_checkpoint_from_1_15(version, committed, checkpoints):
    from .conftest import SCENARIOS
    r = run(load_text((SCENARIOS / "connectors" / "bounded_final_checkpoint.yaml").read_text()
                      .replace('flink_version: "1.15"', f'flink_version: "{version}"')))
    assert r.report["consumers"]["committed"] == committed
    assert sum(c["status"] == "completed" for c in r.report["checkpoints"]) == checkpoints
    assert r.trace.first("job_finished") is not None and r.report["run_end"] == "finished"
    if not committed:
        assert "no final checkpoint before Flink 1.15" in r.trace.first("txn_abort")["cause"]


def test_bounded_needs_kafka_source():
    with pytest.raises(ScenarioError) as err:
        load_text(HELLO.replace("start_from: earliest}", "start_from: earliest, bounded: true}"))
    assert "KafkaSource" in str(err.value) and "bounded" in str(err.value)


@pytest.mark.parametrize("name, waited", [("cancel_resubmit_beyond_timeout", 0), ("changed_prefix_stalls_reader", 1)])
def test_the_cli_prints_lso_holds_under_a_heading_true_for_each(name, waited):
    # A hold with nothing written behind it stalled no reader (docs/connectors.md): the heading
    # names what every hold did -- held the last stable offset -- and each sentence says whether
    # records waited; "stalled readers" would be false for the first scenario.
    from rich.console import Console

    from sim.cli_render import print_report

    from .conftest import SCENARIOS
    report = run(load_text((SCENARIOS / "lifecycle" / f"{name}.yaml").read_text())).report
    [hold] = report["lso_holds"]
    assert hold["waited"] == waited
    console = Console(record=True, width=400)
    print_report(report, console)
    lines = [line.strip() for line in console.export_text().splitlines()]
    assert "transactions that held the last stable offset:" in lines and hold["sentence"] in lines
    assert not any("stalled readers" in line for line in lines)
