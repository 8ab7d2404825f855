"""Bare records: with a summary trace records carry no origin; the values-only forms do what the
``(value, origin)`` forms do (sim/runtime/operators.py: bare_records)."""
from types import SimpleNamespace

import pytest
from hypothesis import given, settings, strategies as st

import sim
from sim import FunctionRegistry, load_text, simulate
from sim.dataflow.functions import (format_count, format_count_batch, format_count_values, split_words,
                                    split_words_batch, split_words_keys, split_words_values)
from sim.provenance import Origin
from sim.runtime.chain import OperatorChain
from sim.runtime.operators import NUMERALS, FlatMap, KeyedSum, Map, gives_pairs, gives_words
from sim.runtime.outputs import Outputs
from sim.runtime.readers import ReadDigest
from sim.trace import KINDS, SUMMARY

from .conftest import HELLO, SCENARIOS
from .test_semantics_more import PARTITIONS

ROOT = SCENARIOS.parent
#: between them: hash, rebalance and forward edges, a transactional input (the source's fetch), a
#: source subtask reading two partitions (merged poll), unaligned in-flight buffers restored, a
#: producer batch (linger), crashes and replays, a rescale
FILES = ["hello_world_crash.yaml", "connectors/reads_aborted_input.yaml", "lifecycle/stop_and_rescale.yaml",
         "recovery/restore_new_partition_earliest.yaml", "recovery/unaligned_inflight_restore.yaml",
         "recovery/shuffle_crash_at_least_once.yaml", "recovery/wordcount_crash_on_record.yaml",
         "recovery/at_least_once_cancellation.yaml"]       # a task aborts its own checkpoint there


def _folded_reads(trace) -> dict:
    """Each reader's count, digest and finals, folded from a detailed trace's ``consumer_read`` events."""
    digests: dict = {}
    for e in trace.of("consumer_read"):
        digests.setdefault(e["consumer"], ReadDigest(e["consumer"], e["isolation"], None)).add([e["value"]])
    return {name: (d.count, d.digest, {k: str(v) for k, v in d.finals.items()}) for name, d in digests.items()}


def _summaries(trace) -> dict:
    return {e["consumer"]: (e["count"], e["digest"], {k: str(v) for k, v in e["final_counts"].items()})
            for e in trace.of("consumer_summary") if e["count"]}


def _summary_events(trace) -> list:
    # NOTE: the summary and run_start events differ by level by design; every other summary kind
    # (a task's own checkpoint_abort too) is written alike at every level
    skip = {"summary", "run_start", "consumer_summary"}
    return [e.to_dict() for e in trace if KINDS[e["kind"]][0] == SUMMARY and e["kind"] not in skip]


def _same_run(scenario, functions=None) -> None:
    """The summary run (bare records) and the control run (records with origins) are the same run:
    the same job-level events at the same times, the same record counts, and every reader read
    the same values (the summary's digests are the fold of the control run's reads)."""
    bare = simulate(scenario, trace_level="summary", functions=functions).trace
    full = simulate(scenario, trace_level="control", functions=functions).trace
    assert _summary_events(bare) == _summary_events(full)
    for kind in ("record_receive", "record_process", "record_send"):
        assert bare.counters[kind] == full.counters[kind]
    assert _summaries(bare) == _folded_reads(full)


@pytest.mark.parametrize("name", FILES)
def test_a_summary_run_moves_the_same_values_as_a_control_run(name):
    _same_run(sim.load_scenario(SCENARIOS / name))


def test_the_benchmark_at_buffer_100_moves_the_same_values_at_every_level():
    _same_run(sim.load_scenario(ROOT / "benchmarks" / "workload.yaml", overrides=[
        "job.network.buffer_size=100", "input[0].generate.duration=2ms"]))


@pytest.mark.parametrize("partitioner", ["rebalance", "broadcast", "hash"])
def test_user_functions_and_partitioners_move_the_same_values_bare(partitioner):
    # identity and a user map of the Python API have no values batch form: their process_values runs
    shout = FunctionRegistry().with_function("shout", lambda v: v.upper() if isinstance(v, str) else v, kind="map")
    edges = (f"[{{from: source, to: split}}, {{from: split, to: up, partitioner: {partitioner}}}, "
             "{from: up, to: sink, partitioner: rebalance}]")
    text = PARTITIONS.replace("EDGES", edges).replace("function: identity", "function: shout")
    _same_run(load_text(text, functions=shout), shout)


ORIGINS = [Origin("in", 0, i, float(i)) for i in range(4)]
LINES = ["a b", "  b\tc  a ", "", "über x\ny"]


def test_split_words_values_gives_the_pairs_of_the_origin_form():
    # white-space runs (spaces, a tab, a newline) are one separator; an empty line gives nothing
    pairs = [("a", 1), ("b", 1), ("b", 1), ("c", 1), ("a", 1), ("über", 1), ("x", 1), ("y", 1)]
    assert split_words_values(LINES) == pairs
    assert [p for p, _ in split_words_batch(list(zip(LINES, ORIGINS)))] == pairs
    # bytes (a function of the Python API may give them) cannot be joined by a str: split one by one
    assert split_words_values([b"a b", b"c"]) == [(b"a", 1), (b"b", 1), (b"c", 1)]
    assert split_words_values([]) == []


def test_format_count_values_and_keyed_sum_match_their_origin_forms():
    pairs = [("a", 1), ("b", 2), ("a", 3), (("k", 1), 4), ("a", 1)]
    tupled, bare = KeyedSum(), KeyedSum(bare=True)
    tupled.restore({"a": 10})
    bare.restore({"a": 10})
    # running sums per key, from the restored a=10: a 11, b 2, a 14, (k, 1) 4, a 15
    expected = [("a", 11), ("b", 2), ("a", 14), (("k", 1), 4), ("a", 15)]
    assert bare.process(pairs) == expected
    assert tupled.process(list(zip(pairs, ORIGINS + ORIGINS[:1]))) == list(zip(expected, ORIGINS + ORIGINS[:1]))
    assert bare.state == tupled.state == {"a": 15, "b": 2, ("k", 1): 4}
    assert format_count_values(expected[:3]) == ["a:::11", "b:::2", "a:::14"]
    assert format_count_batch(list(zip(expected[:3], ORIGINS))) == list(zip(["a:::11", "b:::2", "a:::14"], ORIGINS))


def test_keyed_sum_of_one_pair_at_a_time_is_the_sum_of_the_buffer():
    """Buffers of one pair (buffer_size 1) take their own path: the same sums and texts, pair by pair."""
    pairs = [("a", 1), ("b", 2), ("a", 3), (("k", 1), 4), ("a", 1, "extra")]
    whole, single = KeyedSum(bare=True), KeyedSum(bare=True)
    # running sums per key: a 1, b 2, a 4, (k, 1) 4, a 5 (a pair's fields after the second are ignored)
    expected = [("a", 1), ("b", 2), ("a", 4), (("k", 1), 4), ("a", 5)]
    assert whole.process(pairs) == expected
    assert [r for p in pairs for r in single.process([p])] == expected
    texts = ["a:::1", "b:::2", "a:::4", "('k', 1):::4", "a:::5"]
    count, fmt = KeyedSum(bare=True), Map(format_count, bare=True, values=format_count_values)
    fused = count.fuse(fmt)
    assert [r for p in pairs for r in fused([p])] == texts and count.state == single.state == whole.state


# --- known pairs (operators.gives_pairs): unpacking instead of indexing -------------------------------
#: keys of every kind a pair may hold (a str, a tuple, an int) and sums of ints and floats
PAIRS = st.lists(st.tuples(st.sampled_from(["a", "b", "über", ("k", 1), 7]),
                           st.one_of(st.integers(-3, 10**12), st.floats(-1e3, 1e3))), max_size=40)


def _cut(items: list, cuts: list) -> list:
    """``items`` cut into consecutive non-empty buffers of the lengths ``cuts`` (repeated)."""
    out, start = [], 0
    for cut in cuts * 8:
        if items[start:start + cut]:
            out.append(items[start:start + cut])
        start += cut
    return out


@settings(max_examples=60, deadline=None)
@given(PAIRS, st.lists(st.integers(1, 7), min_size=1, max_size=8))
def test_keyed_sum_of_known_pairs_is_the_indexing_loop(pairs, cuts):
    """``_pair_sums`` (pairs unpacked) gives the sums, texts and state of ``_sums`` (pairs indexed),
    buffer by buffer, for buffers of one pair too (their own path), from a restored state."""
    forms = [(KeyedSum(bare=True), KeyedSum(bare=True, pairs=True)) for _ in range(2)]
    fmt = Map(format_count, bare=True, values=format_count_values)
    calls = [(plain.process, known.process) for plain, known in forms[:1]]
    calls += [(plain.fuse(fmt), known.fuse(fmt)) for plain, known in forms[1:]]
    for plain, known in forms:
        plain.restore({"a": 5, ("k", 1): 0.5})
        known.restore({"a": 5, ("k", 1): 0.5})
    for buffer in _cut(pairs, cuts):
        for plain, known in calls:
            assert known(list(buffer)) == plain(list(buffer))
    assert [known.state for _, known in forms] == [plain.state for plain, _ in forms]
    # records with origins: the same sums, each keeping its origin
    plain, known = KeyedSum(), KeyedSum(pairs=True)
    records = [(pair, ORIGINS[i % 4]) for i, pair in enumerate(pairs)]
    assert known.process(records) == plain.process(records) and known.state == plain.state


@pytest.mark.parametrize("size", [1, 3, 100])
@pytest.mark.parametrize("bare", [True, False])
def test_hash_outputs_of_known_pairs_are_those_of_the_general_loop(size, bare):
    pairs = [("a", 5), ("c", 1), ("b", 2), ("zz", 1), (("k", 1), 3), ("a", 1), ("c", 2)] * 3
    records = pairs if bare else [(p, ORIGINS[i % 4]) for i, p in enumerate(pairs)]
    chans = [_Channel(name=f"ch{i}") for i in range(3)]
    rng = SimpleNamespace(randrange=lambda n: 0)
    general, known = (Outputs([(chans, "hash", 128)], size, rng, bare, pairs) for pairs in (False, True))
    for part in (records[:5], records[5:]):
        general.add(part)
        known.add(part)
    general.flush()
    known.flush()
    assert [(ch.name, buf) for ch, buf in known.ready] == [(ch.name, buf) for ch, buf in general.ready]
    assert len({ch.name for ch, _ in known.ready}) > 1          # the keys went to several channels


def test_only_the_builtin_pair_makers_give_pairs():
    builtins = FunctionRegistry()
    ops = {op.name: op for op in load_text(HELLO).job.operators}
    # split_words (flat_map) gives (word, 1) tuples, a keyed_sum its (key, sum); a source's lines, a
    # format_count's texts do not
    assert [gives_pairs(ops[n], builtins) for n in ("source", "split", "count", "format")] == [False, True, True, False]
    # a user function under the built-in's name, or the built-in registered as a map, is not known
    mine = builtins.with_function("split_words", lambda line: [(w, 1, "x") for w in line.split()], kind="flat_map")
    assert not gives_pairs(ops["split"], mine)
    pair_map = SimpleNamespace(type="map", function="split_words")
    assert not gives_pairs(pair_map, builtins.with_function("split_words", split_words_values, kind="map"))
    assert gives_pairs(SimpleNamespace(type="map", function="pair_one"), builtins)


def test_a_keyed_sum_unpacks_only_known_pairs(monkeypatch):
    """The word count's keyed_sum gets split_words's pairs and unpacks them (bare, it gets the words
    that stand for them: ``gives_words``); fed by a user function whose tuples have three fields it
    indexes them (a pair's fields after the second are ignored), and the summary run is still the
    control run."""
    unpacked = []
    pair_sums, process_pairs, word_sums = KeyedSum._pair_sums, KeyedSum._process_pairs, KeyedSum._word_sums
    monkeypatch.setattr(KeyedSum, "_pair_sums", lambda self, f, pairs: unpacked.append(len(pairs)) or
                        pair_sums(self, f, pairs))
    monkeypatch.setattr(KeyedSum, "_process_pairs", lambda self, records: unpacked.append(-len(records)) or
                        process_pairs(self, records))
    monkeypatch.setattr(KeyedSum, "_word_sums", lambda self, f, words: unpacked.append(("words", len(words))) or
                        word_sums(self, f, words))
    text = HELLO.replace("value: world}", "value: world hello world}").replace(
        "  parallelism: 1\n", "  parallelism: 1\n  network: {buffer_size: 10, buffer_timeout: 0}\n")
    _same_run(load_text(text))
    # the second line's three words in one buffer: bare as words, with origins as pairs unpacked
    assert ("words", 3) in unpacked and -3 in unpacked and 3 not in unpacked
    unpacked.clear()
    triples = FunctionRegistry().with_function("triples", lambda line: [(w, 1, "x") for w in line.split()],
                                               kind="flat_map")
    mine = load_text(text.replace("function: split_words", "function: triples"), functions=triples)
    _same_run(mine, triples)
    assert unpacked == []
    assert _summaries(simulate(mine, trace_level="summary", functions=triples).trace) == \
        _summaries(simulate(load_text(text), trace_level="summary").trace)


def test_user_functions_without_a_batch_form_run_on_bare_values():
    twice = FlatMap(lambda v: [v, v], bare=True)
    assert twice.process(["x", "y"]) == ["x", "x", "y", "y"]
    upper = Map(str.upper, bare=True)
    assert upper.process(["x", "y"]) == ["X", "Y"]
    # a values batch form, when given, is used as it is
    assert Map(str.upper, bare=True, values=lambda vs: ["batch"] * len(vs)).process(["x"]) == ["batch"]


class _Channel(SimpleNamespace):
    pass


@pytest.mark.parametrize("size", [1, 2, 3, 100])
def test_hash_outputs_of_bare_values_are_the_buffers_of_the_origin_form(size):
    # the key is a pair's first field, else the value itself: "a" and ("a", 5) go to the same channel
    records = ["a", ("a", 5), "b", ("c", 1), ("b", 2), "zz", ("zz", 1), "c", ("a", 1)]
    chans = [_Channel(name=f"ch{i}") for i in range(3)]
    rng = SimpleNamespace(randrange=lambda n: 0)
    bare = Outputs([(chans, "hash", 128)], size, rng, bare=True)
    tupled = Outputs([(chans, "hash", 128)], size, rng)
    for part in (records[:4], records[4:]):
        bare.add(part)
        tupled.add([(v, ORIGINS[0]) for v in part])
    bare.flush()
    tupled.flush()
    sent = [(ch.name, buf) for ch, buf in bare.ready]
    assert sent == [(ch.name, [v for v, _ in buf]) for ch, buf in tupled.ready]
    assert sum(len(b) for _, b in sent) == len(records) and all(len(b) <= size for _, b in sent)
    by_channel = {}
    for name, buf in sent:
        by_channel.setdefault(name, []).extend(buf)
    # one key, one channel; each channel keeps the order the records came in
    def key(v):
        return v[0] if type(v) is tuple else v
    for k in ("a", "b", "c", "zz"):
        assert len({name for name, buf in by_channel.items() for v in buf if key(v) == k}) == 1
    for buf in by_channel.values():
        assert buf == [v for v in records if v in buf]


# --- fused neighbours (sim/runtime/chain.py): keyed_sum then format_count in one pass ------------------
CRASHES = ["", "faults:\n  - {task: format, on_record: 2}\n", "faults:\n  - {task: count, on_record: 2}\n",
           "faults:\n  - {task: format, probability: 0.3}\n"]
RESTART = "restart: {strategy: fixed_delay, attempts: 3, delay: 10ms}\n"


@pytest.mark.parametrize("faults", CRASHES)
def test_fusing_keyed_sum_and_format_count_changes_nothing(faults, monkeypatch):
    # a crash before format splits the pair again; one before count keeps it fused: either way the
    # trace is the one of the operators called one by one (fuse turned off); fused only when bare
    text = HELLO + faults + RESTART
    fused = simulate(load_text(text), trace_level="summary").trace
    monkeypatch.setattr(KeyedSum, "fuse", lambda self, following: None)
    plain = simulate(load_text(text), trace_level="summary").trace
    assert fused.events == plain.events and fused.counters == plain.counters


def test_a_chain_fuses_keyed_sum_and_format_count_until_a_check_comes_between():
    count, fmt = KeyedSum(bare=True), Map(format_count, bare=True, values=format_count_values)
    chain = OperatorChain(["count", "format"], [count, fmt], [0.5, 0.25])
    assert chain.fused and chain.steps[1][0] is not fmt.process
    # 3 records: due grows by 0.5 x 3, then by 0.25 x 3, as the two operators one after the other
    assert chain.advance([("a", 1), ("b", 1), ("a", 1)], 0, 0.0) == (["a:::1", "b:::1", "a:::2"], 2.25, 2)
    # the task loop's view: one call doing both, format's 0.25 per record added after it; no external step
    assert chain.pure_prefix() == ([(chain.steps[0][0], 0.5, 0.25)], 2)
    chain.set_check(1, lambda task, records: records)
    assert not chain.fused and chain.steps[0][0] == count.process and chain.steps[1][0] == fmt.process
    # one record: count alone (0.5 x 1), then the chain stops at the check before format (step 1)
    assert chain.advance([("a", 1)], 0, 0.0) == ([("a", 3)], 0.5, 1)


# --- words standing for (word, 1) (operators.gives_words): no tuple per word -------------------------
DAG = """
name: w
kafka: {topics: {in: {partitions: 1}, out: {partitions: 1}, out2: {partitions: 1}}}
input:
  - {topic: in, at: 0, value: "a b c a über"}
  - {topic: in, at: 1, value: "b  b\\ta"}
job:
  parallelism: 2
  network: {buffer_size: 4, buffer_timeout: 0}
  edges: EDGES
  operators:
    - {name: source, type: kafka_source, implementation: FlinkKafkaConsumer, topic: in, parallelism: 1, start_from: earliest}
    - {name: split, type: flat_map, function: split_words, parallelism: 1}
    - {name: ones, type: map, function: pair_one, parallelism: 1}
    - {name: count, type: keyed_sum}
    - {name: format, type: map, function: format_count}
    - {name: sink, type: kafka_sink, implementation: FlinkKafkaProducer, topic: out, semantic: at_least_once, linger: 0}
    - {name: up, type: map, function: identity}
    - {name: sink2, type: kafka_sink, implementation: FlinkKafkaProducer, topic: out2, semantic: at_least_once, linger: 0}
consumers:       # read_committed on both topics: no _checker reader is added (one per topic, of one name)
  - {name: all, topic: out, isolation: read_committed}
  - {name: all2, topic: out2, isolation: read_committed}
"""
_COUNT = "{from: source, to: split}, {from: split, to: count, partitioner: hash}, {from: count, to: format}, " \
         "{from: format, to: sink}"
_UP = "{from: up, to: sink2, partitioner: rebalance}"
#: the word count alone; split also feeding another operator; count also fed by another operator
DAGS = {"alone": f"[{_COUNT}, {{from: source, to: ones}}, {{from: ones, to: up}}, {_UP}]",
        "split feeds more": f"[{_COUNT}, {{from: split, to: up, partitioner: rebalance}}, {{from: source, to: ones}}, "
                            f"{{from: ones, to: sink2, partitioner: rebalance}}, {{from: up, to: sink2}}]",
        "count fed by more": f"[{_COUNT}, {{from: source, to: ones}}, {{from: ones, to: count, partitioner: hash}}, "
                             f"{{from: ones, to: up, partitioner: rebalance}}, {_UP}]"}


def _word_flags(monkeypatch, scenario, level: str) -> tuple[set, set]:
    """The ``words`` flags of the run's keyed sums and of its outputs that hand records on."""
    sums, outs = set(), set()
    init, out_init = KeyedSum.__init__, Outputs.__init__
    monkeypatch.setattr(KeyedSum, "__init__", lambda self, *a: init(self, *a) or sums.add(self.words))
    monkeypatch.setattr(Outputs, "__init__", lambda self, *a: out_init(self, *a) or
                        (outs.add(self.words) if self.edges else None))
    simulate(scenario, trace_level=level)
    monkeypatch.undo()
    return sums, outs


@pytest.mark.parametrize("dag", list(DAGS))
def test_split_words_hands_a_keyed_sum_words_only_when_nothing_else_sees_them(dag, monkeypatch):
    scenario = load_text(DAG.replace("EDGES", DAGS[dag]))
    alone = dag == "alone"
    # bare records, buffers above one: words on both ends of the edge, or on neither
    assert _word_flags(monkeypatch, scenario, "summary") == ({alone}, {alone, False} if alone else {False})
    assert _word_flags(monkeypatch, scenario, "control") == ({False}, {False})
    one = load_text(DAG.replace("EDGES", DAGS[dag]).replace("buffer_size: 4", "buffer_size: 1"))
    assert _word_flags(monkeypatch, one, "summary") == ({False}, {False})
    _same_run(scenario)
    _same_run(one)


def test_split_words_keys_are_the_words_of_the_pairs():
    # the rule: split_words of each line on its own, its pairs' words in order
    assert split_words_keys(LINES) == [w for line in LINES for w, one in split_words(line)]
    assert split_words_keys([b"a b", b" c"]) == [b"a", b"b", b"c"]       # not str: one by one
    assert split_words_keys([]) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "über", "zz"]), max_size=40), st.lists(st.integers(1, 7), min_size=1,
                                                                                   max_size=8))
def test_keyed_sum_of_words_is_the_sum_of_their_pairs(words, cuts):
    """``_word_sums`` gives the sums, texts and state of ``_pair_sums`` over ``(word, 1)``, buffer
    by buffer (buffers of one word too), from a restored state."""
    fmt = Map(format_count, bare=True, values=format_count_values)
    sums = [(KeyedSum(bare=True, pairs=True), KeyedSum(bare=True, words=True)) for _ in range(2)]
    calls = [(pairs.process, known.process) for pairs, known in sums[:1]]
    calls += [(pairs.fuse(fmt), known.fuse(fmt)) for pairs, known in sums[1:]]
    for pairs, known in sums:
        pairs.restore({"a": 5})
        known.restore({"a": 5})
    for buffer in _cut(words, cuts):
        for by_pairs, by_words in calls:
            assert by_words(list(buffer)) == by_pairs([(w, 1) for w in buffer])
    assert [known.state for _, known in sums] == [pairs.state for pairs, _ in sums]


@pytest.mark.parametrize("size", [2, 3, 100])
def test_hash_outputs_of_words_are_those_of_their_pairs(size):
    words = ["a", "c", "b", "zz", "a", "c", "über"] * 3
    chans = [_Channel(name=f"ch{i}") for i in range(3)]
    rng = SimpleNamespace(randrange=lambda n: 0)
    pairs, known = Outputs([(chans, "hash", 128)], size, rng, True, True), \
        Outputs([(chans, "hash", 128)], size, rng, True, True, True)
    for part in (words[:5], words[5:]):
        pairs.add([(w, 1) for w in part])
        known.add(part)
    pairs.flush()
    known.flush()
    assert [(ch.name, buf) for ch, buf in known.ready] == [(ch.name, [w for w, _ in buf]) for ch, buf in pairs.ready]
    assert len({ch.name for ch, _ in known.ready}) > 1


@pytest.mark.parametrize("name", FILES)
def test_words_move_the_same_values_through_crashes_restores_and_rescales(name, monkeypatch):
    # the shipped runs at buffer_size 1 hand pairs; at 4 their word counts hand words (summary)
    scenario = sim.load_scenario(SCENARIOS / name, overrides=["job.network.buffer_size=4"])
    assert True in _word_flags(monkeypatch, scenario, "summary")[0]
    _same_run(scenario)


@pytest.mark.parametrize("restored", [None, {"a": NUMERALS - 150}, {"a": 2.5}, {"a": -3}, {"a": True}, {"a": 10**20}])
def test_keyed_sum_of_words_texts_its_sums_as_the_pairs_do(restored):
    """The numbers' texts (``KeyedSum.numerals``) give ``str(total)`` as they grow, past their
    largest (``NUMERALS``) and from restored sums that are no count from 0 (a float, a negative
    int, a bool, a huge int): the texts and state of ``_pair_sums`` over ``(word, 1)``."""
    fmt = Map(format_count, bare=True, values=format_count_values)
    pairs, words = KeyedSum(bare=True, pairs=True), KeyedSum(bare=True, words=True)
    pairs.restore(restored)
    words.restore(restored)
    by_pairs, by_words = pairs.fuse(fmt), words.fuse(fmt)
    for buffer in _cut(["a"] * 170 + ["b", "a"] * 60 + ["c"] * 40, [100, 7, 1, 33]):
        assert by_words(list(buffer)) == by_pairs([(w, 1) for w in buffer])
    assert words.state == pairs.state


def test_keyed_sum_of_words_past_the_table_and_back_in_one_buffer():
    """One buffer in which a key passes ``NUMERALS`` (the table is dropped) and a later key's
    sum is past the table's length at the buffer's start (the reviewer's TypeError): the texts
    are ``str(n)`` of each running count, worked out by hand: a goes NUMERALS-1 -> NUMERALS,
    b goes 0 -> 1, and c (restored at len(table) + 10) one more."""
    words = KeyedSum(bare=True, words=True)
    words.restore({"a": NUMERALS - 1, "c": 500})
    fused = words.fuse(Map(format_count, bare=True, values=format_count_values))
    assert fused(["a", "b", "c"]) == [f"a:::{NUMERALS}", "b:::1", "c:::501"]
    assert fused(["c", "b"]) == ["c:::502", "b:::2"]
    assert words.state == {"a": NUMERALS, "b": 2, "c": 502}


def test_an_alias_of_split_words_without_its_buffer_form_splits_line_by_line(monkeypatch):
    """``gives_words`` needs the built-in's own buffer form: an alias registered with only the
    function splits each line by its own ``split`` (a str subclass may have another), so no
    words are handed on for it."""
    functions = FunctionRegistry().with_function("alias", split_words, kind="flat_map")
    assert functions.get("alias").values is None
    op = SimpleNamespace(type="flat_map", function="alias")
    attempt = SimpleNamespace(trace=SimpleNamespace(control=False), buffer_size=4,
                              job=SimpleNamespace(functions=functions))
    assert gives_words(attempt, None, op) is False


def test_keyed_sums_of_words_share_their_numbers_texts():
    """Two keyed sums of one table (``Job.numerals``): each one's texts are its own sums', whoever
    grew the table; one that passes the table's end or holds a float stops using it, not the other."""
    fmt = Map(format_count, bare=True, values=format_count_values)
    table = []
    ahead, behind, odd = (KeyedSum(bare=True, words=True, numerals=table) for _ in range(3))
    ahead.restore({"a": 300})
    odd.restore({"a": 0.5})
    for op in (ahead, behind, odd, ahead):
        start = dict(op.state)
        texts = op.fuse(fmt)(["a", "b", "a"] * 50)
        plain = KeyedSum(bare=True)
        plain.restore(start)
        assert texts == plain.fuse(fmt)([("a", 1), ("b", 1), ("a", 1)] * 50)
    assert table[:400] == [str(i) for i in range(400)] and behind.numerals is table and odd.numerals is None
    ahead.restore({"a": NUMERALS})
    assert ahead.fuse(fmt)(["a"]) == [f"a:::{NUMERALS + 1}"] and ahead.numerals is None and behind.numerals is table
