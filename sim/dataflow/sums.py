"""A keyed sum's window of running sums held per key, for the ideal reference at ``trace: summary``.

When every addend of a window is one and the same int ``a`` (``split_words`` gives ``(word, 1)``),
the running sums of a key ``k`` met ``c`` times in the window, with sum ``s`` before it, are
``s + a, s + 2a, ..., s + c*a``: the window is known from its keys, each distinct key's ``s`` and
``c`` (:class:`RunningSums`). The sums per record are computed only if something reads them.

A summary reader keeps of what it reads only a count, the sum of the ``crc32`` of every text
(order does not matter) and the last ``n`` per key. ``format_count`` of such a window
(:class:`RunningCountTexts`) gives all three without forming a text:

* ``format_count((k, n))`` is ``format(k) + ":::" + format(n)``, and ``zlib.crc32`` continues a
  checksum: ``crc32(x + y) == crc32(y, crc32(x))``. So a text's term is ``crc32(str(n).encode(),
  crc32(f"{k}:::".encode()))``: one checksum of the key's prefix per key, and the numbers' texts
  from one table (:class:`Numerals`), sliced per key (``table[s + a : s + c*a + 1 : a]``);
* the last text of a key holds its last sum ``s + c*a``.

Exact for ints (no rounding); the reference takes it only for str keys (which format as
themselves, so the last ':::' of a text is the one ``format_count`` put there), ``a >= 1`` and
``s >= 0`` (sums index the table), and falls back to forming the texts otherwise.
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, count, repeat
from operator import add, mul
from zlib import crc32

from .functions import PairColumns

__all__ = ["Numerals", "RunningSums", "RunningCountTexts"]

SLACK = 1024          # numbers a table may grow by beyond a window's records, else form the texts


class Numerals(list):
    """``str(i).encode()`` for ``i`` = 0, 1, 2...: the texts of running sums, shared by the keys
    of one reference (each reference makes its own: nothing is kept across runs)."""

    def upto(self, n: int) -> "Numerals":
        """This table, extended to hold ``n``'s text."""
        if n >= len(self):
            self += map(b"%d".__mod__, range(len(self), n + 1))      # b"%d" % i == str(i).encode()
        return self


class RunningSums(PairColumns):
    """``keyBy(0).sum(1)``'s output for a window whose addends are all the int ``addend``:
    ``keys`` per record, and ``runs`` = (the distinct keys in order of first appearance, the sum
    of each before the window, its count in the window). ``numbers``, the sum per record, is
    computed when first read. ``plain``: as :class:`PairColumns` (str keys, int or float sums)."""

    __slots__ = ("runs", "addend", "numerals", "_numbers")

    def __init__(self, keys: list, runs: tuple, addend: int, plain: bool, numerals: Numerals) -> None:
        self.keys, self.runs, self.addend, self.plain, self.numerals = keys, runs, addend, plain, numerals
        self.same, self._numbers = None, None

    @property
    def numbers(self) -> list:
        """The running sum of each record's key after it."""
        if self._numbers is None:
            distinct, starts, _ = self.runs
            a = self.addend
            # NOTE: an itertools.count from s + a stepping by a makes the loop's very additions
            # (a float or a Fraction start is added to step by step, not multiplied)
            counters = dict(zip(distinct, map(count, map(add, starts, repeat(a)), repeat(a))))
            self._numbers = list(map(next, map(counters.__getitem__, self.keys)))
        return self._numbers

    def ends(self) -> list:
        """Each distinct key's sum after the window (exact when the starts are ints)."""
        _, starts, counts = self.runs
        return list(map(add, starts, map(mul, counts, repeat(self.addend))))

    def count_texts(self):
        """``format_count`` of these pairs as a :class:`RunningCountTexts`, or None when its
        shortcut would not be exact or cheap (see the module docstring)."""
        _, starts, counts = self.runs
        a = self.addend
        if not (self.plain and type(a) is int and a >= 1 and starts and set(map(type, starts)) == {int}
                and min(starts) >= 0):
            return None
        ends = self.ends()
        if max(ends) > len(self.numerals) + len(self.keys) + SLACK:
            return None                   # a table that large would cost more than the texts
        return RunningCountTexts(self, ends)


class RunningCountTexts(Sequence):
    """``format_count`` of :class:`RunningSums` (checked exact by ``count_texts``): ``finals`` (the
    last n per key, as a reader's digest keeps them) and ``crc32_sum()`` (the sum of the texts'
    crc32s) without forming a text; the texts are formed when first read (``len`` reads none)."""

    __slots__ = ("pairs", "ends", "finals", "_texts")

    def __init__(self, pairs: RunningSums, ends: list) -> None:
        self.pairs, self.ends, self._texts = pairs, ends, None
        self.finals = dict(zip(pairs.runs[0], map(str, ends)))

    def crc32_sum(self) -> int:
        """The sum of ``crc32(text.encode())`` over the texts (not reduced)."""
        distinct, starts, counts = self.pairs.runs
        a = self.pairs.addend
        numerals = self.pairs.numerals.upto(max(self.ends))
        # NOTE: "{}:::".format(k) and format_count's f-string both start with format(k, "")
        prefixes = map(crc32, map(str.encode, map("{}:::".format, distinct)))
        numbers = map(numerals.__getitem__, map(slice, map(add, starts, repeat(a)), map(add, self.ends, repeat(1)),
                                                repeat(a)))
        return sum(map(crc32, chain.from_iterable(numbers), chain.from_iterable(map(repeat, prefixes, counts))))

    @property
    def texts(self) -> list:
        """The texts, ``format_count`` of each pair."""
        if self._texts is None:
            self._texts = [f"{word}:::{n}" for word, n in zip(self.pairs.keys, self.pairs.numbers)]
        return self._texts

    def __len__(self) -> int:
        return len(self.pairs.keys)

    def __getitem__(self, index):
        return self.texts[index]

    def __iter__(self):
        return iter(self.texts)

    def __eq__(self, other) -> bool:
        return isinstance(other, (list, Sequence)) and not isinstance(other, (str, bytes)) and \
            self.texts == list(other)

    __hash__ = None

    def __repr__(self) -> str:
        return f"RunningCountTexts({self.texts!r})"
