"""The dataflow runtime: word counts, partitioning, buffers, backpressure, determinism."""
from collections import Counter

import pytest

import sim
from sim import Trace, simulate

from .conftest import HELLO, run_text

LINES = ["a b c", "b c d", "c d e", "a a a", "e d c b a", "f", "b b", "c a f e"]


def larger_job(source_parallelism=2, parallelism=3, buffer_size=1):
    inputs = "\n".join(f"  - {{topic: in, at: {10 * i}, value: '{line}'}}" for i, line in enumerate(LINES))
    return f"""
name: larger
seed: 3
kafka: {{topics: {{in: {{partitions: 2}}, out: {{partitions: 3}}}}}}
input:
{inputs}
job:
  parallelism: {parallelism}
  operators:
    - {{name: source, type: kafka_source, implementation: FlinkKafkaConsumer, topic: in, parallelism: {source_parallelism}, start_from: earliest}}
    - {{name: split, type: flat_map, function: split_words}}
    - {{name: count, type: keyed_sum}}
    - {{name: format, type: map, function: format_count}}
    - {{name: sink, type: kafka_sink, implementation: FlinkKafkaProducer, topic: out, transaction_timeout: 1min}}
  network: {{buffer_size: {buffer_size}}}
checkpointing: {{interval: 100ms}}
consumers:
  - {{name: committed, topic: out, isolation: read_committed}}
"""


def test_hello_world_counts():
    run = run_text(HELLO)
    assert run.report["final_counts"] == {"hello": 2, "world": 1}
    assert run.report["consumers"]["committed"] == ["hello:::1", "world:::1", "hello:::2"]
    assert run.report["exactly_once"]["ok"]


@pytest.mark.parametrize("buffer_size", [1, 4])
def test_larger_job_each_count_exactly_once_in_order(buffer_size):
    run = run_text(larger_job(buffer_size=buffer_size))
    values = run.report["consumers"]["committed"]
    expected = Counter(w for line in LINES for w in line.split())
    assert run.report["final_counts"] == dict(sorted(expected.items()))
    per_word = {}
    for v in values:
        word, n = v.split(":::")
        per_word.setdefault(word, []).append(int(n))
    # each word's outputs are w:::1 .. w:::N exactly once, in order (one key lives in one subtask)
    assert per_word == {w: list(range(1, n + 1)) for w, n in expected.items()}


def test_same_seed_same_trace_bytes():
    text = larger_job()
    a = simulate(sim.load_text(text)).trace.dumps()
    b = simulate(sim.load_text(text)).trace.dumps()
    assert a == b and len(a) > 1000


def test_generated_input_depends_on_seed():
    text = HELLO.replace("input:", "input:\n  - {generate: {topic: in, rate: 100/s, duration: 100ms, words: [x, y, z]}}")
    one = simulate(sim.load_text(text, seed=1)).trace.dumps()
    two = simulate(sim.load_text(text, seed=2)).trace.dumps()
    assert one != two and one == simulate(sim.load_text(text, seed=1)).trace.dumps()


def test_trace_round_trips_through_json_lines():
    trace = simulate(sim.load_text(HELLO)).trace
    again = Trace.loads(trace.dumps())
    assert again.events == trace.events and again.level == "full"


def test_trace_levels_drop_record_events():
    full = simulate(sim.load_text(HELLO)).trace
    control = simulate(sim.load_text(HELLO), trace_level="control").trace
    summary = simulate(sim.load_text(HELLO), trace_level="summary").trace
    assert full.of("record_process") and not control.of("record_process")
    assert control.of("barrier_receive") and not summary.of("barrier_receive")
    # barriers themselves stay at every level (pictures of summary traces still show them)
    assert len(summary.of("barrier_send")) == len(control.of("barrier_send")) > 0
    assert not summary.of("consumer_read") and summary.of("checkpoint_complete")
    digest = summary.first("consumer_summary", consumer="committed")
    assert digest["count"] == 3 and digest["final_counts"] == {"hello": 2, "world": 1}
    assert full.counters["record_process"] == summary.counters["record_process"] > 0


def test_processing_time_per_record():
    # one record; latency 1 ms per hop, 2 ms per record per operator. Chained (docs/architecture.md): the
    # tasks are source->split and count->format->sink, joined by the hash edge split -> count.
    text = HELLO.replace("checkpointing: {interval: 1s}", "").replace("  parallelism: 1",
                         "  parallelism: 1\n  processing_time: {default: 2ms}")
    trace = simulate(sim.load_text(text)).trace
    first = [e for e in trace.of("record_process") if e["values"] in (["hello"], [["hello", 1]])][:2]
    # source->split reads at 100: source 2 ms + split 2 ms -> done at 104; one hop (1 ms) to
    # count->format->sink at 105: count, format and sink take 2 ms each -> done at 111
    assert [e["t"] for e in first] == [104.0, 111.0]
    unchained = simulate(sim.load_text(text.replace("  parallelism: 1", "  parallelism: 1\n  chaining: false"))).trace
    first = [e for e in unchained.of("record_process") if e["values"] in (["hello"], [["hello", 1]])][:2]
    # one task per operator: source reads at 100 and processes until 102; split receives at 103
    # (one hop) and finishes at 105
    assert [e["t"] for e in first] == [102.0, 105.0]


def backpressure_job(capacity):
    # chaining off: every operator is a task, so the sink's slowness must cross four channels
    return HELLO.replace("input:", "input:\n  - {generate: {topic: in, rate: 10/ms, duration: 5ms, words: [a], words_per_line: 1}}") \
        .replace("  parallelism: 1", f"  parallelism: 1\n  chaining: false\n  network: {{capacity: {capacity}}}\n"
                                     "  processing_time: {default: 0.01ms, sink: 10ms}")


def test_a_slow_sink_backpressures_the_source():
    trace = simulate(sim.load_text(backpressure_job(capacity=2))).trace
    sends = [e["t"] for e in trace.of("record_send") if e["task"] == "source[0]" and e["values"] == ["a"]]
    # 50 records; at most 2 buffers per channel plus one in each task: the source may only run
    # ahead of the 10 ms sink by a bounded number of records
    ahead = 2 * 4 + 4
    for k, t in enumerate(sends):
        assert t >= (k - ahead) * 10.0
    free = simulate(sim.load_text(backpressure_job(capacity=1000))).trace
    free_sends = [e["t"] for e in free.of("record_send") if e["task"] == "source[0]" and e["values"] == ["a"]]
    assert max(free_sends) < 10.0 < max(sends)


def test_buffers_carry_several_records():
    text = larger_job(buffer_size=4, source_parallelism=1, parallelism=1)
    trace = simulate(sim.load_text(text)).trace
    sizes = [e["n"] for e in trace.of("record_send")]
    assert max(sizes) <= 4 and max(sizes) > 1
