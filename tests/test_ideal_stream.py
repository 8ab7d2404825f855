"""The summary reference, evaluated a window at a time in bounded memory, judges as the list reference does."""
import tracemalloc
from fractions import Fraction
from zlib import crc32

import pytest

import sim
from sim.ideal import ideal_reference
import sim.ideal_stream as ideal_stream
from sim.dataflow import FunctionRegistry
from sim.dataflow.functions import PairColumns

from .conftest import HELLO, ROOT, SCENARIOS

# every shipped job, and the benchmark's workload (its summary reference is the one timed)
JOBS = [p for p in sorted(SCENARIOS.rglob("*.yaml")) if "kind: job" in p.read_text() or "kind:" not in p.read_text()]
JOBS.append(ROOT / "benchmarks" / "workload.yaml")

# two sources merged by append time, a broadcast edge into a parallelism-2 map, two generate
# items sharing the input topic (their lines interleave by time), and sums of running sums
# whose values depend on arrival order (the long item last: drawing past an earlier item's lines
# takes 65 536 at a time)
MERGED = """
name: merged
seed: 3
kafka: {topics: {a: {partitions: 2}, b: {partitions: 1, grow: [{at: 5ms, partitions: 2}]}, out: {partitions: 2}}}
input:
  - generate: {topic: a, rate: 2/ms, duration: 15ms, words: [y, w], words_per_line: 3, key_skew: zipf}
  - generate: {topic: a, rate: 3/ms, duration: 20ms, words: [x, y, z], words_per_line: 2}
  - {topic: b, at: 0, value: "x"}
  - {topic: b, at: 4, value: "w y"}
  - {topic: b, partition: 1, at: 7, value: "z z"}
job:
  parallelism: 2
  edges: [{from: sa, to: split}, {from: sb, to: split}, {from: split, to: count},
          {from: count, to: again}, {from: again, to: format, partitioner: broadcast}, {from: format, to: sink}]
  operators:
    - {name: sa, type: kafka_source, topic: a, start_from: earliest}
    - {name: sb, type: kafka_source, topic: b, start_from: latest, partition_discovery_interval: 2ms}
    - {name: split, type: flat_map, function: split_words}
    - {name: count, type: keyed_sum}
    - {name: again, type: keyed_sum}
    - {name: format, type: map, function: format_count}
    - {name: sink, type: kafka_sink, topic: out, transaction_timeout: 1min}
checkpointing: {interval: 10ms}
consumers:
  - {name: committed, topic: out, isolation: read_committed}
run: {until: drained, max_time: 10s, trace: summary}
"""


def _edit(text: str, *replacements) -> str:
    """``text`` with each ``(old, new)`` replaced in turn."""
    for old, new in replacements:
        text = text.replace(old, new)
    return text


def _same(scenario):
    """The streamed reference's summary trace (count, digest and finals per sink topic) and timing
    figures equal the list reference's (its digests: a reader's of the full outputs' values)."""
    lists, streamed = ideal_reference(scenario), ideal_reference(scenario, summary=True)
    assert streamed.outputs is None
    assert [dict(e) for e in streamed.trace("summary")] == [dict(e) for e in lists.trace("summary")]
    for field in ("work", "span", "records_read", "order_dependent", "complete", "reason", "finish_ms"):
        assert getattr(streamed, field) == getattr(lists, field), field
    return streamed


@pytest.mark.parametrize("path", JOBS, ids=lambda p: p.stem)
def test_every_shipped_job_streams_to_the_same_digests(path):
    scenario = sim.load_scenario(path)
    if scenario.kind == "job":
        _same(scenario)


def test_merged_sources_broadcast_and_order_dependent_sums_stream_the_same():
    s = sim.load_text(MERGED)
    ref = _same(s)
    assert ref.order_dependent                      # sums of sums fed from two partitions
    assert sim.run(s).report["exactly_once"]["ok"]


def test_hello_digest_from_the_rule():
    # the ideal output is hello:::1, world:::1, hello:::2: 3 values, the digest is the sum of their
    # crc32s (mod 2^64), the final counts the last n per key
    summary = next(e for e in ideal_reference(sim.load_text(HELLO), summary=True).trace("summary")
                   if e["kind"] == "consumer_summary")
    assert summary["count"] == 3
    assert summary["digest"] == sum(crc32(v.encode()) for v in ("hello:::1", "world:::1", "hello:::2"))
    assert summary["final_counts"] == {"hello": 2, "world": 1}


def test_tiny_windows_split_ties_as_the_lists_order_them(monkeypatch):
    # partitions read 2 records at a time: windows end inside runs of equal append times (the
    # explicit records at 0 ms, lines of both items at the same ms), so the window rule (records
    # before the smallest last buffered time, refilling on ties) decides the order
    def tiny(scenario, rng, shared=None):
        out = {}
        for key, chunks in stream_partitions(scenario, rng, shared).items():
            rows = [r for times, values in chunks for r in zip(times, values)]
            out[key] = [([t for t, _ in rows[i:i + 2]], [v for _, v in rows[i:i + 2]]) for i in range(0, len(rows), 2)]
        return out
    stream_partitions = ideal_stream.stream_partitions
    monkeypatch.setattr(ideal_stream, "stream_partitions", tiny)
    text = MERGED.replace('  - {topic: b, at: 4, value: "w y"}', '  - {topic: b, at: 4, value: "w y"}\n'
                          '  - {topic: a, partition: 0, at: 0, value: "y y"}\n  - {topic: a, partition: 1, at: 0, value: "w"}')
    _same(sim.load_text(text))


def test_fan_out_and_two_sinks_of_one_topic_stream_the_same_digests():
    # one map feeding two sinks: both read the same window's list
    text = HELLO.replace("kafka: {topics: {in: {partitions: 1}, out: {partitions: 1}}}",
                         "kafka: {topics: {in: {partitions: 1}, out: {partitions: 1}, out2: {partitions: 1}}}")
    text = text.replace("  operators:", "  edges: [{from: source, to: split}, {from: split, to: count}, "
                        "{from: count, to: format}, {from: format, to: sink}, {from: format, to: sink2}]\n  operators:")
    text = text.replace("    - {name: sink,", "    - {name: sink2, type: kafka_sink, topic: out2, transaction_timeout: 1min}\n"
                        "    - {name: sink,")
    _same(sim.load_text(text))
    _same(sim.load_text(text.replace("topic: out2", "topic: out")))      # the second sink's values last


def test_a_summary_reference_refuses_to_judge_a_control_trace():
    ref = sim.ideal_reference(sim.load_text(HELLO), summary=True)
    with pytest.raises(ValueError, match="computed for summary traces"):
        ref.trace("control")


def _peak(lines: int) -> int:
    s = sim.load_text(MERGED.replace("rate: 3/ms, duration: 20ms", f"rate: 3/ms, duration: {lines // 3}ms"))
    tracemalloc.start()
    ideal_reference(s, summary=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_summary_reference_memory_does_not_grow_with_the_input():
    # five times the input: the lists would hold five times the values; the windows hold the keyed
    # state and a chunk of input (4096 lines are generated at a time: both runs take several)
    small, big = _peak(20_000), _peak(100_000)
    assert big < 1.5 * small, (small, big)


def test_a_source_reading_a_topic_the_job_writes_streams_the_same_digests():
    # the sink's window output feeds the source of its topic in the same window, merged by
    # arrival with that topic's own input (a record an upstream producer commits at 150 ms: plain
    # input into a topic a sink writes is refused)
    text = _edit(HELLO, ("out: {partitions: 1}}}", "out: {partitions: 1}, out2: {partitions: 1}}}"),
                 ("  - {topic: in, at: 200, value: world}",
                  "  - {topic: in, at: 200, value: world}\n"
                  "  - transaction: {topic: out, commit: 150, records: [{at: 150, value: 'x:::7'}]}"),
                 ("  operators:", "  edges: [{from: source, to: split}, {from: split, to: count}, {from: count, to: "
                  "format}, {from: format, to: sink}, {from: again, to: lower}, {from: lower, to: sink2}]\n"
                  "  operators:"),
                 ("    - {name: sink,", "    - {name: again, type: kafka_source, topic: out, start_from: earliest}\n"
                  "    - {name: lower, type: map, function: lower}\n"
                  "    - {name: sink2, type: kafka_sink, topic: out2, transaction_timeout: 1min}\n    - {name: sink,"))
    ref = _same(sim.load_text(text))
    assert ref.records_read == 3 + 1 + 3           # 'in', then 'out': its own record and the 3 counts


def test_committed_transactional_input_read_over_several_windows_streams_the_same(monkeypatch):
    # a third source reads topic c, written only by transactions: 6 records committed at 19 ms
    # (appended at 1, 4 ... 16 ms), one aborted (never read), 2 committed at 12 ms in partition 1;
    # the windows of topics a and b end at several times, so the committed records are read a
    # window at a time, each in the first window ending after its append time
    recs = ", ".join(f"{{at: {t}, value: 'y z'}}" for t in range(1, 19, 3))
    text = _edit(MERGED, ("out: {partitions: 2}}}", "out: {partitions: 2}, c: {partitions: 2}}}"),
                 ('  - {topic: b, at: 0, value: "x"}', '  - {topic: b, at: 0, value: "x"}\n'
                  f"  - transaction: {{topic: c, commit: 19, records: [{recs}]}}\n"
                  "  - transaction: {topic: c, abort: 9, records: [{at: 2, value: 'w w'}]}\n"
                  "  - transaction: {topic: c, partition: 1, commit: 12, records: [{at: 11, value: 'x'}, "
                  "{at: 11, value: 'x y'}]}"),
                 ("{from: sb, to: split}", "{from: sb, to: split}, {from: sc, to: split}"),
                 ("    - {name: split,", "    - {name: sc, type: kafka_source, topic: c, start_from: earliest}\n"
                  "    - {name: split,"))
    read = []
    window = ideal_stream._Source.window

    def spy(self, taken, end, written):
        values, origins = window(self, taken, end, written)
        if self.topic == "c":
            read.append([(o[1], o[3]) for o in origins])
            assert all(t < end for _, t in read[-1])
        return values, origins
    monkeypatch.setattr(ideal_stream._Source, "window", spy)
    _same(sim.load_text(text))
    assert sum(map(bool, read)) > 1
    assert sorted(r for part in read for r in part) == [(0, float(t)) for t in range(1, 19, 3)] + [(1, 11.0)] * 2


def _origin(partition, offset=0, topic="a"):
    return (topic, partition, offset, float(offset))


def test_keyed_sum_of_equal_addends_in_columns_and_lists():
    # worked out: every addend is 1, so each key's sum is how often it came so far: x 1, y 1, x 2
    # in the first window, then y 2, x 3 (the sums go on from the state); one partition: nothing
    # depends on arrival order
    found = set()
    keyed = ideal_stream._KeyedSum(found)
    out, _ = keyed(PairColumns(["x", "y", "x"], [1, 1, 1], 1), [_origin(0, k) for k in range(3)])
    assert list(out) == [("x", 1), ("y", 1), ("x", 2)]
    out, _ = keyed([("y", 1), ("x", 1)], [_origin(0, 3), _origin(0, 4)])
    assert list(out) == [("y", 2), ("x", 3)]
    assert keyed.firsts == {"x": (1, "a", 0), "y": (1, "a", 0)} and not found


def test_keyed_sum_leaves_the_fast_path_with_exact_sums_and_marks_mixed_keys():
    # worked out: window 1 (all 1s) gives x 1, x 2, z 1; window 2 mixes in an addend 5 for x from
    # partition 1 while x's first addend (1) came from partition 0: x is order dependent; its sums
    # go on from 2: 2 + 5 = 7, then 7 + 1 = 8; z's 2 comes from partition 0 like its first: not
    # marked (its addend differs, its partition does not)
    found = set()
    keyed = ideal_stream._KeyedSum(found)
    out, _ = keyed([("x", 1), ("x", 1), ("z", 1)], [_origin(0, 0), _origin(0, 1), _origin(0, 2)])
    assert list(out) == [("x", 1), ("x", 2), ("z", 1)]
    out, _ = keyed([("x", 5), ("x", 1), ("z", 2)], [_origin(1, 0), _origin(0, 3), _origin(0, 4)])
    assert list(out) == [("x", 7), ("x", 8), ("z", 3)]
    assert found == {"x"}


def test_keyed_sum_of_addends_equal_to_1_but_not_the_int_1_sums_them_one_by_one():
    # 1.0 and True equal 1 but sum differently: 0 + 1 = 1, 1 + 1.0 = 2.0, 2.0 + True = 3.0; the
    # first window of 1s only is summed in C, the second must not be (its sums are floats)
    keyed = ideal_stream._KeyedSum(set())
    out, _ = keyed([("k", 1)], [_origin(0, 0)])
    assert list(out) == [("k", 1)]
    out, _ = keyed([("k", 1.0), ("k", True)], [_origin(0, 1), _origin(0, 2)])
    assert list(out) == [("k", 2.0), ("k", 3.0)] and [type(n) for _, n in out] == [float, float]
    out, _ = keyed(PairColumns(["k"], [True]), [_origin(0, 3)])
    assert list(out) == [("k", 4.0)]


def test_keyed_sum_output_is_plain_only_when_every_sum_is_an_int_or_a_float():
    # window 1 mixes 1 and Fraction(1) (equal, so no key is order dependent) and is summed record
    # by record: k 1, j Fraction(1); window 2 (all 1s) is summed in C from there: j Fraction(2),
    # k 2; a Fraction's text could be anything a class makes it, so the output is not plain
    keyed = ideal_stream._KeyedSum(set())
    keyed([("k", 1), ("j", Fraction(1))], [_origin(0, 0), _origin(0, 1)])
    out, _ = keyed(PairColumns(["j", "k"], [1, 1], 1, True), [_origin(0, 2), _origin(0, 3)])
    assert list(out) == [("j", Fraction(2)), ("k", 2)] and type(out[0][1]) is Fraction and not out.plain
    keyed = ideal_stream._KeyedSum(set())
    assert keyed(PairColumns(["j", "k"], [1, 1], 1, True), [_origin(0, 0), _origin(0, 1)])[0].plain
    assert not keyed(PairColumns(["j"], [1], 1, False), [_origin(0, 2)])[0].plain     # keys not known str


def test_keyed_sum_notes_the_first_partition_of_keys_new_to_a_large_window():
    # more than 8 new keys: their first records are found through one index of the window; each
    # key first comes from partition (its number mod 2); a later addend 2 from the other partition
    # makes every key order dependent
    found = set()
    keyed = ideal_stream._KeyedSum(found)
    keys = [f"k{i}" for i in range(12)] * 2
    keyed(PairColumns(keys, [1] * 24, 1), [_origin(i % 2, i) for i in range(12)] * 2)
    assert keyed.firsts == {f"k{i}": (1, "a", i % 2) for i in range(12)}
    out, _ = keyed([(f"k{i}", 2) for i in range(12)], [_origin(1 - i % 2, 30 + i) for i in range(12)])
    assert list(out) == [(f"k{i}", 4) for i in range(12)] and found == set(keys)


# two split_words (one per source) feed one count: the flat_maps' outputs meet by arrival, so
# each word keeps its line's origin through the column form's expansion
TWO_SPLITS = _edit(HELLO, ("kafka: {topics: {in: {partitions: 1}, out: {partitions: 1}}}",
                           "kafka: {topics: {in: {partitions: 1}, in2: {partitions: 1}, out: {partitions: 1}}}"),
                   ("  - {topic: in, at: 300, value: hello}",
                    "  - {topic: in, at: 300, value: hello}\n  - {topic: in2, at: 150, value: hello x}\n"
                    "  - {topic: in2, at: 300, value: x}"),
                   ("  operators:", "  edges: [{from: source, to: split}, {from: source2, to: split2}, "
                    "{from: split, to: count}, {from: split2, to: count}, {from: count, to: format}, "
                    "{from: format, to: sink}]\n  operators:"),
                   ("    - {name: split,", "    - {name: source2, type: kafka_source, topic: in2, "
                    "start_from: earliest}\n    - {name: split2, type: flat_map, function: split_words}\n"
                    "    - {name: split,"))

def test_flat_maps_feeding_a_merge_keep_their_records_origins():
    # worked out by arrival: hello@100 (in), hello x@150 (in2), world@200, hello@300 (in), x@300
    # (in2: after 'in' at the same time, topics by name): hello 1, hello 2, x 1, world 1, hello 3, x 2
    ref = _same(sim.load_text(TWO_SPLITS))
    lists = ideal_reference(sim.load_text(TWO_SPLITS))
    assert lists.outputs["out"][0] == ["hello:::1", "hello:::2", "x:::1", "world:::1", "hello:::3", "x:::2"]
    assert [o[:3] for o in lists.outputs["out"][1]] == [("in", 0, 0), ("in2", 0, 0), ("in2", 0, 0), ("in", 0, 1),
                                                        ("in", 0, 2), ("in2", 0, 1)]
    assert ref.digests["out"].finals == {"hello": "3", "x": "2", "world": "1"} and not ref.order_dependent


def test_a_flat_maps_origins_read_as_each_input_origin_repeated_per_output():
    # three records giving 2, 0 and 3 outputs: origins a, a, c, c, c
    origins = ideal_stream._Repeated(["a", "b", "c"], [2, 0, 3])
    assert len(origins) == 5 and list(origins) == ["a", "a", "c", "c", "c"]
    assert [origins[i] for i in range(5)] == ["a", "a", "c", "c", "c"] and origins[-1] == "c" and origins[-5] == "a"
    with pytest.raises(IndexError):
        origins[5]
    assert list(ideal_stream._Repeated([], [])) == [] and len(ideal_stream._Repeated([], [])) == 0


def test_a_flat_maps_origins_read_an_iterator_of_counts_only_as_far_as_an_index_needs():
    # 200 records giving 1, 0, 2, 1, 0, 2... outputs: records 3g, 3g+1, 3g+2 give outputs 3g (record
    # 3g's) and 3g+1, 3g+2 (record 3g+2's); the last two records give output 198 (record 198's).
    # Reading output 3 reads the first 64 counts only; iterating and len read them all, and
    # indexing past the last output (198) fails
    given = iter([1, 0, 2] * 66 + [1, 0])
    origins = ideal_stream._Repeated(list(range(200)), given)
    assert origins[0] == 0 and origins[1] == origins[2] == 2 and origins[3] == 3
    assert len(list(given)) == 200 - 64                    # the rest, left unread (and now gone)
    given = iter([1, 0, 2] * 66 + [1, 0])
    origins = ideal_stream._Repeated(list(range(200)), given)
    assert origins[150] == 150 and origins[151] == 152
    assert len(origins) == 199 and list(origins)[151] == 152 and origins[-1] == 198
    with pytest.raises(IndexError):
        origins[199]


def test_a_user_function_with_a_column_form_streams_the_same_digests():
    # 'shout' upper-cases each word's key; with its column form the summary reference calls that
    # once per window instead of the function per record, and judges alike
    calls = []

    def shout_columns(pairs):
        calls.append(len(pairs))
        return [(k.upper(), n) for k, n in pairs]
    text = _edit(HELLO, ("{name: count, type: keyed_sum}",
                         "{name: shout, type: map, function: shout}\n    - {name: count, type: keyed_sum}"))
    plain = FunctionRegistry().with_function("shout", lambda p: (p[0].upper(), p[1]))
    fast = FunctionRegistry().with_function("shout", lambda p: (p[0].upper(), p[1]), columns=shout_columns)
    expected = ideal_reference(sim.load_text(text, functions=plain), plain)
    got = ideal_reference(sim.load_text(text, functions=fast), fast, summary=True)
    assert [dict(e) for e in got.trace("summary")] == [dict(e) for e in expected.trace("summary")]
    assert expected.outputs["out"][0] == ["HELLO:::1", "WORLD:::1", "HELLO:::2"]
    assert sum(calls) == 3                                 # the 3 words, a window at a time
    assert ideal_stream._Repeated(["a", "b"], lambda: [1, 2])[2] == "b"          # counts given when asked


def test_keyed_sum_hands_float_sums_from_the_fast_path_back_to_the_loop_exactly():
    # window 1 (1 and 1.0: equal addends, summed one by one): f 1, then 1 + 1.0 = 2.0; window 2
    # (all 1s, in C) goes on from the float: 3.0, 4.0; window 3 mixes in a 5 (the loop): 4.0 + 5
    # = 9.0 -- the float state comes back as it was, not recomputed from the counter
    keyed = ideal_stream._KeyedSum(set())
    keyed([("f", 1), ("f", 1.0)], [_origin(0, 0), _origin(0, 1)])
    out, _ = keyed(PairColumns(["f", "f", "g"], [1, 1, 1], 1, True), [_origin(0, k) for k in (2, 3, 4)])
    assert list(out) == [("f", 3.0), ("f", 4.0), ("g", 1)] and out.plain
    assert [type(n) for _, n in out] == [float, float, int]
    out, _ = keyed([("f", 5), ("g", 1)], [_origin(0, 5), _origin(0, 6)])
    assert list(out) == [("f", 9.0), ("g", 2)] and type(out[0][1]) is float
