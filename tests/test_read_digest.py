"""A summary reader's digest: the count, the sum of the values' crc32 and the last n per key of
what it read, batch by batch, whichever way it finds them (value by value, or a batch's lines of
keys it met in the partition before: sim/runtime/readers.py's ``_Lines``)."""
import re
from zlib import crc32

from hypothesis import given, settings, strategies as st

from sim.runtime.readers import LINES_MIN, LINES_MISSES, MASK, ReadDigest, _Lines


def _simple(batches):
    """The rule, value by value: a non-str value is read as its text; a value split at its last
    ':::' gives (key, n), the last n per key wins (in the order keys were first met); a value
    without ':::' gives no entry."""
    count, digest, finals = 0, 0, {}
    for values, _ in batches:
        for v in values:
            v = v if isinstance(v, str) else str(v)
            count += 1
            digest = (digest + crc32(v.encode())) & MASK
            if ":::" in v:
                key, _, n = v.rpartition(":::")
                finals[key] = n
    return count, digest, finals


def _digest(batches) -> ReadDigest:
    digest = ReadDigest("r", "read_committed", None)
    for values, part in batches:
        digest.add(values, part)
    return digest


KEYS = st.sampled_from(["alpha", "beta", "é", "", "a:b", "a b", "x\ny", "alpha:::beta", "a\u2003"])
NS = st.one_of(st.integers(0, 10**6).map(str), st.sampled_from(["", "1:2", ":", "é9", "3\n4", "7:::8"]))
ODD = st.one_of(st.text(alphabet="ab:é\n ", max_size=6), st.integers(), st.tuples(st.text(max_size=2), st.integers()))
# mostly key:::n values of a few keys (batches long enough for the lines' shortcut), sometimes another
VALUE = st.one_of(st.tuples(KEYS, NS).map(":::".join), st.tuples(st.sampled_from(["alpha", "beta", "é"]),
                  st.integers(0, 999).map(str)).map(":::".join), ODD)
BATCH = st.tuples(st.lists(VALUE, max_size=3 * LINES_MIN), st.sampled_from([None, 0, 1]))
# long batches of key:::n values: of plain keys, or of any (a key holding another and ':::')
PLAIN = st.tuples(st.lists(st.tuples(st.sampled_from(["alpha", "beta", "é", "a b", ""]), st.integers(0, 99).map(str))
                           .map(":::".join), min_size=LINES_MIN, max_size=3 * LINES_MIN), st.sampled_from([0, 1]))
ANY_KEYS = st.sampled_from(["alpha", "alpha:::beta", "a:b", "a"])
LINES = st.tuples(st.lists(st.tuples(ANY_KEYS, st.integers(0, 99).map(str)).map(":::".join),
                           min_size=LINES_MIN, max_size=2 * LINES_MIN), st.sampled_from([0, 1]))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(BATCH, PLAIN, LINES), max_size=8))
def test_the_digest_is_the_simple_per_value_form(batches):
    digest = _digest(batches)
    count, crcs, finals = _simple(batches)
    assert (digest.count, digest.digest, digest.finals) == (count, crcs, finals)
    assert list(digest.finals) == list(finals)          # keys in the order first met, too


def test_a_new_key_in_a_matched_batch_is_learnt_where_it_stops_the_match():
    # worked out from the rule: batch 1 (40 values, partition 0) alternates a:::0, b:::1 ... so
    # a's last n is 38 and b's 39; batch 2 has a:::100..a:::139 with c:::7 at index 35 (past the
    # first LINES_MIN values, so learnt where the match stops) and d:::5 last: a -> 139 (index
    # 39 is a:::139), c -> 7, d -> 5; keys first met in the order a, b, c, d
    first = [f"{'ab'[i % 2]}:::{i}" for i in range(40)]
    second = [f"a:::{100 + i}" for i in range(40)]
    second[35], second[-1] = "c:::7", "d:::5"
    digest = _digest([(first, 0), (second, 0)])
    assert digest.finals == {"a": "138", "b": "39", "c": "7", "d": "5"}
    assert list(digest.finals) == ["a", "b", "c", "d"]
    lines = digest._lines[0]
    assert (list(lines.keys), lines.misses) == (["a", "b", "c", "d"], 0)


def test_values_the_lines_cannot_hold_are_split_one_by_one():
    # a ':' after the key's ':::' ("a:::1:2" splits at its last ':::': key a, n "1:2"), a value
    # without ':::' ("plain": no entry) and a value with a newline ("b:::1\nc:::2": key
    # "b:::1\nc", n "2") each fail the match: the batch is split value by value, a miss each;
    # a's last n is then the last batch's a:::31 (after "a:::1:2" of the second)
    base = [f"a:::{i}" for i in range(LINES_MIN)]
    batches = [(base, 1), (base + ["a:::1:2"], 1), (base + ["plain"], 1), (base + ["b:::1\nc:::2"], 1)]
    digest = _digest(batches)
    assert digest.finals == {"a": str(LINES_MIN - 1), "b:::1\nc": "2"}
    assert digest._lines[1].misses == 3


def test_too_many_misses_end_the_shortcut_for_the_partition_only():
    base = [f"a:::{i}" for i in range(LINES_MIN)]
    digest = _digest([(base + ["plain"], 0)] * (LINES_MISSES + 1) + [(base, 1), (base, 1)])
    assert digest._lines[0].misses == LINES_MISSES and digest._lines[1].misses == 0
    # a batch of LINES_MIN + 1 values, LINES_MISSES + 1 times, then two of LINES_MIN
    assert digest.count == (LINES_MISSES + 1) * (LINES_MIN + 1) + 2 * LINES_MIN
    assert digest.finals == {"a": str(LINES_MIN - 1)}


def test_a_key_with_a_newline_is_never_learnt():
    # 'a\nb:::5' splits into key 'a\nb' (n 5); were it learnt, a later batch's values 'a' (no ':::')
    # then 'b:::2' would join into the line 'a\nb:::2' and overwrite its final with 2. Split value by
    # value, 'a' is skipped and 'b' gets 2: finals {'a\nb': '5', 'x': '1', 'b': '2'}.
    digest = ReadDigest("r", "read_committed", None)
    digest.add(["a\nb:::5"], 0)
    digest.add(["x:::1"] * LINES_MIN + ["a", "b:::2"], 0)
    assert digest.finals == {"a\nb": "5", "x": "1", "b": "2"}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "al", "alpha", "", "b", "a b"]), min_size=1, max_size=4, unique=True),
       st.lists(st.tuples(st.sampled_from(["a", "al", "alpha", "", "b", "a b", "c"]), st.sampled_from([":::", "::", ":"]),
                          st.text(alphabet="12:\n", max_size=4)).map("".join), max_size=12))
def test_the_possessive_pattern_ends_where_the_greedy_one_does(keys, lines):
    # the rule: _Lines.PATTERN's match ends after the last of the leading lines that are a known
    # key, ':::' and no ':' (keys prefixes of one another: a branch that fails is retried)
    text = "\n" + "\n".join(lines)
    names = "|".join(map(re.escape, keys))
    greedy = re.compile("(?:\n(?:%s):::[^:\n]*)*" % names)
    ours = re.compile(_Lines.PATTERN % names)
    for pos in range(len(text) + 1):
        assert ours.match(text, pos).end() == greedy.match(text, pos).end()
