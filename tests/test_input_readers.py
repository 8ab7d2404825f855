"""Consumers of input topics: they read the records written ahead of time, at their times.

The scenario's plain input is written into its partitions ahead of time (no producer process);
a declared consumer of such a topic must still see each record at its append time, as a Kafka
consumer polling the topic would, and must not keep the partition from being trimmed once it has
read (docs/rules.md: Kafka; docs/scenario-keys.md: consumers may read any topic).
"""
from __future__ import annotations

from zlib import crc32

import pytest
import simpy

import sim
from sim.kafka import KafkaCluster, Partition
from sim.runtime.readers import BATCH, MASK, attach_consumers
from sim.trace import Trace

from .test_inputs import _peak_stored

WORD_COUNT = """
job:
  parallelism: 1
  operators:
    - {name: source, type: kafka_source, implementation: FlinkKafkaConsumer, topic: lines, start_from: earliest}
    - {name: split, type: flat_map, function: split_words}
    - {name: count, type: keyed_sum}
    - {name: format, type: map, function: format_count}
    - {name: sink, type: kafka_sink, implementation: FlinkKafkaProducer, topic: counts, transaction_timeout: 1min}
  network: {buffer_size: 50}
  processing_time: {default: 0.001ms}
"""

LINES = """
kind: job
name: input-readers
seed: 1
kafka: {topics: {lines: {partitions: 1}, counts: {partitions: 1}}}
input:
  - {topic: lines, at: 10ms, value: "hello world"}
  - {topic: lines, at: 20ms, value: "hello"}
  - {topic: lines, at: 30ms, value: "x:::3"}
""" + WORD_COUNT + """checkpointing: {interval: 50ms}
consumers:
  - {name: raw, topic: lines, isolation: read_uncommitted}
  - {name: plain, topic: lines, isolation: read_committed}
"""

COMMITTED = "  - {name: committed, topic: counts, isolation: read_committed}\n"


def _digest(*values: str) -> int:
    """The order-independent digest of ReadDigest: the sum of the values' CRC-32, modulo 2**64."""
    return sum(crc32(v.encode()) for v in values) & MASK


def _reads(run, name: str) -> list[tuple]:
    return [(e["t"], e["offset"], e["value"]) for e in run.trace.of("consumer_read") if e["consumer"] == name]


def test_a_consumer_of_the_input_topic_reads_each_record_at_its_append_time():
    # Worked out: the three records are appended at 10, 20 and 30 ms at offsets 0, 1, 2. They are
    # plain records (no transaction), so the last stable offset is the high watermark: a
    # read_committed reader sees each at once, like a read_uncommitted one.
    run = sim.run(sim.load_text(LINES + COMMITTED, overrides=["run.trace=control"]))
    expected = [(10.0, 0, "hello world"), (20.0, 1, "hello"), (30.0, 2, "x:::3")]
    assert _reads(run, "raw") == expected
    assert _reads(run, "plain") == expected
    assert run.report["consumers"]["raw"] == ["hello world", "hello", "x:::3"]
    assert run.report["consumer_counts"] == {"raw": 3, "plain": 3, "committed": 4}
    # the judged reader is still the read_committed reader of the sink topic, not 'plain'
    assert run.report["exactly_once"]["consumer"] == "committed" and run.report["exactly_once"]["ok"]
    assert run.report["final_counts"] == {"hello": 2, "world": 1, "x:::3": 1}


def test_a_summary_reader_of_the_input_topic_keeps_count_digest_and_finals():
    # Worked out: each reader read the three values once: count 3, digest the sum of their CRC-32;
    # the last ``n`` per key is x -> 3 ("x:::3" splits at its last ':::'), the other lines hold none.
    run = sim.run(sim.load_text(LINES, overrides=["run.trace=summary"]))
    summaries = {e["consumer"]: e for e in run.trace.of("consumer_summary")}
    for name in ("raw", "plain"):
        assert (summaries[name]["count"], summaries[name]["digest"], summaries[name]["final_counts"]) == \
            (3, _digest("hello world", "hello", "x:::3"), {"x": 3})
    # No reader of 'counts' is declared: the checker's own reader of it is judged, never 'plain'
    assert run.report["exactly_once"]["consumer"] is None
    assert run.report["exactly_once"]["reader"] == "a read_committed reader of 'counts'"
    assert run.report["exactly_once"]["ok"] and run.report["final_counts"] == {"hello": 2, "world": 1, "x:::3": 1}


GENERATED = """
kind: job
name: generated-input-reader
seed: 4
kafka: {topics: {lines: {partitions: 1}, counts: {partitions: 1}}}
input:
  - generate: {topic: lines, rate: 16/ms, duration: 1000ms, words: [a, b, c], words_per_line: 1}
""" + WORD_COUNT + """checkpointing: {interval: 100ms}
consumers:
  - {name: raw, topic: lines}
"""


@pytest.mark.parametrize("level", ["summary", "control"])
def test_a_reader_of_generated_input_reads_it_all_in_bounded_memory(level, monkeypatch):
    # 16 lines a ms for 1 000 ms: 16 000 lines, line i appended at i / 16 ms (exact in binary).
    # They are produced lazily in chunks of 4 096; the job's source releases what lies below each
    # completed checkpoint (every 100 ms: 1 600 lines) and the reader what it has read, so the
    # partition stores at most about one chunk plus what was read since the last checkpoint --
    # under 2 chunks, never the 16 000 lines a reader stuck at offset 0 would keep.
    stored, _ = _peak_stored(monkeypatch)
    run = sim.run(sim.load_text(GENERATED, overrides=[f"run.trace={level}"]))
    assert run.report["consumer_counts"]["raw"] == 16_000
    assert stored[("lines", 0)] < 2 * 4096, stored
    assert run.report["exactly_once"]["ok"]
    if level == "control":
        reads = _reads(run, "raw")
        assert [(t, o) for t, o, _ in reads] == [(i / 16, i) for i in range(16_000)]
        # the summary run reads the very same values: its digest is theirs
        summary = sim.run(sim.load_text(GENERATED, overrides=["run.trace=summary"]))
        digest = summary.trace.first("consumer_summary", consumer="raw")["digest"]
        assert digest == _digest(*(v for _, _, v in reads))


ABORTED = """
kind: job
name: readers-of-transactional-input
seed: 1
kafka: {topics: {words: {partitions: 1}, counts: {partitions: 1}}}
input:
  - transaction: {topic: words, transactional_id: up-1, abort: 400ms,
                  records: [{at: 100, value: hello}, {at: 200, value: world}]}
  - transaction: {topic: words, transactional_id: up-2, commit: 900ms,
                  records: [{at: 600, value: hello}, {at: 700, value: world}]}
job:
  parallelism: 1
  operators:
    - {name: source, type: kafka_source, topic: words, implementation: KafkaSource, isolation: read_committed}
    - {name: split, type: flat_map, function: split_words}
    - {name: count, type: keyed_sum}
    - {name: format, type: map, function: format_count}
    - {name: sink, type: kafka_sink, topic: counts, implementation: KafkaSink, transactional_id_prefix: down,
       transaction_timeout: 1min}
checkpointing: {interval: 1s}
consumers:
  - {name: rc, topic: words, isolation: read_committed}
  - {name: ru, topic: words, isolation: read_uncommitted}
"""


def test_read_committed_skips_an_aborted_upstream_transaction_and_waits_for_the_commit():
    # Worked out (offsets in time order): hello@0 at 100, world@1 at 200, the abort marker @2 at
    # 400, hello@3 at 600, world@4 at 700, the commit marker @5 at 900. read_uncommitted reads each
    # record when it is written, the aborted ones too; read_committed is held at the last stable
    # offset (the open transaction's first offset) until the commit at 900 ms, then reads offsets 3
    # and 4 and skips 0 and 1 (aborted). The source reads read_committed: the job counts hello and
    # world once, exactly once, and the judged reader is the checker's reader of 'counts'.
    run = sim.run(sim.load_text(ABORTED, overrides=["run.trace=control"]))
    assert _reads(run, "ru") == [(100.0, 0, "hello"), (200.0, 1, "world"), (600.0, 3, "hello"), (700.0, 4, "world")]
    assert _reads(run, "rc") == [(900.0, 3, "hello"), (900.0, 4, "world")]
    assert run.report["exactly_once"]["ok"] and run.report["exactly_once"]["consumer"] is None
    summary = sim.run(sim.load_text(ABORTED, overrides=["run.trace=summary"]))
    counts = {e["consumer"]: (e["count"], e["digest"]) for e in summary.trace.of("consumer_summary")}
    assert counts["rc"] == (2, _digest("hello", "world"))
    assert counts["ru"] == (4, _digest("hello", "world", "hello", "world"))


def _attached(level: str, n: int, hold=None):
    """A topic of ``n`` records written ahead at 1, 2, ... n ms, one reader attached."""
    env = simpy.Environment()
    cluster = KafkaCluster({"in": 1}, max_timeout=900_000, abort_scan_interval=10_000)
    p: Partition = cluster.partition("in", 0)
    p.preload_lists([float(i + 1) for i in range(n)], [f"v{i}" for i in range(n)])
    p.hold = hold
    trace = Trace(level)
    readers = attach_consumers([("r", "in", "read_uncommitted")], cluster, trace, env)
    return env, p, trace, readers


def test_a_reader_releases_what_it_read_unless_the_job_may_still_read_it():
    # Records at 1 .. 5 ms; the run stops at 3.5 ms: the reader read offsets 0, 1, 2 at 1, 2, 3 ms.
    env, p, trace, readers = _attached("control", 5)
    env.run(until=3.5)
    assert [(e["t"], e["offset"]) for e in trace.of("consumer_read")] == [(1.0, 0), (2.0, 1), (3.0, 2)]
    assert p.base == 3                      # no job reads the topic (hold None): what was read is gone
    readers.close(3.5)                      # nothing more is visible at the end
    assert len(trace.of("consumer_read")) == 3
    env, p, trace, readers = _attached("control", 5, hold=1)
    env.run(until=3.5)
    assert p.base == 1                      # a restore could start at offset 1: kept


def test_a_summary_reader_wakes_per_batch_and_reads_the_rest_at_the_end():
    # 3 * BATCH records at 1 .. 3 * BATCH ms; a summary reader wakes when the last of the next BATCH
    # is written: at BATCH ms and 2 * BATCH ms. Stopped half-way through the third batch, it has
    # read 2 * BATCH records (all released); at the end it reads what is visible since then.
    n, stop = 3 * BATCH, 2.5 * BATCH
    env, p, trace, readers = _attached("summary", n)
    env.run(until=stop + 0.5)
    assert p.base == 2 * BATCH
    readers.close(stop + 0.5)
    summary = trace.first("consumer_summary")
    assert summary["count"] == int(stop)
    assert summary["digest"] == _digest(*(f"v{i}" for i in range(int(stop))))


def test_the_cli_table_names_the_topic_its_readers_read(tmp_path):
    from rich.console import Console

    from sim.cli_render import print_report

    from .test_cli import cli
    f = tmp_path / "lines.yaml"
    f.write_text(LINES)
    r = cli("run", str(f))
    assert r.returncode == 0 and "readers of 'lines'" in r.stdout and "sink topic" not in r.stdout
    # readers of several topics: a topic column; --json stays as it was (consumer -> values)
    run = sim.run(sim.load_text(LINES + COMMITTED))
    console = Console(record=True, width=120)
    print_report(run.report, console, topics={"raw": "lines", "plain": "lines", "committed": "counts"})
    text = console.export_text()
    lines = [line.strip() for line in text.splitlines()]
    assert "readers" in lines and "│ counts │ hello:::1" in text and "│ lines  │ hello world" in text
    assert set(run.report["consumers"]) == {"raw", "plain", "committed"}


def test_read_latency_of_an_input_reader_runs_from_each_record_s_append_time():
    # Worked out: the plain records are appended at 10, 20, 30 ms and read at those very times
    # (stable at once, read at their append time): each read's latency is 0 ms, from the append
    # time its origin (the record itself: lines-0@offset) names. So max_latency '== 0' holds for
    # both isolations; the sink topic's reader keeps its latency from the sink's appends.
    run = sim.run(sim.load_text(LINES + COMMITTED + "expect: {max_latency: {raw: '== 0', plain: '== 0'}}\n",
                                overrides=["run.trace=control"]))
    assert [tuple(e["origin"]) for e in run.trace.of("consumer_read") if e["consumer"] == "raw"] == \
        [("lines", 0, 0, 10.0), ("lines", 0, 1, 20.0), ("lines", 0, 2, 30.0)]
    assert run.report["latency"]["raw"] == {"mean": 0.0, "max": 0.0, "min": 0.0, "reads": 3,
                                            "end_to_end_mean": 0.0, "end_to_end_max": 0.0}
    assert run.report["failures"] == [] and run.report["latency"]["committed"]["min"] > 0


def test_max_latency_on_a_summary_trace_says_the_read_times_are_not_kept():
    # a summary trace keeps each reader's count (3 here), not when it read: the expectation
    # cannot be checked, and the message says why rather than "read nothing"
    run = sim.run(sim.load_text(LINES + "expect: {max_latency: {raw: '<= 1'}}\n", overrides=["run.trace=summary"]))
    assert run.report["failures"] == ["max_latency.raw: the consumer read 3 record(s), but the trace holds no "
                                      "times of reads (a summary trace): no latency to compare"]


def test_read_latency_of_generated_input_is_zero_not_a_negative_rounding_error():
    # Generated lines are appended at start + i / rate: 0.0875 ms is stored as 0.08750000000000001,
    # while the trace writes the read's time rounded to 1e-9 ms. The record's own origin is rounded
    # the same way, so a read at its append time is exactly 0 ms after it, never -1e-16 (printed -0.0).
    text = LINES.replace('  - {topic: lines, at: 10ms, value: "hello world"}\n  - {topic: lines, at: 20ms, value: "hello"}\n'
                         '  - {topic: lines, at: 30ms, value: "x:::3"}\n',
                         "  - generate: {topic: lines, rate: 400/ms, duration: 1ms}\n")
    latency = sim.run(sim.load_text(text, overrides=["run.trace=control"])).report["latency"]["raw"]
    assert latency["reads"] == 400
    for key in ("mean", "max", "min", "end_to_end_mean", "end_to_end_max"):
        assert latency[key] == 0.0 and str(latency[key]) == "0.0", (key, latency[key])
