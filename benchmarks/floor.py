"""The plain-Python floor: the benchmark's data work with no simulator around it.

This is what the workload costs when nothing is simulated: the same input lines go through the
same pipeline shape (2 chained ``source->split`` tasks -> hash partition by word -> 2 chained
``count->format->sink`` tasks), carried in buffers of ``buffer_size`` records on per-channel deques, with a round-robin
scheduler instead of SimPy. The sink appends to an output partition log that the reader trims
once it has read, and the reader keeps the same constant-memory digest as snapsim's summary
readers (count, order-independent CRC sum, last count per key). No time, no checkpoints, no
transactions: the floor is the distance the simulator's own machinery adds to the data work.

Records are bare values, as in a snapsim run with a summary trace (no origin can reach that
trace, so none is carried), and the floor uses the best plain-Python idiom for each step: lines
split all at once, split and partition in one loop, count and format in one loop.
"""
from __future__ import annotations

from collections import deque
from itertools import repeat
from zlib import crc32

__all__ = ["plain_pipeline"]

MASK = (1 << 64) - 1


def _buffers(records: list, size: int) -> list[list]:
    return [records[i:i + size] for i in range(0, len(records), size)]


class _Log:
    """An output partition: its values, trimmed below the reader's position."""

    __slots__ = ("base", "values")

    def __init__(self) -> None:
        self.base, self.values = 0, []

    def append(self, values: list) -> None:
        self.values.extend(values)

    def read_all(self) -> list:
        out = self.values
        self.base += len(out)
        self.values = []
        return out


class _Digest:
    """Count, order-independent digest and the last ``n`` per key of what the reader read."""

    def __init__(self) -> None:
        self.count, self.digest, self.finals = 0, 0, {}

    def add(self, values: list) -> None:
        self.count += len(values)
        self.digest = (self.digest + sum(map(crc32, map(str.encode, values)))) & MASK
        self.finals.update(map(str.rsplit, values, repeat(":::"), repeat(1)))     # every value has ':::' here


def plain_pipeline(partitions: list[list[str]], buffer_size: int, parallelism: int = 2) -> dict:
    """Run the workload's data work over input ``partitions`` (lists of lines); returns its figures.

    The shape of the workload's chained tasks: ``source->split`` reads a buffer of lines and
    splits it; a hash edge by word feeds ``count->format->sink``, which sums, formats and writes.
    A hop, as in snapsim, is a record entering a task: a line read, a word delivered to a count.
    """
    n = parallelism
    split_in = [deque() for _ in range(n)]
    count_in = [deque() for _ in range(n)]
    for i, lines in enumerate(partitions):          # the sources' buffers of lines
        split_in[i % n].extend(_buffers(lines, buffer_size))
    hops = sum(len(p) for p in partitions)
    states = [{} for _ in range(n)]
    logs = [_Log() for _ in range(n)]
    digest = _Digest()
    key_cache: dict = {}
    work = True
    while work:
        work = False
        for i in range(n):                          # one buffer per task per round, like a scheduler
            if split_in[i]:
                work = True
                buckets = [[] for _ in range(n)]
                adds = [b.append for b in buckets]
                for w in " ".join(split_in[i].popleft()).split():
                    try:
                        adds[key_cache[w]]((w, 1))
                    except KeyError:
                        key_cache[w] = crc32(w.encode()) % n
                        adds[key_cache[w]]((w, 1))
                for p in range(n):
                    if buckets[p]:
                        count_in[p].extend(_buffers(buckets[p], buffer_size))
            if count_in[i]:
                work = True
                buf = count_in[i].popleft()
                hops += len(buf)
                state, out = states[i], []
                get, append = state.get, out.append
                for word, one in buf:
                    state[word] = total = get(word, 0) + one
                    append(f"{word}:::{total}")
                logs[i].append(out)
                digest.add(logs[i].read_all())
    # a record entering an operator (the unit before chaining): each line enters source and split,
    # each word enters count, format and sink
    lines = sum(len(p) for p in partitions)
    operator_hops = 2 * lines + 3 * (hops - lines)
    return {"record_hops": hops, "operator_hops": operator_hops, "count": digest.count, "digest": digest.digest,
            "final_counts": {k: int(v) for k, v in sorted(digest.finals.items())}}
