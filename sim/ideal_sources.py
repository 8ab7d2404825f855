"""What the sources of the summary reference read, a window of append times at a time.

:mod:`sim.ideal_stream` evaluates the job one window at a time; this module cuts the input
partitions into windows (:func:`window_end`: every record appended before a window's end is
buffered, see that module's docstring for why the windows split every flow at one arrival key)
and gives each source the window's records in arrival order, as ``sim.ideal`` merges them
(:func:`by_arrival`). A source's origins ``(topic, partition, offset, time)`` are formed only
when read (:class:`_Origins`): a summary reference reads just a few of them (the first record of a
key, the first and last append time).
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import accumulate, chain, repeat
from operator import itemgetter

__all__ = ["by_arrival", "window_end", "INF", "WINDOW"]

INF = float("inf")
WINDOW = 1024          # records per partition and window, about (a chunk of input is 4096 lines)


def by_arrival(values: list, origins) -> tuple[list, list]:
    """``values`` and their ``origins`` sorted stably by arrival: append time, then topic,
    partition, offset. An origin is ``(topic, partition, offset, time)``, so comparing
    ``(time, origin)`` compares just those; the keys are built in C, not by a function per record."""
    origins = origins if type(origins) is list else list(origins)
    keys = list(zip(map(itemgetter(3), origins), origins))
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return list(map(values.__getitem__, order)), list(map(origins.__getitem__, order))


class _Partition:
    """One input partition, read a chunk at a time: the buffered append times and values, and
    the offset of the first buffered record."""

    __slots__ = ("chunks", "times", "values", "offset", "done")

    def __init__(self, chunks) -> None:
        self.chunks, self.times, self.values, self.offset, self.done = iter(chunks), [], [], 0, False

    def fill(self) -> None:
        """Buffer the next chunk (``done`` when there is none)."""
        chunk = next(self.chunks, None)
        if chunk is None:
            self.done = True
        else:
            self.times += chunk[0]
            self.values += chunk[1]

    def take(self, end: float) -> tuple[list, list, int]:
        """``(times, values, first offset)`` of the buffered records appended before ``end``, dropped."""
        n = bisect_left(self.times, end)
        times, values, offset = self.times[:n], self.values[:n], self.offset
        del self.times[:n], self.values[:n]
        self.offset += n
        return times, values, offset


def window_end(parts) -> float:
    """The end of the next window: records appended before it are all buffered (see
    :mod:`sim.ideal_stream`'s docstring), at most about ``WINDOW`` per partition; refills the partitions until the window
    holds a record or the input is done."""
    while True:
        for p in parts:
            while not p.times and not p.done:
                p.fill()
        pending = [p for p in parts if not p.done]
        end = min(p.times[-1] for p in pending) if pending else INF
        cap = min((p.times[WINDOW] for p in parts if len(p.times) > WINDOW), default=INF)
        for candidate in (min(end, cap), end):      # any earlier end is as safe: prefer a small window
            if any(p.times and p.times[0] < candidate for p in parts) or candidate == INF:
                return candidate
        for p in pending:                # every buffered record is at ``end`` or later: read on
            if p.times[-1] == end:
                p.fill()


class _Source:
    """What a source reads: its partitions (see ``ideal._source``) and its committed transactional
    input (``ideal._committed``'s ``(values, origins)``, in arrival order), a window at a time."""

    def __init__(self, scenario, op, committed) -> None:
        spec = scenario.kafka.topics[op.topic]
        mode = op.start_from if op.start_from != "group_offsets" else op.auto_offset_reset
        # NOTE: as ideal._source: 'latest' skips what was written at or before 0 ms; partitions
        # added later are read (from the earliest offset) only with discovery
        self.topic = op.topic
        self.partitions = [(index, mode == "latest" and index < spec.partitions) for index in range(spec.total())
                           if index < spec.partitions or op.partition_discovery_interval]
        self.committed = by_arrival(*committed) if committed[0] else ([], [])
        self.committed_times = [origin[3] for origin in self.committed[1]]
        self.next = 0                    # the first committed record not yet read
        self.first = self.last = None

    def window(self, taken: dict, end: float, written: list) -> tuple[list, Sequence]:
        """The ``(values, origins)`` of this window, in arrival order (``written``: the window's
        output of the job's sinks into this topic)."""
        values, stamps, read, topic = [], [], [], self.topic
        for index, skip in self.partitions:
            times, vals, offset = taken.get((topic, index), ((), (), 0))
            if skip:
                kept = [k for k, t in enumerate(times) if t > 0]
                vals, times, offset = [vals[k] for k in kept], [times[k] for k in kept], [offset + k for k in kept]
            else:
                offset = range(offset, offset + len(times))
            if vals:
                values += vals
                stamps += times
                read.append((index, offset, times))
        origins, parts = _Origins(topic, read), len(read)     # parts: one is in arrival order already
        committed, their = self.committed
        first, last = self.next, bisect_left(self.committed_times, end, self.next)
        n = last - first                 # committed records appended before ``end``, read now
        if n or any(vals for vals, _ in written):
            origins = list(origins)
            values += committed[first:last]
            origins += their[first:last]
            self.next = last
            for vals, origs in written:
                values += vals
                origins += origs
                parts += bool(vals)
        if parts + bool(n) > 1 and len(stamps) == len(values):
            # NOTE: only the partitions', each in offset order, one partition after the other:
            # records of one time are in by_arrival's order already, so a stable sort by time is it
            order = sorted(range(len(stamps)), key=stamps.__getitem__)
            values, origins = list(map(values.__getitem__, order)), _Origins(topic, read, order)
        elif parts + bool(n) > 1:
            values, origins = by_arrival(values, origins)
        if values:
            self.first = origins[0][3] if self.first is None else self.first
            self.last = origins[-1][3]
        return values, origins


class _Origins(Sequence):
    """A source's window of origins ``(topic, partition, offset, time)``, each formed when read:
    ``read`` holds ``(partition, offsets, times)`` of each partition read, one after the other,
    and ``order`` (when given) the arrival order of their concatenation. Iterating forms them all
    (once); indexing forms one."""

    __slots__ = ("topic", "read", "starts", "order", "_all")

    def __init__(self, topic: str, read: list, order: list | None = None) -> None:
        self.topic, self.read, self.order, self._all = topic, read, order, None
        self.starts = list(accumulate(map(len, map(itemgetter(2), read)), initial=0))

    def __len__(self) -> int:
        return self.starts[-1]

    def __getitem__(self, index):
        if self._all is not None or isinstance(index, slice):
            return self.all[index]
        n = self.starts[-1]
        if not -n <= index < n:
            raise IndexError(index)
        index %= n
        if self.order is not None:
            index = self.order[index]
        k = bisect_right(self.starts, index) - 1
        partition, offsets, times = self.read[k]
        index -= self.starts[k]
        return self.topic, partition, offsets[index], times[index]

    def __iter__(self):
        return iter(self.all)

    @property
    def all(self) -> list:
        """Every origin, in order."""
        if self._all is None:
            topic = self.topic
            rows = list(chain.from_iterable(zip(repeat(topic), repeat(partition), offsets, times)
                                            for partition, offsets, times in self.read))
            self._all = rows if self.order is None else list(map(rows.__getitem__, self.order))
        return self._all
