"""Named user functions for ``flat_map`` and ``map`` operators.

A :class:`FunctionRegistry` maps names to plain Python functions. ``FunctionRegistry()`` starts
with the built-ins; the Python API extends a copy, so no module holds mutable global state::

    functions = FunctionRegistry().with_function("shout", str.upper, kind="map")
    simulate(scenario, functions=functions)
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, repeat
from operator import methodcaller
from typing import Callable, Iterable

from ..values import Value, set_field

__all__ = ["FunctionRegistry", "UserFunction", "PairColumns", "CountTexts", "split_words", "format_count"]


def split_words(line: str) -> list[tuple[str, int]]:
    """Split a line on white space into ``(word, 1)`` pairs, like the seed job's flatMap.

    NOTE: Java's ``split(" ")`` would also yield empty words between two spaces; runs of white
    space count as one separator here.
    """
    return [(word, 1) for word in line.split()]


def format_count(pair: tuple[str, int]) -> str:
    """``("hello", 2)`` -> ``"hello:::2"``, the seed job's output format."""
    return f"{pair[0]}:::{pair[1]}"


def lower(value: str) -> str:
    """Lower-case a string value."""
    return value.lower()


def identity(value):
    """Return the value unchanged."""
    return value


def pair_one(value) -> tuple:
    """``value`` -> ``(value, 1)``: make each record countable by keyed_sum."""
    return (value, 1)


def split_words_batch(records: list) -> list:
    """``split_words`` over a buffer of ``(line, origin)`` records, in one comprehension."""
    return [((word, 1), origin) for line, origin in records for word in line.split()]


def format_count_batch(records: list) -> list:
    """``format_count`` over a buffer of ``((word, n), origin)`` records."""
    return [(f"{word}:::{n}", origin) for (word, n), origin in records]


def split_words_values(lines: list) -> list:
    """``split_words`` over a buffer of bare lines (a run whose records carry no origin).

    NOTE: the lines joined by a space split into the same words, in the same order, as each
    line split on its own (a space is white space, and white space runs are one separator):
    one ``split`` and pairs made by ``zip`` in C, instead of a split and a tuple per line. Lines
    that are not ``str`` (a function of the Python API may give bytes) are split one by one.
    """
    return list(zip(split_words_keys(lines), repeat(1)))


def split_words_keys(lines: list) -> list:
    """The words of ``split_words_values``'s pairs, in order, without the pairs (the runtime hands
    a word count's keyed sum the words themselves: sim/runtime/operators.py ``gives_words``)."""
    try:
        return " ".join(lines).split()
    except TypeError:
        return [word for line in lines for word in line.split()]


def format_count_values(pairs: list) -> list:
    """``format_count`` over a buffer of bare ``(word, n)`` pairs."""
    return [f"{word}:::{n}" for word, n in pairs]


class PairColumns(Sequence):
    """``(key, number)`` records held as two columns, ``keys`` and ``numbers`` (lists of one
    length), read as the sequence of ``(key, number)`` tuples they stand for. ``same``: the one
    number object every record has, when its maker knows it (``split_words``'s 1), else None.
    ``plain``: its maker knows every key is a ``str`` and every number an int or a float, so
    ``format_count`` of a pair splits back at its last ':::' into the key and the number's text."""

    __slots__ = ("keys", "numbers", "same", "plain")

    def __init__(self, keys: list, numbers: list, same=None, plain: bool = False) -> None:
        self.keys, self.numbers, self.same, self.plain = keys, numbers, same, plain

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return list(self)[index]
        return self.keys[index], self.numbers[index]

    def __iter__(self):
        return zip(self.keys, self.numbers)

    def __eq__(self, other) -> bool:
        return isinstance(other, (list, PairColumns)) and list(self) == list(other)

    __hash__ = None

    def __repr__(self) -> str:
        return f"PairColumns({list(self)!r})"

    def count_texts(self):
        """``format_count`` of these pairs in a form that knows a reader's digest without forming
        the texts, or None (see :class:`~sim.dataflow.sums.RunningSums`)."""
        return None


# Column forms: the function over a whole sequence of values at once, for the ideal reference
# (which keeps a window's values and their origins in separate lists). A map's gives the list
# ``[fn(v) for v in values]``; a flat_map's gives ``(outputs, counts)``: every ``fn(v)``'s outputs
# one after the other, and how many each value gave (a list, a function of no arguments giving
# it, or an iterator of them: called or read only as far as the outputs' origins are read). The
# values are a list or, for pairs, a :class:`PairColumns` (a column form may give one too). They loop in C (``map`` over C
# callables) where ``fn`` costs a Python call per record; tests/test_functions.py pins each
# against ``fn``.

def split_words_columns(lines) -> tuple[PairColumns, Iterable]:
    """``split_words`` over lines: ``(pairs, pairs per line)``, the counts computed when read."""
    if set(map(type, lines)) <= {str}:
        # NOTE: as split_words_values: the lines joined by a space split into the words of each
        # line in turn, in one call; a str's split gives str words (plain pairs)
        # NOTE: the counts are a lazy map over ``lines``: the reference never changes a window's
        # list after handing it on (windows, inputs and merges all build new lists)
        keys = " ".join(lines).split()
        return PairColumns(keys, [1] * len(keys), 1, True), map(len, map(str.split, lines))
    words = list(map(_split, lines))
    keys = list(chain.from_iterable(words))
    return PairColumns(keys, [1] * len(keys), 1), list(map(len, words)).copy


class CountTexts(list):
    """``format_count``'s texts that also know ``finals``: the text after the last ':::' of the
    last text per key (what a reader's digest keeps), taken from the pairs instead of the texts."""

    __slots__ = ("finals",)

    def __init__(self, texts: list, finals: dict) -> None:
        super().__init__(texts)
        self.finals = finals


def format_count_columns(pairs) -> list:
    """``format_count`` over pairs."""
    if not isinstance(pairs, PairColumns):
        return [f"{pair[0]}:::{pair[1]}" for pair in pairs]
    lazy = pairs.count_texts()
    if lazy is not None:
        return lazy
    texts = [f"{word}:::{n}" for word, n in zip(pairs.keys, pairs.numbers)]     # tuples: unpacking is indexing
    if not pairs.plain:
        return texts
    # NOTE: a str key formats as itself and an int's or a float's text holds no ':', so the last
    # ':::' of 'key:::n' is the one format_count put there: the last n per key is the last pair's
    last = dict(zip(pairs.keys, pairs.numbers))
    return CountTexts(texts, dict(zip(last, map(format, last.values()))))


def lower_columns(values) -> list:
    """``lower`` over values."""
    return list(map(_lower, values))


def identity_columns(values):
    """``identity`` over values (pairs stay columns)."""
    return values if isinstance(values, PairColumns) else list(values)


def pair_one_columns(values) -> PairColumns:
    """``pair_one`` over values."""
    values = list(values)
    return PairColumns(values, [1] * len(values), 1)


_split, _lower = methodcaller("split"), methodcaller("lower")      # the value's own method, as fn calls it


class UserFunction(Value):
    """A named function; ``batch`` (optional) does the same to a whole buffer of (value, origin),
    ``values`` (optional) to a whole buffer of bare values (records without origins), ``columns``
    (optional) to a sequence of values for the ideal reference (see ``split_words_columns``)."""

    __slots__ = ("name", "kind", "fn", "description", "batch", "values", "columns")

    def __init__(self, name: str, kind: str, fn: Callable, description: str = "", batch: Callable | None = None,
                 values: Callable | None = None, columns: Callable | None = None) -> None:
        set_field(self, "name", name)
        set_field(self, "kind", kind)            # "flat_map" or "map"
        set_field(self, "fn", fn)
        set_field(self, "description", description)
        set_field(self, "batch", batch)
        set_field(self, "values", values)
        set_field(self, "columns", columns)


_BUILTINS = (
    UserFunction("split_words", "flat_map", split_words, "line -> (word, 1) for each word", split_words_batch,
                 split_words_values, split_words_columns),
    UserFunction("format_count", "map", format_count, "(word, n) -> 'word:::n'", format_count_batch,
                 format_count_values, format_count_columns),
    UserFunction("lower", "map", lower, "lower-case a string", columns=lower_columns),
    UserFunction("identity", "map", identity, "the value unchanged", columns=identity_columns),
    UserFunction("pair_one", "map", pair_one, "value -> (value, 1)", columns=pair_one_columns),
)


class FunctionRegistry:
    """An immutable-by-convention map of function names to :class:`UserFunction`."""

    def __init__(self, functions: Iterable[UserFunction] = _BUILTINS) -> None:
        self._functions = {f.name: f for f in functions}

    def with_function(self, name: str, fn: Callable, kind: str = "map", description: str = "",
                      columns: Callable | None = None) -> "FunctionRegistry":
        """A new registry with ``name`` added (or replaced); ``columns`` (optional): the same
        function over a whole list of values, for the ideal reference (see ``split_words_columns``)."""
        if kind not in ("map", "flat_map"):
            raise ValueError(f"kind must be 'map' or 'flat_map', got {kind!r}")
        return FunctionRegistry([*self._functions.values(), UserFunction(name, kind, fn, description, columns=columns)])

    def get(self, name: str) -> UserFunction | None:
        """The function registered under ``name``, or None."""
        return self._functions.get(name)

    def names(self, kind: str | None = None) -> list[str]:
        """Registered names, optionally only those of one kind (``flat_map`` or ``map``)."""
        return sorted(n for n, f in self._functions.items() if kind is None or f.kind == kind)

    def __contains__(self, name: str) -> bool:
        return name in self._functions
