"""A task's outputs: one record writer per out-edge, whose partitioner fills per-channel network buffers.

Records are appended to the partial buffer of the channel the partitioner picks; a buffer that
reaches ``buffer_size`` records is ready to be sent. Ready buffers are sent in order by the task,
waiting for credits when a channel is full. ``flush()`` makes every partial buffer ready (on a
barrier, and after each input buffer when ``buffer_timeout`` is 0).
"""
from __future__ import annotations

from collections import deque
from .keygroups import DEFAULT_MAX_PARALLELISM, operator_index

__all__ = ["Outputs", "RecordWriter"]


class RecordWriter:
    """One out-edge of the task (Flink's RecordWriter): its channels, partitioner and partial buffers."""

    __slots__ = ("channels", "partitioner", "bufs", "next", "key_cache", "max_parallelism")

    def __init__(self, channels, partitioner: str, start: int, max_parallelism: int = DEFAULT_MAX_PARALLELISM) -> None:
        self.channels = channels
        self.partitioner = partitioner
        self.max_parallelism = max_parallelism       # of the receiving operator: its key groups
        self.bufs = [[] for _ in channels]
        self.next = start
        self.key_cache: dict = {}


class Outputs:
    """The record writers of one task (Flink's RecordWriterDelegate) and the queue of ready buffers."""

    __slots__ = ("edges", "size", "ready", "dirty", "channels", "bare", "pairs", "words")

    def __init__(self, edges, buffer_size: int, rng, bare: bool = False, pairs: bool = False,
                 words: bool = False) -> None:
        # edges: list of (channels ordered by receiver index, partitioner[, receiver's max_parallelism])
        self.edges = [RecordWriter(e[0], e[1], rng.randrange(len(e[0])) if e[1] == "rebalance" else 0, *e[2:])
                      for e in edges if e[0]]
        self.size = buffer_size
        self.ready: deque = deque()       # (channel, buffer) in send order
        self.dirty = False                # some partial buffer may hold records
        self.channels = [ch for e in self.edges for ch in e.channels]
        self.bare = bare                  # records are bare values, not (value, origin) (operators.bare_records)
        self.pairs = pairs                # each value a tuple of two (operators.gives_pairs of the chain's last)
        self.words = words                # each value a word standing for (word, 1), its own key (gives_words)

    def add(self, records: list) -> None:
        """Partition ``records`` into buffers; full ones become ready."""
        size, ready = self.size, self.ready
        for edge in self.edges:
            chans, bufs, part = edge.channels, edge.bufs, edge.partitioner
            n = len(chans)
            if n == 1 or part == "forward":
                self._fill(chans[0], bufs, 0, records)
            elif part == "hash":
                self._hash(edge, records)
            elif part == "rebalance":
                i = edge.next
                for rec in records:
                    buf = bufs[i]
                    buf.append(rec)
                    if len(buf) >= size:
                        ready.append((chans[i], buf))
                        bufs[i] = []
                    i = (i + 1) % n
                edge.next = i
            else:   # broadcast
                for i in range(n):
                    self._fill(chans[i], bufs, i, records)
        if size > 1:
            self.dirty = True

    def _hash(self, edge, records: list) -> None:
        """Each record into the partial buffer of its key's channel; then the full buffers, channel by
        channel, become ready (the key: a pair's first field, else the value itself; with origins,
        the same of the payload)."""
        chans, bufs, cache = edge.channels, edge.bufs, edge.key_cache
        adds = [b.append for b in bufs]
        # NOTE: with pairs (a tuple's key is its first field) the loops below without their type
        # test per record: about 190 instructions a record of a buffer-100 run
        if self.words:
            for key in records:
                try:
                    adds[cache[key]](key)
                except KeyError:
                    adds[self._route(edge, key)](key)
        elif self.pairs and self.bare:
            for rec in records:
                key = rec[0]
                try:
                    adds[cache[key]](rec)
                except KeyError:
                    adds[self._route(edge, key)](rec)
        elif self.pairs:
            for rec in records:
                key = rec[0][0]
                try:
                    adds[cache[key]](rec)
                except KeyError:
                    adds[self._route(edge, key)](rec)
        elif self.bare:
            for rec in records:
                key = rec[0] if type(rec) is tuple else rec
                try:
                    adds[cache[key]](rec)
                except KeyError:
                    adds[self._route(edge, key)](rec)
        else:
            for rec in records:
                key = rec[0]
                if type(key) is tuple:
                    key = key[0]
                try:
                    adds[cache[key]](rec)
                except KeyError:
                    adds[self._route(edge, key)](rec)
        self._ready_full(chans, bufs)

    def _ready_full(self, chans, bufs) -> None:
        """The full buffers among ``bufs`` become ready, channel by channel; the rest stay partial."""
        size, ready = self.size, self.ready
        if size == 1:
            # NOTE: the loop below at size 1: every record is a buffer of its own, channel by
            # channel in record order, and no partial buffer is left
            for i, buf in enumerate(bufs):
                if buf:
                    ch = chans[i]
                    ready.extend([(ch, [rec]) for rec in buf])
                    bufs[i] = []
            return
        for i, buf in enumerate(bufs):
            if len(buf) >= size:
                start = 0
                while len(buf) - start >= size:
                    ready.append((chans[i], buf[start:start + size]))
                    start += size
                bufs[i] = buf[start:]

    @staticmethod
    def _route(edge, key) -> int:
        """A new key's channel, by key group as Flink routes (cached)."""
        i = edge.key_cache[key] = operator_index(key, edge.max_parallelism, len(edge.channels))
        return i

    def _fill(self, channel, bufs, i, records) -> None:
        size, ready = self.size, self.ready
        if size == 1:
            for rec in records:
                ready.append((channel, [rec]))
            return
        buf = bufs[i]
        buf.extend(records)
        if len(buf) >= size:
            start = 0
            while len(buf) - start >= size:
                ready.append((channel, buf[start:start + size]))
                start += size
            bufs[i] = buf[start:]

    def flush(self) -> None:
        """Every partial buffer becomes ready."""
        if not self.dirty:
            return
        for edge in self.edges:
            for i, buf in enumerate(edge.bufs):
                if buf:
                    self.ready.append((edge.channels[i], buf))
                    edge.bufs[i] = []
        self.dirty = False

    def pending(self) -> list:
        """(channel, buffer) not yet on the wire: ready ones, then partial ones."""
        out = [e for e in self.ready if type(e[1]) is list]
        for edge in self.edges:
            for i, buf in enumerate(edge.bufs):
                if buf:
                    out.append((edge.channels[i], buf))
        return out
