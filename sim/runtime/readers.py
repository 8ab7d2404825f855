"""The readers of the sink topics: declared consumers and the checker's own.

A reader reads everything it may see as soon as it may see it (read_uncommitted: at each write;
read_committed: when the last stable offset moves). With a ``full`` or ``control`` trace each
read is a ``consumer_read`` event with the record's provenance. With a ``summary`` trace a reader
keeps only a count, an order-independent digest of the values and the final ``key:::n`` per key,
written as one ``consumer_summary`` event at the end, and the partitions forget what every reader
has consumed: memory stays bounded by the uncommitted data, not by the run's length.
"""
from __future__ import annotations

import operator
from zlib import crc32

from ..kafka import Consumer

__all__ = ["consumer_specs", "attach_consumers", "ReadDigest"]

MASK = (1 << 64) - 1
_split = operator.methodcaller("rpartition", ":::")


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
        try:
            self.digest = (self.digest + sum(map(crc32, map(str.encode, values)))) & MASK
        except TypeError:                 # values that are not strings: digest their text
            values = [str(v) for v in values]
            self.digest = (self.digest + sum(map(crc32, map(str.encode, values)))) & MASK
        # upsert by key, as a table fed by the topic would: the last n read per key wins
        finals = self.finals
        for key, sep, n in map(_split, values):
            if sep:
                finals[key] = n

    def close(self, t: float) -> None:
        """Write the ``consumer_summary`` event."""
        self.trace.emit(t, "consumer_summary", None, consumer=self.name, isolation=self.isolation,
                        count=self.count, digest=self.digest,
                        final_counts={k: _int(n) for k, n in sorted(self.finals.items())})


def attach_consumers(specs, cluster, trace) -> list[ReadDigest]:
    """Attach every reader to its topic's partitions; returns the digests (summary traces)."""
    summary = not trace.control
    digests = []
    for name, topic, isolation in specs:
        consumer = Consumer(name, cluster.topics[topic], isolation)
        if summary:
            digest = ReadDigest(name, isolation, trace)
            digests.append(digest)
            listener = _summary_listener(consumer, digest)
        else:
            listener = _detailed_listener(consumer, trace)
        for partition in cluster.topics[topic].partitions:
            partition.listeners.append((listener, isolation))
            partition.readers.append(consumer)
    return digests


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
