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

from itertools import repeat
from zlib import crc32

from ..kafka import Consumer

__all__ = ["consumer_specs", "attach_consumers", "ReadDigest", "Readers"]

MASK = (1 << 64) - 1
BATCH = 1024          # records written ahead that a summary reader reads per wake-up
_SEP = ":::"


def _int(text: str):
    try:
        return int(text)
    except ValueError:
        return text


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

    def add(self, values: list) -> None:
        """Fold a batch of read values into the count, the digest and the last count per key."""
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
        try:
            # NOTE: in C: ``[key, n]`` of every value (split at its last ':::', as rpartition
            # splits), added in order; a value without ':::' is one item and stops the update
            self.finals.update(map(str.rsplit, values, repeat(_SEP), repeat(1)))
        except ValueError:                # ... and the loop skips it (redoing the rest alike)
            finals = self.finals
            for key, sep, n in map(str.rpartition, values, repeat(_SEP)):
                if sep:
                    finals[key] = n

    def close(self, t: float) -> None:
        """Write the ``consumer_summary`` event."""
        self.trace.emit(t, "consumer_summary", None, consumer=self.name, isolation=self.isolation,
                        count=self.count, digest=self.digest,
                        final_counts={k: _int(n) for k, n in sorted(self.finals.items())})


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
            partition.listeners.append((listener, isolation))
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
            digest.add(values)
            partition.release()
    return listener
