"""Honest verdicts: the ideal reference, exit codes without expect:, grouped explanations."""
import json

import pytest
from click.testing import CliRunner

import sim
from sim.cli import cli

from .conftest import HELLO, SCENARIOS


def run_cli(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_reference_is_computed_not_simulated():
    # the sink cannot start (1 h timeout above the broker's 15 min; on 1.20 the restart strategy
    # retries forever, docs/rules.md: Kafka): the ideal run still writes hello:::1 (docs/verdicts.md: nothing
    # lost), so the run lost it
    scenario = sim.load_scenario(SCENARIOS / "transactions" / "timeout_above_broker_max.yaml")
    ref = sim.ideal_reference(scenario)
    assert ref.outputs["counts"][0] == ["hello:::1"] and ref.complete
    report = sim.run(scenario).report
    assert report["exactly_once"]["ok"] is False
    assert report["exactly_once"]["lost"][0]["value"] == "hello:::1"
    assert report["exactly_once"]["explanation"][0].startswith("loss: hello:::1")


def test_word_count_reference_from_the_rule():
    # hello, world, hello -> split -> count -> format: hello:::1, world:::1, hello:::2 (one each)
    ref = sim.ideal_reference(sim.load_text(HELLO))
    values, origins = ref.outputs["out"]
    assert values == ["hello:::1", "world:::1", "hello:::2"]
    assert origins[2] == ("in", 0, 2, 300.0)     # topic, partition, offset, time of the input


def test_failed_job_without_expect_exits_1(tmp_path):
    f = tmp_path / "s.yaml"
    # the sink fails at its start (1 h timeout above the broker's 15 min) and no restart is allowed
    f.write_text(HELLO.replace("kafka: {topics", "kafka: {transaction_max_timeout: 15min, topics")
                 .replace("transaction_timeout: 1min", "transaction_timeout: 1h")
                 + "restart: {strategy: none}\n")      # fails for good at the first failure
    out = run_cli("run", str(f))
    assert out.exit_code == 1 and "✔" not in out.output and "job failed" in out.output
    report = json.loads(run_cli("run", str(f), "--json").output)
    assert report["ok"] is False and report["exactly_once"]["ok"] is False
    assert any(x.startswith("job_failed") for x in report["failures"])
    assert run_cli("run", str(f), "-q").exit_code == 1


def test_nothing_processed_is_not_exactly_once():
    text = HELLO.replace("input:\n  - {topic: in, at: 100, value: hello}\n  - {topic: in, at: 200, value: world}\n"
                         "  - {topic: in, at: 300, value: hello}\n", "input: []\n")
    report = sim.run(sim.load_text(text)).report
    assert report["exactly_once"]["ok"] is False and not report["ok"]
    assert "nothing to judge" in report["exactly_once"]["explanation"][0]


def test_input_after_until_is_not_judged():
    # the last record is written at 300 ms; a run that stops at 250 ms cannot hold the ideal output
    report = sim.run(sim.load_text(HELLO + "run: {until: 250ms}\n")).report
    eo = report["exactly_once"]
    assert eo["judged"] is False and eo["ok"] is False and not report["ok"]
    assert "written until 300 ms" in eo["explanation"][0]
    assert any(f.startswith("exactly_once: cannot judge exactly-once") for f in report["failures"])


def test_processing_that_cannot_fit_is_not_judged():
    # 3 lines x 1000 ms of split time each = 3000 ms of work from 100 ms: cannot end by 2 s
    text = HELLO.replace("processing_time", "x") + "run: {until: 2s}\n"
    text = text.replace("function: split_words}", "function: split_words, processing_time: 1000}")
    eo = sim.run(sim.load_text(text)).report["exactly_once"]
    assert eo["judged"] is False and "operator 'split' needs at least 3000 ms" in eo["explanation"][0]


def test_reference_once_for_many_runs():
    base = sim.load_text(HELLO)
    ref = sim.ideal_reference(base)
    for interval in ("100ms", "1s"):
        s = sim.load_text(HELLO, overrides=[f"checkpointing.interval={interval}"])
        assert sim.run(s, reference=ref).report["exactly_once"]["ok"]
    other = sim.load_text(HELLO.replace("value: world", "value: moon"))
    with pytest.raises(ValueError, match="another input"):
        sim.run(other, reference=ref)


def test_order_dependent_sums_are_judged_by_count_and_final():
    # two partitions feed a keyed_sum of sums: 'a' gets 1 then 2 (or 2 then 1) from different partitions
    from sim.ideal import _keyed_sum
    dependent = set()
    out = _keyed_sum([("a", 1), ("a", 2)], [("t", 0, 0, 1.0), ("t", 1, 0, 2.0)], dependent)
    assert out == [("a", 1), ("a", 3)] and dependent == {"a"}


def test_explanations_are_grouped_with_counts():
    from sim.analysis.checker import group_explanations
    found = [("loss", "aborted by the broker", f"loss: w:::{i} ...", 4 + i % 3) for i in range(312)]
    found.append(("duplicate", "replayed", "duplicate: x:::1 ...", None))
    groups = group_explanations(found)
    assert groups[0].startswith("312 values lost: aborted by the broker (checkpoints 4–6); e.g. loss: w:::0")
    assert groups[1] == "duplicate: x:::1 ..."


def test_internal_reader_names_are_not_shown(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(HELLO.replace("consumers:\n  - {name: committed, topic: out, isolation: read_committed}\n", ""))
    out = run_cli("run", str(f))
    assert "_checker" not in out.output and "_reference" not in out.output
    report = json.loads(run_cli("run", str(f), "--json").output)
    assert "_checker" not in json.dumps(report)


SUMS_OF_SUMS = """
name: sums-of-sums
seed: 2
kafka: {topics: {in: {partitions: 2}, out: {partitions: 1}}}
input:
  - {topic: in, partition: 0, at: 100, value: "a a"}
  - {topic: in, partition: 1, at: 100, value: "a"}
  - {topic: in, partition: 0, at: 101, value: "a"}
  - {topic: in, partition: 1, at: 102, value: "a a a"}
job:
  parallelism: 2
  operators:
    - {name: source, type: kafka_source, implementation: FlinkKafkaConsumer, topic: in, start_from: earliest}
    - {name: split, type: flat_map, function: split_words}
    - {name: count, type: keyed_sum}
    - {name: again, type: keyed_sum}
    - {name: format, type: map, function: format_count, parallelism: 1}
    - {name: sink, type: kafka_sink, implementation: FlinkKafkaProducer, topic: out, parallelism: 1, transaction_timeout: 1min}
checkpointing: {interval: 1s}
consumers:
  - {name: committed, topic: out, isolation: read_committed}
"""


def test_a_sum_of_running_sums_is_order_dependent_and_judged():
    # 'again' adds count's running totals 1..7 of 'a': the sums of sums are 1, 3, 6, ..., 28 in this
    # order, but the addends come from two partitions, so another arrival order gives other values
    s = sim.load_text(SUMS_OF_SUMS)
    ref = sim.ideal_reference(s)
    assert ref.order_dependent == ("a",)
    assert ref.outputs["out"][0] == [f"a:::{n * (n + 1) // 2}" for n in range(1, 8)]
    assert sim.run(s, reference=ref).report["exactly_once"]["ok"]


def test_transaction_records_are_the_appends():
    # every transaction's record count is the number of records the sink appended in it
    run = sim.run(SCENARIOS / "transactions" / "crash_before_notify_recovered.yaml")
    appended = {}
    for e in run.trace.of("kafka_append"):
        appended[e["txn"]] = appended.get(e["txn"], 0) + 1
    for txn in run.report["transactions"]:
        assert txn["records"] == appended.get(txn["id"], 0)


def test_report_numbers_are_rounded_to_the_trace_resolution():
    from sim.analysis.report import _rounded
    assert _rounded({"a": [0.1 + 0.2, {"b": 100.30000000000001}], "c": ["x"]}) == {"a": [0.3, {"b": 100.3}],
                                                                                    "c": ["x"]}


def test_html_report_names_no_internal_reader(tmp_path):
    # no declared read_committed consumer: the checker adds its own reader, never named to users
    f, page = tmp_path / "s.yaml", tmp_path / "r.html"
    f.write_text(HELLO.replace("consumers:\n  - {name: committed, topic: out, isolation: read_committed}\n", ""))
    assert run_cli("run", str(f), "--html", str(page), "-q").exit_code == 0
    text = page.read_text()
    assert "_checker" not in text and "_reference" not in text
    assert "judged on what a read_committed reader of &#x27;out&#x27; read" in text


@pytest.mark.parametrize("value, kind, listed", [
    # 'zzz' is no key of the job: read once, reference 0 times -> a duplicate
    ("zzz:::7", "duplicates", {"value": "zzz:::7", "times": 1, "expected": 0}),
    # 'hello' is: the input has 2 hellos, so the reference's final is hello:::2 and 9 goes beyond it
    ("hello:::9", "overcounted", {"value": "hello:::9", "times": 1, "reference_final": 2}),
])
def test_a_second_writer_into_the_output_topic_is_named_not_blamed_on_a_failure(value, kind, listed):
    # an upstream transactional producer (input item 3: transactional id input-3, its first
    # transaction input-3#0) commits a value into 'out', the job's output topic, at 150 ms. The job
    # never fails and never produces it, yet the judged reader reads it once: the report must say
    # who wrote it, not invent a failure, a replay or a snapshot without aligned barriers.
    text = HELLO.replace("  - {topic: in, at: 300, value: hello}",
                         "  - {topic: in, at: 300, value: hello}\n"
                         f"  - transaction: {{topic: out, commit: 150, records: [{{at: 150, value: '{value}'}}]}}")
    eo = sim.run(sim.load_text(text + "run: {trace: control}\n")).report["exactly_once"]
    assert eo["judged"] is True and eo["ok"] is False
    assert eo[kind] == [listed]
    [line] = [x for x in eo["explanation"] if value in x]
    assert "written by another producer (transaction input-3#0), not by the job" in line
    assert not any(w in line for w in ("failure", "replayed", "restored", "barriers"))


TWO_SINK_TOPICS = """
kind: job
name: two-sink-topics
seed: 1
kafka: {topics: {lines: {partitions: 1}, a: {partitions: 1}, b: {partitions: 1}}}
input:
  - generate: {topic: lines, rate: 10/ms, duration: 5ms, words: [x, y, z], words_per_line: 3}
job:
  parallelism: 1
  operators:
    - {name: source, type: kafka_source, topic: lines, start_from: earliest}
    - {name: split, type: flat_map, function: split_words}
    - {name: count, type: keyed_sum}
    - {name: format, type: map, function: format_count}
    - {name: sinka, type: kafka_sink, topic: a, transaction_timeout: 1min}
    - {name: sinkb, type: kafka_sink, topic: b, transaction_timeout: 1min, semantic: SEMANTIC_B}
  edges:
    - {from: source, to: split}
    - {from: split, to: count}
    - {from: count, to: format}
    - {from: format, to: sinka}
    - {from: format, to: sinkb}
checkpointing: {interval: 20ms}
faults: FAULTS
run: {until: drained, trace: summary}
"""


@pytest.mark.parametrize("level", ["summary", "control"])
def test_two_sink_topics_are_judged_together_at_every_trace_level(level):
    # no declared consumer: the checker reads each sink topic with its own `_checker` reader; 50
    # lines of 3 words are 150 counts written to each of 'a' and 'b', so the reference has 300
    # values, and a fault-free exactly-once run reads all 300 (a summary trace once judged only
    # the last `_checker`'s 150 against the 300: a false "NOT exactly once")
    text = TWO_SINK_TOPICS.replace("SEMANTIC_B", "exactly_once").replace("FAULTS", "[]")
    report = sim.run(sim.load_text(text, overrides=[f"run.trace={level}"])).report
    assert report["exactly_once"]["ok"] is True
    assert "300" in report["exactly_once"]["explanation"][0]


@pytest.mark.parametrize("level", ["summary", "control"])
def test_a_loss_in_one_of_two_sink_topics_is_found_at_every_trace_level(level):
    # 'b' written without transactions (semantic at_least_once: flushed at checkpoints, never
    # rolled back) and a crash at 30 ms: the job restarts from checkpoint 1 (at 22 ms) and replays, so
    # 'b' holds some counts twice; 'a' alone would be exactly once, the two together are not
    text = TWO_SINK_TOPICS.replace("SEMANTIC_B", "at_least_once").replace("FAULTS", "[{at: 30ms, crash: sinkb}]")
    report = sim.run(sim.load_text(text, overrides=[f"run.trace={level}"])).report
    assert report["exactly_once"]["ok"] is False
