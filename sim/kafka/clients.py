"""The cluster and its readers: topics, consumer groups, and consumers with an isolation level."""
from __future__ import annotations

from .log import ABORT, COMMIT, Partition, Topic
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
    partition.ensure(end)
    txns = partition.txns
    if not partition.aborted and not partition.open_first and txns[position - partition.base] is None:
        # the common case (input topics): plain records, no markers to skip
        stop = min(end, position + limit)
        return list(range(position, stop)), stop
    base, values, aborted = partition.base, partition.values, partition.aborted
    committed = isolation == "read_committed"
    if not (committed and aborted) and end - position <= limit:
        # no aborted records to skip: everything but the markers, in one pass
        return [o for o, v in zip(range(position, end), values[position - base:end - base])
                if v is not COMMIT and v is not ABORT], end
    out = []
    stop = end
    k = position - base
    for offset in range(position, end):
        if len(out) >= limit:
            stop = offset
            break
        value = values[k]
        k += 1
        if value is COMMIT or value is ABORT:
            continue
        if committed and aborted and txns[k - 1] in aborted:
            continue
        out.append(offset)
    return out, stop


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

    def poll(self, partition: Partition, now: float) -> list[int]:
        """Read what became visible in ``partition``; returns the offsets read."""
        offsets, self.positions[partition.index] = fetch(
            partition, self.positions[partition.index], now, self.isolation, 1 << 62)
        return offsets
