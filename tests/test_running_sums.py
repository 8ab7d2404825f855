"""The keyed sum's windows of equal addends, held per key run (sim/dataflow/sums.py), give what
the functions give record by record: the running sums of the loop, and ``format_count`` texts
whose reader's digest (count, crc32 sum, last n per key) is the digest of the texts themselves."""
from fractions import Fraction
from zlib import crc32

import pytest
from hypothesis import given, settings, strategies as st

from sim.dataflow import FunctionRegistry, format_count
from sim.dataflow.functions import PairColumns
from sim.dataflow import sums
from sim.dataflow.sums import Numerals, RunningCountTexts, RunningSums, _BitPlanes
from sim.ideal_stream import _KeyedSum
from sim.runtime.readers import ReadDigest

FORMAT = FunctionRegistry().get("format_count").columns
# keys: non-ASCII letters, ':' runs (':::' inside a key, or at its end), white space, the empty key
KEY = st.lists(st.sampled_from(["a", "b", "é", "字", "😀", ":", ":::", " ", "\u2003", "9"]), max_size=4).map("".join)
START = st.one_of(st.integers(0, 3000), st.integers(0, 10**12), st.integers(-50, -1),
                  st.floats(0, 2.0**60, allow_nan=False), st.just(2.0**53), st.just(Fraction(1, 3)))


def _digest(values) -> ReadDigest:
    digest = ReadDigest("r", "read_uncommitted", None)
    digest.add(values)
    return digest


def _same_digest(got: ReadDigest, expected: ReadDigest) -> None:
    assert (got.count, got.digest, got.finals) == (expected.count, expected.digest, expected.finals)


@settings(max_examples=150, deadline=None)
@given(st.lists(KEY, min_size=1, max_size=6, unique=True).flatmap(lambda keys: st.tuples(
    st.lists(st.lists(st.sampled_from(keys), max_size=30), min_size=1, max_size=4),   # the windows
    st.dictionaries(st.sampled_from(keys), START),                                   # sums before them
    st.sampled_from([1, 1, 2, 3, 0, -1]))))                                            # the addend
def test_windows_of_equal_addends_sum_and_digest_as_the_loop_and_format_count(case):
    windows, starts, a = case
    keyed = _KeyedSum(set())
    keyed.state.update(starts)
    keyed.addend = a
    state = dict(starts)                  # the rule: each record adds a to its key's sum so far
    for window in windows:
        before = [state.get(key, 0) for key in window]
        pairs = []
        for key in window:
            state[key] = state.get(key, 0) + a
            pairs.append((key, state[key]))
        out, _ = keyed(PairColumns(window, [a] * len(window), a, True), [("t", 0, k, 0.0) for k in range(len(window))])
        texts = FORMAT(out)
        shortcut = isinstance(texts, RunningCountTexts)
        # the digest first (from the runs), then the texts and pairs formed from them
        _same_digest(_digest(texts), _digest([format_count(p) for p in pairs]))
        assert list(texts) == [format_count(p) for p in pairs] and list(out) == pairs
        assert [type(n) for _, n in out] == [type(n) for _, n in pairs]
        assert keyed.state == state
        # int sums of a nonzero addend (a table of the window's numbers, or each record's): no text formed
        assert shortcut == (a != 0 and bool(window) and all(type(s) is int for s in before))


def test_a_worked_window_of_running_counts():
    # worked out: 'é:::' has no sum yet, 'b' has 9; adding 1 per record gives é::: 1, b 10, é::: 2;
    # format_count gives 'é::::::1', 'b:::10', 'é::::::2' (a reader splits each at its last ':::':
    # key 'é:::'), so the digest is the sum of their crc32s and the finals é::: 2, b 10
    keyed = _KeyedSum(set())
    keyed.state["b"] = 9
    keyed.firsts["b"] = (1, "t", 0)
    keys = ["é:::", "b", "é:::"]
    out, _ = keyed(PairColumns(keys, [1, 1, 1], 1, True), [("t", 1, k, 0.0) for k in range(3)])
    assert isinstance(out, RunningSums) and out.runs == (["é:::", "b"], [0, 9], [2, 1])
    texts = FORMAT(out)
    assert isinstance(texts, RunningCountTexts) and len(texts) == 3
    assert texts.crc32_sum() == sum(crc32(t.encode()) for t in ("é::::::1", "b:::10", "é::::::2"))
    assert texts.finals == {"é:::": "2", "b": "10"}
    assert texts == ["é::::::1", "b:::10", "é::::::2"] and texts[1] == "b:::10"
    assert keyed.state == {"é:::": 2, "b": 10} and keyed.firsts["é:::"] == (1, "t", 1)


def test_runs_far_apart_and_runs_that_overlap_give_the_same_digest():
    # key 'k' has 10**9, 'j' 0 (runs far apart: each number's text made for its record) and, in a
    # window of its own, 'j' 1 and 'i' 2 (runs overlapping: one table of 2..4): the sums k 10**9 + 1,
    # j 1, k 10**9 + 2, then j 2, i 3, j 3, i 4; each digest is the sum of its texts' crc32s
    keyed = _KeyedSum(set())
    keyed.state.update(k=10**9, i=2)
    keyed.firsts.update(k=(1, "t", 0), i=(1, "t", 0))
    keyed.addend = 1
    for window, texts in ((["k", "j", "k"], ["k:::1000000001", "j:::1", "k:::1000000002"]),
                          (["j", "i", "j", "i"], ["j:::2", "i:::3", "j:::3", "i:::4"])):
        out = FORMAT(keyed(PairColumns(window, [1] * len(window), 1, True), [("t", 0, 0, 0.0)] * len(window))[0])
        assert isinstance(out, RunningCountTexts) and out.crc32_sum() == sum(crc32(t.encode()) for t in texts)
        assert list(out) == texts


def test_negative_addends_and_keys_not_known_str():
    # an addend -2 from a sum 3: 1, -1 (texts 'k:::1', 'k:::-1', last n '-1'); keys not known to
    # be str are formatted: their texts could split anywhere
    keyed = _KeyedSum(set())
    keyed.state["k"], keyed.firsts["k"], keyed.addend = 3, (-2, "t", 0), -2
    texts = FORMAT(keyed(PairColumns(["k", "k"], [-2, -2], -2, True), [("t", 0, 0, 0.0)] * 2)[0])
    assert isinstance(texts, RunningCountTexts) and texts.finals == {"k": "-1"}
    assert texts.crc32_sum() == crc32(b"k:::1") + crc32(b"k:::-1") and texts == ["k:::1", "k:::-1"]
    out, _ = keyed(PairColumns(["k"], [-2], -2, False), [("t", 0, 2, 0.0)])
    assert FORMAT(out) == ["k:::-3"] and not isinstance(FORMAT(out), RunningCountTexts)


def test_numerals_keep_a_span_of_texts_from_window_to_window():
    # worked out: cover(3, 6) makes 3, 4, 5; cover(4, 8) drops 3 and makes 6, 7; cover(5, 6) keeps
    # 5..7 (made already); cover(2, 4) is below the table and cover(20, 22) past its end: afresh
    numerals = Numerals()
    texts = lambda *ns: [str(n).encode() for n in ns]
    assert numerals.cover(3, 6) == texts(3, 4, 5) and numerals.low == 3
    assert numerals.cover(4, 8) == texts(4, 5, 6, 7) and numerals.low == 4
    assert numerals.cover(5, 6) == texts(5, 6, 7)
    assert numerals.cover(2, 4) == texts(2, 3) and numerals.low == 2
    assert numerals.cover(20, 22) == texts(20, 21) and Numerals().texts == []


@pytest.mark.parametrize("low, high", [(0, 1), (0, 250), (95, 105), (98, 1203), (9990, 10_010), (123_456, 123_789)])
def test_numerals_crcs_are_the_crc32s_of_the_numbers_texts(low, high):
    # the rule: crcs_over(low, high)[n - low] == crc32(str(n).encode()), one by one (spans crossing
    # 99 -> 100, 999 -> 1000 and 9999 -> 10000 change the texts' length); moved up, the table keeps
    # what it had from the new low on and adds the rest; below it or past its end it starts afresh
    numerals = Numerals()
    crcs = lambda a, b: [crc32(str(n).encode()) for n in range(a, b)]

    def over(a, b):          # what the table gives from a, up to b - 1 at least (its kept rest checked too)
        table = numerals.crcs_over(a, b)
        assert numerals.crc_low == a and len(table) >= b - a and table == crcs(a, a + len(table))
        return len(table)
    assert over(low, high) == high - low
    middle = (low + high) // 2
    assert over(middle, high + 150) == high + 150 - middle
    assert over(middle, middle + 1) == high + 150 - middle                # within the table: kept
    assert over(high + 500, high + 502) == 2                              # past its end: afresh
    assert over(low, low + 1) == 1                                        # below it: afresh


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=80).flatmap(lambda crcs: st.tuples(
    st.just(crcs), st.integers(0, len(crcs) - 1), st.integers(0, len(crcs)), st.integers(0, 2**32 - 1))))
def test_bit_planes_sum_xors_as_the_loop(case):
    # the rule: the sum of crcs[k] ^ f over a slice, summed one by one
    crcs, i, n, f = case
    n = min(n, len(crcs) - i)
    assert _BitPlanes(crcs).xor_sum(i, n, f) == sum(x ^ f for x in crcs[i:i + n])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(KEY, st.integers(0, 1200), st.integers(1, 300)), min_size=1, max_size=5, unique_by=lambda r: r[0]),
       st.sampled_from([1, 3, 64]))
def test_long_runs_of_counts_digest_as_their_texts(runs, long_run):
    # keys with sums s before the window and c records in it: their texts are k:::s+1 ... k:::s+c
    # (runs crossing 9 -> 10, 99 -> 100 and 999 -> 1000 change the numbers' length); the digest
    # is the sum of the texts' crc32s, whichever runs are summed by bit sets (long_run: from
    # which length on), and so are the finals (k: s + c)
    window = [key for key, _, c in runs for _ in range(c)]
    starts = {key: s for key, s, _ in runs}
    texts = [f"{key}:::{starts[key] + j}" for key, _, c in runs for j in range(1, c + 1)]
    keyed = _KeyedSum(set())
    keyed.state.update(starts)
    keyed.addend = 1
    old, sums.LONG_RUN = sums.LONG_RUN, long_run
    try:
        out = FORMAT(keyed(PairColumns(window, [1] * len(window), 1, True), [("t", 0, 0, 0.0)] * len(window))[0])
        assert isinstance(out, RunningCountTexts)
        _same_digest(_digest(out), _digest(texts))
    finally:
        sums.LONG_RUN = old
