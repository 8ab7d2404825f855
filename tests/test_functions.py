"""Column forms of the built-in functions give exactly what the functions give, record by record;
the reader's digest keeps the last n per key with or without values lacking ':::'."""
from zlib import crc32

import pytest
from hypothesis import given, settings, strategies as st

from sim.dataflow import FunctionRegistry, format_count
from sim.dataflow.functions import CountTexts, PairColumns
from sim.runtime.readers import MASK, ReadDigest

BUILTINS = FunctionRegistry()
# text with every kind of white space str.split knows, ':::' and non-ASCII letters
TEXT = st.lists(st.sampled_from(list("ab Zé:\t\n\x0b\x1c\u2003\u00a0") + ["xy", ":::"]), max_size=8).map("".join)
NUMBERS = st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=False), st.booleans())
PAIRS = st.lists(st.tuples(TEXT, NUMBERS), max_size=20)


def _flat(name, values):
    """What the reference did before column forms: the function per record, flattened."""
    fn = BUILTINS.get(name).fn
    outs = [fn(v) for v in values]
    return [x for out in outs for x in out], [len(out) for out in outs]


def test_every_builtin_has_a_column_form():
    assert all(BUILTINS.get(name).columns is not None for name in BUILTINS.names())


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXT, max_size=20))
def test_split_words_columns_is_split_words_per_line(lines):
    outputs, counts = BUILTINS.get("split_words").columns(lines)
    assert (list(outputs), list(counts() if callable(counts) else counts)) == _flat("split_words", lines)
    assert [type(p) for p in outputs] == [tuple] * len(outputs)          # pairs read as tuples
    assert outputs.same == 1 and all(n is outputs.same for _, n in outputs)


@settings(max_examples=60, deadline=None)
@given(PAIRS)
def test_format_count_columns_is_format_count_for_lists_tuples_and_columns(pairs):
    fn, columns = BUILTINS.get("format_count").fn, BUILTINS.get("format_count").columns
    expected = [fn(p) for p in pairs]
    assert columns(pairs) == expected
    assert columns([list(p) for p in pairs]) == expected
    assert columns(PairColumns([k for k, _ in pairs], [n for _, n in pairs])) == expected


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(TEXT, st.one_of(st.integers(-10**20, 10**20), st.floats())), max_size=20))
def test_format_count_of_plain_columns_knows_the_last_n_per_key_as_a_digest_splits_it(pairs):
    # str keys (some holding ':::'), int or float numbers: the texts are format_count's, and their
    # finals are what splitting every text at its last ':::' gives, the last per key
    columns = BUILTINS.get("format_count").columns
    texts = columns(PairColumns([k for k, _ in pairs], [n for _, n in pairs], None, True))
    assert isinstance(texts, CountTexts) and texts == [format_count(p) for p in pairs]
    assert texts.finals == _finals(texts)
    assert not isinstance(columns(PairColumns(["a"], [1])), CountTexts)          # not known plain


def test_split_words_knows_its_pairs_plain_only_for_str_lines():
    class Line(str):
        pass
    assert BUILTINS.get("split_words").columns(["a b", "c"])[0].plain
    pairs, counts = BUILTINS.get("split_words").columns(["a b", Line(" c\t\u2003d ")])
    assert not pairs.plain and list(pairs) == [("a", 1), ("b", 1), ("c", 1), ("d", 1)] and counts() == [2, 2]


def test_format_count_columns_indexes_what_is_not_a_pair_of_columns():
    # format_count indexes its argument: a 3-tuple gives its first two items, a mapping its 0 and 1
    columns = BUILTINS.get("format_count").columns
    assert columns([("a", 1, "x"), {0: "b", 1: 2}]) == ["a:::1", "b:::2"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(TEXT, NUMBERS, st.tuples(TEXT, NUMBERS)), max_size=20))
def test_map_columns_are_the_functions_per_record(values):
    for name in ("identity", "pair_one"):
        fn, columns = BUILTINS.get(name).fn, BUILTINS.get(name).columns
        assert list(columns(values)) == [fn(v) for v in values], name
    texts = [v for v in values if isinstance(v, str)]
    assert BUILTINS.get("lower").columns(texts) == [v.lower() for v in texts]


def test_identity_keeps_columns_and_pair_one_makes_them():
    pairs = PairColumns(["a", "b"], [1, 2])
    assert BUILTINS.get("identity").columns(pairs) is pairs
    ones = BUILTINS.get("pair_one").columns(["a", "b"])
    assert ones == [("a", 1), ("b", 1)] and ones.same == 1


def test_pair_columns_read_as_the_list_of_tuples():
    pairs = PairColumns(["a", "b", "a"], [1, 2, 3])
    assert len(pairs) == 3 and pairs[1] == ("b", 2) and pairs[-1] == ("a", 3)
    assert pairs[1:] == [("b", 2), ("a", 3)] and list(pairs) == [("a", 1), ("b", 2), ("a", 3)]
    assert pairs == [("a", 1), ("b", 2), ("a", 3)] and pairs != [("a", 1)] and pairs != "ab"
    assert ("b", 2) in pairs and pairs.count(("a", 1)) == 1


def _finals(values):
    """The rule: split each value at its last ':::'; the last n per key wins; no ':::', no entry."""
    finals = {}
    for v in values:
        if ":::" in v:
            key, _, n = v.rpartition(":::")
            finals[key] = n
    return finals


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(TEXT, max_size=8), max_size=4))
def test_a_digest_keeps_the_last_n_per_key_of_every_batch(batches):
    digest = ReadDigest("r", "read_committed", None)
    for batch in batches:
        digest.add(batch)
    values = [v for batch in batches for v in batch]
    assert digest.count == len(values)
    assert digest.digest == sum(crc32(v.encode()) for v in values) & MASK
    assert digest.finals == _finals(values)


def test_a_value_without_separator_in_a_batch_is_skipped_and_later_values_still_count():
    # worked out: a:::1 then b:::2 are kept, "plain" has no ':::' (no entry), then a:::3 replaces
    # a's 1 and "x:::y:::4" splits at its last ':::' (key "x:::y"); a batch of non-strings digests
    # their text: (k, 5) is "('k', 5)", no ':::'
    digest = ReadDigest("r", "read_committed", None)
    digest.add(["a:::1", "b:::2", "plain", "a:::3", "x:::y:::4"])
    digest.add([("k", 5)])
    assert digest.finals == {"a": "3", "b": "2", "x:::y": "4"}
    assert list(digest.finals) == ["a", "b", "x:::y"]
    assert digest.count == 6
    assert digest.digest == sum(crc32(v.encode()) for v in
                                ("a:::1", "b:::2", "plain", "a:::3", "x:::y:::4", "('k', 5)")) & MASK


def test_a_digest_takes_the_finals_count_texts_carry():
    # the texts are digested as any; the last n per key comes from the texts' own finals
    digest = ReadDigest("r", "read_committed", None)
    digest.add(["a:::1"])
    digest.add(CountTexts(["a:::2", "b:::1"], {"a": "2", "b": "1"}))
    assert (digest.count, digest.finals) == (3, {"a": "2", "b": "1"})
    assert digest.digest == sum(crc32(v.encode()) for v in ("a:::1", "a:::2", "b:::1")) & MASK


@pytest.mark.parametrize("name", ["split_words", "format_count", "lower", "identity", "pair_one"])
def test_a_function_added_through_the_api_has_no_column_form(name):
    functions = BUILTINS.with_function(name, BUILTINS.get(name).fn, kind=BUILTINS.get(name).kind)
    assert functions.get(name).columns is None
