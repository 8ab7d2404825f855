"""The cluster and its readers: topics, consumer groups, and consumers with an isolation level."""
from __future__ import annotations

from .log import Partition, Topic
from .transactions import TransactionCoordinator

__all__ = ["KafkaCluster", "Consumer", "fetch"]


def fetch(partition: Partition, position: int, now: float, isolation: str, limit: int) -> tuple[list[int], int]:
    """Offsets of up to ``limit`` readable data records from ``position``, and the new position.

    ``read_uncommitted`` reads up to the high watermark; ``read_committed`` up to the last stable
    offset and skips records of aborted transactions. Control markers are never returned but
    are stepped over (they take offsets).
    """
    end = partition.end(now)
    if isolation == "read_committed":
        end = min(end, partition.lso())
    if position >= end:
        return [], position
    values, txns = partition.values, partition.txns
    if not partition.aborted and not partition.open_first and txns[position] is None:
        # the common case (input topics): plain records, no markers to skip
        stop = min(end, position + limit)
        return list(range(position, stop)), stop
    out = []
    while position < end and len(out) < limit:
        if partition.visible(position, isolation):
            out.append(position)
        position += 1
    return out, position


class KafkaCluster:
    """Topics, the transaction coordinator and consumer-group offsets."""

    def __init__(self, topics: dict[str, int], max_timeout: float, abort_scan_interval: float) -> None:
        self.topics = {name: Topic(name, n) for name, n in topics.items()}
        self.transactions = TransactionCoordinator(max_timeout)
        self.abort_scan_interval = abort_scan_interval
        self.group_offsets: dict[tuple[str, str, int], int] = {}

    def partition(self, topic: str, index: int) -> Partition:
        return self.topics[topic].partitions[index]

    def commit_offsets(self, group: str, topic: str, offsets: dict[int, int]) -> None:
        for p, offset in offsets.items():
            self.group_offsets[(group, topic, p)] = offset


class Consumer:
    """An outside reader of one topic: it reads everything it may see, as soon as it may see it."""

    def __init__(self, name: str, topic: Topic, isolation: str) -> None:
        self.name = name
        self.topic = topic
        self.isolation = isolation
        self.positions = [0] * len(topic.partitions)
        self.read: list[tuple[float, int, int]] = []    # (time, partition, offset)

    def poll(self, partition: Partition, now: float) -> list[int]:
        """Read what became visible in ``partition``; returns the offsets read."""
        offsets, self.positions[partition.index] = fetch(
            partition, self.positions[partition.index], now, self.isolation, 1 << 62)
        self.read.extend((now, partition.index, o) for o in offsets)
        return offsets
