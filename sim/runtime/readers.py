"""The readers of the topics: declared consumers (of any topic) and the checker's own (of the sinks').

A reader reads everything it may see as soon as it may see it (read_uncommitted: at each write;
read_committed: when the last stable offset moves). Writes are heard through the partition's
listeners; input records written ahead of time (``Partition.ahead``) are heard by nobody, so a
reader of such a partition runs a process that wakes at their append times (plain records are
stable at once: both isolations read them then). With a ``full`` or ``control`` trace each
read is a ``consumer_read`` event with the record's provenance. With a ``summary`` trace a reader
keeps only a count, an order-independent digest of the values and the final ``key:::n`` per key,
written as one ``consumer_summary`` event at the end, and the partitions forget what every reader
has consumed: memory stays bounded by the uncommitted data, not by the run's length.

NOTE: with a ``summary`` trace the times of reads are written nowhere, so a reader of records
written ahead wakes once per :data:`BATCH` of them instead of at each time (the same records in
the same order, so the same count, digest and finals); :meth:`Readers.close` reads, at the run's
end, what became visible since its last wake-up.
"""
from __future__ import annotations

import re
import sys
from itertools import repeat
from zlib import crc32

from ..kafka import Consumer

__all__ = ["consumer_specs", "attach_consumers", "ReadDigest", "Readers"]

MASK = (1 << 64) - 1
BATCH = 1024          # records written ahead that a summary reader reads per wake-up
LINES_MIN = 32        # values in a batch worth matching as one text (class _Lines)
LINES_KEYS = 64       # keys of one partition a batch's pattern names at most
LINES_MISSES = 8      # batches of a partition that may fail to match before the shortcut ends
_SEP = ":::"


def _int(text: str):
    try:
        return int(text)
    except ValueError:
        return text


def _split(values: list) -> dict:
    """The last n per key of ``values``, each split at its last ':::' (a value without: skipped)."""
    met: dict = {}
    try:
        # NOTE: in C: ``[key, n]`` of every value (split at its last ':::', as rpartition
        # splits), added in order; a value without ':::' is one item and stops the update
        met.update(map(str.rsplit, values, repeat(_SEP), repeat(1)))
    except ValueError:                    # ... and the loop skips it (redoing the rest alike)
        for key, sep, n in map(str.rpartition, values, repeat(_SEP)):
            if sep:
                met[key] = n
    return met


def consumer_specs(scenario) -> list[tuple[str, str, str]]:
    """(name, topic, isolation) of every reader: declared ones plus the checker's."""
    specs = [(c.name, c.topic, c.isolation) for c in scenario.consumers]
    sink_topics = [op.topic for op in scenario.job.operators if op.type == "kafka_sink"]
    for topic in dict.fromkeys(sink_topics):
        if not any(t == topic and iso == "read_committed" for _, t, iso in specs):
            specs.append(("_checker", topic, "read_committed"))
    return specs


class ReadDigest:
    """What one reader read, in constant memory: count, digest of the multiset, last n per key."""

    def __init__(self, name: str, isolation: str, trace) -> None:
        self.name, self.isolation, self.trace = name, isolation, trace
        self.count = 0
        self.digest = 0
        self.finals: dict = {}
        self._lines: dict = {}            # partition -> _Lines: the keys met there

    def add(self, values: list, part=None) -> None:
        """Fold a batch of read values into the count, the digest and the last count per key
        (``part``: the partition they were read from, when one; see :class:`_Lines`)."""
        self.count += len(values)
        crc32_sum = getattr(values, "crc32_sum", None)
        if crc32_sum is not None:         # the ideal reference's running count texts: none formed
            self.digest = (self.digest + crc32_sum()) & MASK
        else:
            try:
                self.digest = (self.digest + sum(map(crc32, map(str.encode, values)))) & MASK
            except TypeError:             # values that are not strings: digest their text
                values = [str(v) for v in values]
                self.digest = (self.digest + sum(map(crc32, map(str.encode, values)))) & MASK
        # upsert by key, as a table fed by the topic would: the last n read per key wins
        finals = getattr(values, "finals", None)
        if finals is not None:            # the ideal reference's format_count texts know theirs
            self.finals.update(finals)
            return
        lines = self._lines.get(part)
        if lines is None:
            lines = self._lines[part] = _Lines()
        if not lines.update(self.finals, values):
            met = _split(values)
            self.finals.update(met)
            lines.learn(met)

    def close(self, t: float) -> None:
        """Write the ``consumer_summary`` event."""
        self.trace.emit(t, "consumer_summary", None, consumer=self.name, isolation=self.isolation,
                        count=self.count, digest=self.digest,
                        final_counts={k: _int(n) for k, n in sorted(self.finals.items())})


class _Lines:
    """The keys a reader met in one partition, to take the last n per key of a batch without
    splitting every value.

    NOTE: while every key met is *plain* (no ':', no newline), a batch whose values, joined by
    newlines behind one more (one newline per value), are all lines ``KEY:::N`` (KEY a key met,
    N with no ':' nor newline; ``PATTERN`` matches a run of such lines and stops before a line it
    cannot match or at a ':' in N) holds values whose last ':::' is the one after the key (a later
    one would need a ':' in N): splitting every value gives these very pairs. A key's last value
    is then the last line starting with a newline, the key and ':::' (a plain key ends at its
    line's first ':'): one ``rfind`` from the end per key. The keys of a batch's first values are
    learnt before matching it; a line of a new plain key stops the match, its key is learnt and
    the match goes on from there. Any other batch (a value without ':::' or with a ':' after it,
    a key that is not plain, too few values to be worth it) is split value by value; too many
    keys or too many such batches end the shortcut for the partition.
    """

    __slots__ = ("keys", "pattern", "misses")

    PATTERN = "(?:\n(?:%s):::[^:\n]*)*"      # stops at a newline (a line it cannot match) or a ':'
    # NOTE: possessive (Python 3.11.5+) where it can: the same end, faster (no state saved per line
    # to backtrack to). Nothing follows the repeats, so the greedy pattern never backtracks into
    # them either: once a line cannot be matched, the lines before it are the match. Before 3.11.5
    # a possessive repeat over a body that can backtrack (the keys' alternation) could keep part
    # of an iteration (CPython gh-106052): "\nhello:::1\nworld" over hello|world ended at 11, not 10
    if sys.version_info >= (3, 11, 5):
        PATTERN = "(?:\n(?:%s):::[^:\n]*+)*+"

    def __init__(self) -> None:
        self.keys, self.pattern, self.misses = {}, None, 0

    def update(self, finals: dict, values) -> bool:
        """Put the last n per key of ``values`` into ``finals`` if every value is a line of a
        plain key (True), in the order the split would."""
        if self.misses >= LINES_MISSES or len(values) < LINES_MIN:
            return False
        text = "\n" + "\n".join(values)          # str values: add made them so
        pos, end = 0, len(text)
        # NOTE: one newline per value: no value holds one, so no key does
        if text.count("\n") == len(values) and self.learn(_split(values[:LINES_MIN])) >= 0 and self.pattern:
            while (pos := self.pattern.match(text, pos).end()) < end and text[pos] == "\n" and \
                    self.learn(_line(text, pos)) > 0:
                pass                      # a line of a new key: learnt, match on from it
        if pos < end:
            self.misses += 1
            return False
        rfind, find = text.rfind, text.find
        for key in self.keys:             # in finals already, or new here in the order met
            start = rfind(f"\n{key}{_SEP}")
            if start >= 0:
                stop = find("\n", start + 1)
                finals[key] = text[start + len(key) + 4:stop if stop >= 0 else None]
        return True

    def learn(self, met: dict) -> int:
        """Add the keys of ``met`` new to the partition: how many, or -1 if one is not plain or
        they would be too many (which ends the shortcut)."""
        new = [key for key in met if key not in self.keys]
        if any(":" in key or "\n" in key for key in new):     # not plain: a newline would match a line break
            return -1
        if len(self.keys) + len(new) > LINES_KEYS:
            self.misses = LINES_MISSES
            return -1
        if new:
            self.keys.update(dict.fromkeys(new))
            self.pattern = re.compile(self.PATTERN % "|".join(map(re.escape, self.keys)))
        return len(new)


def _line(text: str, pos: int) -> dict:
    """``{key: n}`` of the line after the newline at ``pos`` (empty: no ':::' in it)."""
    stop = text.find("\n", pos + 1)
    return _split([text[pos + 1:stop if stop >= 0 else None]])


class Readers:
    """The run's readers: the digests of a summary trace, and the readers of records written ahead."""

    def __init__(self) -> None:
        self.digests: list[ReadDigest] = []
        self.ahead: list = []                  # (partition, listener) of partitions written ahead

    def close(self, t: float) -> None:
        """At the run's end: read what became visible since the last wake-up, write the summaries."""
        for partition, listener in self.ahead:
            listener(partition, t)
        for digest in self.digests:
            digest.close(t)


def attach_consumers(specs, cluster, trace, env=None) -> Readers:
    """Attach every reader to its topic's partitions (``env``: the SimPy environment its
    processes run in, to read records written ahead of time)."""
    summary = not trace.control
    readers = Readers()
    for name, topic, isolation in specs:
        consumer = Consumer(name, cluster.topics[topic], isolation)
        if summary:
            digest = ReadDigest(name, isolation, trace)
            readers.digests.append(digest)
            listener = _summary_listener(consumer, digest)
        else:
            listener = _detailed_listener(consumer, trace)
        for partition in cluster.topics[topic].partitions:
            partition.listen(listener, isolation)
            partition.readers.append(consumer)
            if partition.ahead and env is not None:
                readers.ahead.append((partition, listener))
                env.process(_read_ahead(env, partition, consumer, listener, BATCH if summary else 1))
    return readers


def _read_ahead(env, partition, consumer, listener, batch: int):
    """Wake when records written ahead become visible and read them: at each one's time
    (``batch`` 1), or when the last of the next ``batch`` is (fewer left: at each one's time)."""
    index = partition.index
    while True:
        position = consumer.positions[index]
        t = partition.next_time(position + batch - 1) if batch > 1 else None
        if t is None and (t := partition.next_time(position)) is None:
            return                             # every record written ahead is read
        if t > env.now:
            yield env.timeout(t - env.now)
        listener(partition, env.now)
        if consumer.positions[index] == position and t <= env.now:
            # NOTE: a record that is due but not readable: the topic is also written live (a
            # transaction holds the last stable offset); the listeners of those writes take over
            return


READ_FIELDS = ("consumer", "isolation", "topic", "partition", "offset", "value", "origin", "txn")


def _detailed_listener(consumer: Consumer, trace):
    def listener(partition, t):
        offsets = consumer.poll(partition, t)
        if offsets:
            # one consumer_read event per record; the reader and the partition are the same in all
            rows = [(o, partition.value(o), partition.origin(o), partition.txn(o)) for o in offsets]
            trace.emit_many(t, "consumer_read", READ_FIELDS, rows, consumer=consumer.name,
                            isolation=consumer.isolation, topic=partition.topic, partition=partition.index)
            partition.release()
    return listener


def _summary_listener(consumer: Consumer, digest: ReadDigest):
    def listener(partition, t):
        values = consumer.poll_values(partition, t)
        if values:
            digest.add(values, partition.index)
            partition.release()
    return listener
