"""The cluster and its clients: topics, consumer groups, consumers with an isolation level, producers."""
from __future__ import annotations

from bisect import bisect_left

from .log import ABORT, COMMIT, Partition, Topic
from .transactions import Transaction, TransactionCoordinator

__all__ = ["KafkaCluster", "Consumer", "Producer", "fetch", "fetch_values"]


def fetch(partition: Partition, position: int, now: float, isolation: str, limit: int) -> tuple[list[int], int]:
    """Offsets of up to ``limit`` readable data records from ``position``, and the new position.

    ``read_uncommitted`` reads up to the high watermark; ``read_committed`` up to the last stable
    offset and skips records of aborted transactions. Control markers are never returned but
    are stepped over (they take offsets).
    """
    end = _readable_end(partition, position, now, isolation)
    if position >= end:
        return [], position
    txns = partition.txns
    if _plain(partition, position):
        # the common case (input topics): plain records, no markers to skip
        stop = min(end, position + limit)
        return list(range(position, stop)), stop
    base, values, aborted = partition.base, partition.values, partition.aborted
    committed = isolation == "read_committed"
    if not (committed and aborted) and end - position <= limit:
        # no aborted records to skip: everything but the markers
        return _without_markers(partition, list(range(position, end)), position, end), end
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


def fetch_values(partition: Partition, position: int, now: float, isolation: str) -> tuple[list, int]:
    """The values of every record :func:`fetch` (without a limit) would return, and the new position.

    NOTE: a reader that keeps only values (the summary readers) gets them as one slice, with no
    list of offsets in between: the same records, in the same cases, as ``fetch``.
    """
    end = _readable_end(partition, position, now, isolation)
    if position >= end:
        return [], position
    base, values = partition.base, partition.values
    if _plain(partition, position):
        return values[position - base:end - base], end            # fetch's case of plain records
    if isolation == "read_committed" and partition.aborted:
        offsets, end = fetch(partition, position, now, isolation, 1 << 62)     # aborted records to skip
        return [values[o - base] for o in offsets], end
    return _without_markers(partition, values[position - base:end - base], position, end), end


def _plain(partition: Partition, position: int) -> bool:
    """Every record from ``position`` on is readable as it is: no transaction is open or aborted,
    the first is not transactional, and no control marker lies at or after ``position`` (a topic
    written by a transactional and a plain producer has both)."""
    markers = partition.markers
    return (not partition.aborted and not partition.open_first and partition.txns[position - partition.base] is None
            and (not markers or markers[-1] < position))


def _without_markers(partition: Partition, items: list, position: int, end: int) -> list:
    """``items`` (one per offset from ``position`` to ``end``) without those of control markers.

    NOTE: the partition knows its markers' offsets (few: one per transaction), so the items are
    a slice with a few deletions, not a test per record.
    """
    markers = partition.markers
    if markers and markers[-1] >= position:
        for m in reversed(markers[bisect_left(markers, position):bisect_left(markers, end)]):
            del items[m - position]
    return items


def _readable_end(partition: Partition, position: int, now: float, isolation: str) -> int:
    """Where a reader at ``position`` with ``isolation`` must stop now; the records up to it are stored."""
    end = partition.end(now)
    if isolation == "read_committed":
        end = min(end, partition.lso())
    if position < end:
        partition.ensure(end)
    return end


class KafkaCluster:
    """Topics, the transaction coordinator and consumer-group offsets."""

    def __init__(self, topics: dict[str, int], max_timeout: float, abort_scan_interval: float) -> None:
        self.topics = {name: Topic(name, n) for name, n in topics.items()}
        self.transactions = TransactionCoordinator(max_timeout)
        self.abort_scan_interval = abort_scan_interval
        self.group_offsets: dict[tuple[str, str, int], int] = {}

    def partition(self, topic: str, index: int) -> Partition:
        """One partition of one topic."""
        return self.topics[topic].partitions[index]

    def commit_offsets(self, group: str, topic: str, offsets: dict[int, int]) -> None:
        """Commit ``{partition: offset}`` of ``topic`` for consumer group ``group``."""
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

    def poll_values(self, partition: Partition, now: float) -> list:
        """:meth:`poll`, returning the values read instead of their offsets."""
        values, self.positions[partition.index] = fetch_values(
            partition, self.positions[partition.index], now, self.isolation)
        return values


class Producer:
    """A producer writing to one partition (Kafka's KafkaProducer), plain or transactional.

    Transactional use follows the client's calls: ``init_transactions`` under a transactional id
    (bumps its epoch and fences an older producer's open transaction), ``begin_transaction``,
    ``send``, ``commit_transaction`` / ``abort_transaction``. A send or commit on behalf of a
    fenced producer, or of a transaction the broker aborted, raises ``KafkaError``.
    """

    def __init__(self, cluster: KafkaCluster, partition: Partition) -> None:
        self.coordinator: TransactionCoordinator = cluster.transactions
        self.partition = partition

    def init_transactions(self, transactional_id: str, timeout: float, now: float) -> tuple[int, list[Transaction]]:
        """Register ``transactional_id``: returns its new epoch and the transactions this fenced."""
        return self.coordinator.init_producer(transactional_id, timeout, now)

    def begin_transaction(self, name: str, transactional_id: str, epoch: int, timeout: float) -> Transaction:
        """Open transaction ``name`` under ``transactional_id`` at ``epoch`` (fenced epoch: raises)."""
        return self.coordinator.begin(name, transactional_id, epoch, timeout)

    def send(self, now: float, values, origins, txn: Transaction | None, attempt) -> int:
        """Append records (in ``txn`` if given); returns the first record's offset."""
        if txn is not None:
            self.coordinator.write(txn, self.partition, now, len(values))
        return self.partition.append_many(now, values, origins, txn.id if txn is not None else None, attempt)

    def send_one(self, now: float, value, txn: Transaction, attempt) -> int:
        """``send(now, [value], None, txn, attempt)`` for one record in a transaction, in one call: a
        sink at ``buffer_size: 1`` writes every record alone.

        NOTE: the two calls of :meth:`send` inlined, with every check and effect they have for one
        transactional data record: ``coordinator.write`` (a write of an ended or fenced transaction
        is refused there; the first write starts the timer; records per partition) and
        ``Partition.append_many`` (one entry, no provenance; never a marker, so the last stable
        offset does not move: only read_uncommitted listeners hear of it). tests/test_kafka.py
        pins both ways against each other.
        """
        coordinator, partition = self.coordinator, self.partition
        written = txn.partitions
        before = written.get(partition)
        # NOTE: after its first record here (``before``), ``first_write`` is set, ``open_first`` holds the
        # transaction and the partition is transactional: the write that put ``partition`` in ``written``
        # did all three, and only the transaction's end undoes one of them, emptying ``written`` with it
        if before is None or txn.state != "open" or coordinator.epochs.get(txn.transactional_id) != txn.epoch:
            coordinator.write(txn, partition, now)           # refuses (ProducerFenced) as send() does; counts
        else:
            written[partition] = before + 1
            txn.records += 1
        name, values = txn.id, partition.values
        offset = partition.base + len(values)
        partition.times.append(now)
        values.append(value)
        partition.origins.append(None)
        partition.attempts.append(attempt)
        partition.txns.append(name)
        if before is None:
            partition.open_first[name] = offset
            partition.transactional = True
        if partition.uncommitted:                   # (read_committed ones: the LSO did not move)
            for listener in partition.uncommitted:
                listener(partition, now)
        return offset

    def can_commit(self, txn: Transaction) -> bool:
        """True if committing would commit ``txn`` now, False if it is committed already; else raises."""
        return self.coordinator.can_commit(txn)

    def commit_transaction(self, txn: Transaction, now: float, cause: str) -> bool:
        """Commit ``txn``; True if this call committed it, False if it already was; aborted or fenced: raises."""
        return self.coordinator.commit(txn, now, cause)

    def abort_transaction(self, txn: Transaction, now: float, cause: str) -> bool:
        """Abort ``txn`` if it is still open; True if this call aborted it."""
        return self.coordinator.abort(txn, now, cause)

    def transaction(self, name: str) -> Transaction:
        """A transaction by name (one a restored snapshot refers to)."""
        return self.coordinator.transactions[name]

    def open_transactions(self, prefix: str) -> list[Transaction]:
        """Open transactions whose transactional id starts with ``prefix``."""
        return self.coordinator.open_transactions(prefix)
