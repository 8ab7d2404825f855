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
  crc32(f"{k}:::".encode()))``: one checksum of the key's prefix per key, and the texts of the
  numbers ``s + a ... s + c*a`` of each key. With ``a == 1`` the keys' runs mostly overlap (word
  counts grow alike), so each number's text (or, from 0 on, its crc32, made a block of a hundred
  numbers at a time) is made once, in a table (:class:`Numerals`) of the span from the smallest
  first sum to the largest last one, kept from window to window, when that span is no longer
  than the window;
* the last text of a key holds its last sum ``s + c*a``;
* a CRC is affine over GF(2): ``crc32(d, p) ^ crc32(d)`` depends only on ``p`` and ``len(d)``
  (zlib's ``crc32_combine`` rests on this), so within a run of numbers of one length a key's
  term is ``crc32(str(n).encode()) ^ f``, one ``f`` for the run, and the sum of ``x ^ f`` over
  the run is the sum of ``x`` plus ``f`` per number minus twice the sum of ``x & f``: with the
  numbers' CRCs held as bit sets, that is a few big-int operations per run and bit of ``f``
  (:class:`_BitPlanes`), not a CRC per record.

Exact for ints (no rounding); the reference takes it only for str keys (which format as
themselves, so the last ':::' of a text is the one ``format_count`` put there), int sums and
``a != 0``, and forms the texts otherwise. The table holds a window's span at most: memory stays
bounded.
"""
from __future__ import annotations

import sys
from array import array
from collections.abc import Sequence
from itertools import accumulate, chain, count, repeat
from operator import add, mul, sub, xor
from zlib import crc32

from .functions import PairColumns

__all__ = ["Numerals", "RunningSums", "RunningCountTexts"]

_TEXT = b"%d".__mod__          # b"%d" % n == str(n).encode() for an int n
LONG_RUN = 64                  # numbers of one length in a key's run, from which bit sets sum their CRCs
_U32 = next((code for code in "IL" if array(code).itemsize == 4), None)     # an array of 32-bit words
# transpose8's delta swaps of a 64-bit lane's 8x8 bit matrix: (shift, mask)
_TRANSPOSE = ((7, 0x00AA00AA00AA00AA), (14, 0x0000CCCC0000CCCC), (28, 0x00000000F0F0F0F0))


class Numerals:
    """The texts ``str(n).encode()`` of the numbers ``low, low + 1...`` (:meth:`cover`), and apart
    the crc32s of the texts of ``crc_low, crc_low + 1...`` (:meth:`crcs_over`, numbers from 0), kept
    by one keyed sum of one reference from window to window (each reference makes its own:
    nothing outlives a run)."""

    __slots__ = ("low", "texts", "crc_low", "crcs", "_steps")

    def __init__(self) -> None:
        self.low, self.texts, self.crc_low, self.crcs = 0, [], 0, []
        self._steps: dict = {}          # text length -> the crc32 steps of a block's last two digits

    def cover(self, low: int, high: int) -> list:
        """The texts of ``low, low + 1...``, up to ``high - 1`` at least: those below ``low`` are
        dropped, those from ``high`` on kept; below the table or past its end, it starts afresh."""
        texts = self.texts
        top = _moved(texts, self.low, low)
        self.low = low
        if high > top:
            texts += map(_TEXT, range(top, high))
        return texts

    def crcs_over(self, low: int, high: int) -> list:
        """``crc32(str(n).encode())`` of ``n = low, low + 1...`` (``low >= 0``), up to ``high - 1``
        at least, kept and dropped as :meth:`cover` keeps texts."""
        crcs = self.crcs
        top = _moved(crcs, self.crc_low, low)
        self.crc_low = low
        if high > top:
            crcs += self._crcs(top, high)
        return crcs

    def _crcs(self, start: int, stop: int) -> list:
        """The crc32s of the texts of ``start`` to ``stop - 1`` (``start >= 0``).

        NOTE: CRC-32 is affine: for texts of one length, ``crc32(x) ^ crc32(y)`` depends only on
        ``x ^ y``. Numbers from 100 on, in blocks of a hundred, share their text but for its last
        two digits, so a number's crc32 is its block's first number's XORed with a step that
        depends only on those two digits and the text's length (made once per length): one
        text and one CRC per block, an XOR per number, the same values.
        """
        out = list(map(crc32, map(_TEXT, range(start, min(stop, 100)))))
        n = max(start, 100)
        while n < stop:
            block = n - n % 100
            end = min(stop, block + 100)
            first = _TEXT(block)
            steps = self._steps.get(len(first)) or self._steps_of(len(first))
            out += map(xor, repeat(crc32(first)), steps[n - block:end - block])
            n = end
        return out

    def _steps_of(self, length: int) -> list:
        """``crc32`` of the text of ``block + r`` XOR that of ``block``, for ``r < 100``, of any block
        (a multiple of 100) whose text has ``length`` digits (three or more): the step of the tens
        digit XOR that of the ones digit (affine again: the two digits' changes add up by XOR)."""
        block = 10 ** (length - 1)
        base = crc32(_TEXT(block))
        ones = [crc32(_TEXT(block + d)) ^ base for d in range(10)]
        tens = [crc32(_TEXT(block + 10 * d)) ^ base for d in range(10)]
        steps = self._steps[length] = [t ^ o for t in tens for o in ones]
        return steps


def _moved(values: list, start: int, low: int) -> int:
    """Move ``values`` (of ``start, start + 1...``) to start at ``low``: those below it are dropped;
    below the values or past their end, all are. The number after the last value kept."""
    if start <= low <= start + len(values):
        del values[:low - start]
    else:
        values.clear()
    return low + len(values)


class _BitPlanes:
    """A list of 32-bit CRCs as 32 dense bit sets (bit ``k`` of ``sets[b]`` is bit ``b`` of
    ``crcs[k]``, made in C) and their prefix sums.

    NOTE: byte ``j`` of every CRC, one byte per CRC, read as one int, holds per 64-bit lane an
    8x8 bit matrix (row ``r``: byte ``j`` of the lane's ``r``-th CRC); three delta swaps on the
    whole int transpose every lane at once (Hacker's Delight's ``transpose8``: the masks keep each
    moved bit inside its lane), so byte ``t`` of a lane then holds bit ``t`` of its eight CRCs, and
    every eighth byte is a dense bit set: an eighth of the digits a bit count reads with one byte
    per CRC.
    """

    __slots__ = ("sets", "sums")

    def __init__(self, crcs: list) -> None:
        words = array(_U32, crcs)
        if sys.byteorder == "big":
            words.byteswap()              # byte j of a word: its bits 8j..8j+7, as on little-endian
        raw, lanes = words.tobytes(), -(-len(crcs) // 8)
        masks = [(s, int.from_bytes(m.to_bytes(8, "little") * lanes, "little")) for s, m in _TRANSPOSE]
        sets = []
        for j in range(4):
            x = int.from_bytes(raw[j::4], "little")
            for s, m in masks:
                t = (x ^ (x >> s)) & m
                x ^= t ^ (t << s)
            bits = x.to_bytes(8 * lanes, "little")
            sets += [int.from_bytes(bits[t::8], "little") for t in range(8)]
        self.sets = sets
        self.sums = list(accumulate(crcs, initial=0))

    def xor_sum(self, i: int, n: int, f: int) -> int:
        """The sum of ``crcs[k] ^ f`` for ``i <= k < i + n``: ``x ^ f == x + f - 2 * (x & f)``, and
        the sum of ``x & f`` is, per bit of ``f``, its weight times how many ``x`` have it."""
        span, sets = (1 << n) - 1, self.sets
        ands = sum(((sets[b] >> i) & span).bit_count() << b for b in range(32) if f >> b & 1)
        return self.sums[i + n] - self.sums[i] + n * f - 2 * ands


def _runs_crc32_sum(numerals: Numerals, low: int, prefixes, firsts: list, lasts: list) -> int:
    """The sum of ``crc32(str(n).encode(), p)`` for ``n`` from ``first`` to ``last``, over the keys'
    ``(p, first, last)``, from the crc32s of ``numerals`` (``low``: the smallest first, ``>= 0``)."""
    crcs = numerals.crcs_over(low, max(lasts) + 1)
    planes, total = None, 0
    for p, n, last in zip(prefixes, firsts, lasts):
        while n <= last:                          # a run of numbers of one length at a time
            length = len(_TEXT(n))
            stop = min(last, 10 ** length - 1)
            zeros = b"0" * length
            f = crc32(zeros, p) ^ crc32(zeros)    # NOTE: the same for any text of this length
            i, k = n - low, stop - n + 1
            if k < LONG_RUN or _U32 is None:
                total += sum(map(xor, crcs[i:i + k], repeat(f)))
            else:
                planes = planes or _BitPlanes(crcs)
                total += planes.xor_sum(i, k, f)
            n = stop + 1
    return total


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
        shortcut would not be exact (see the module docstring)."""
        a, starts = self.addend, self.runs[1]
        if self.plain and type(a) is int and a != 0 and starts and set(map(type, starts)) == {int}:
            return RunningCountTexts(self, self.ends())
        return None


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
        a, ends = self.pairs.addend, self.ends
        firsts, stops = list(map(add, starts, repeat(a))), list(map(add, ends, repeat(a)))
        low, high = min(firsts), max(ends) + 1
        # NOTE: "{}:::".format(k) and format_count's f-string both start with format(k, ""); a
        # text's crc32 is its number's text's, continued from its key's prefix's (utf-8 encodes
        # the two parts apart: the text's bytes are theirs, one after the other)
        prefixes = map(crc32, map(str.encode, map("{}:::".format, distinct)))
        if a == 1 and high - low <= len(self.pairs.keys):
            if low >= 0:                  # no sign: a text's length grows with its number
                return _runs_crc32_sum(self.pairs.numerals, low, prefixes, firsts, ends)
            table = self.pairs.numerals.cover(low, high)         # each number's text, made once
            runs = map(table.__getitem__, map(slice, map(sub, firsts, repeat(low)), map(sub, stops, repeat(low))))
            numbers = chain.from_iterable(runs)
        else:                             # runs far apart: each record's number, made for it
            numbers = map(_TEXT, chain.from_iterable(map(range, firsts, stops, repeat(a))))
        return sum(map(crc32, numbers, chain.from_iterable(map(repeat, prefixes, counts))))

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
