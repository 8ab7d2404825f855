"""The transaction coordinator: transactional ids, producer epochs, fencing, timeouts.

Kafka knows nothing of Flink's pre-commit: a transaction is *ongoing* from its first write until
its producer commits or aborts it. The broker aborts ongoing transactions older than their
timeout (measured from the first write) at every ``abort_scan_interval``; that bumps the
producer's epoch, so a later commit of that transaction fails (the producer is fenced). A new
producer that initialises the same transactional id also bumps the epoch and aborts the previous
ongoing transaction of that id (zombie fencing).
"""
from __future__ import annotations

from ..values import Record

__all__ = ["Transaction", "TransactionCoordinator", "KafkaError", "ProducerFenced", "InvalidTimeout"]


class KafkaError(Exception):
    """A client call the broker refused."""


class ProducerFenced(KafkaError):
    """The producer's epoch is stale: its transaction was aborted or another producer took the id."""


class InvalidTimeout(KafkaError):
    """transaction.timeout.ms is above the broker's transaction.max.timeout.ms."""


class Transaction(Record):
    """One Kafka transaction: its producer (id, epoch), state, records and the partitions it wrote.

    NOTE: slots: its fields are read and written at every sink write."""

    __slots__ = ("id", "transactional_id", "epoch", "timeout", "state", "first_write", "partitions", "records",
                 "checkpoint", "ended", "cause")

    def __init__(self, id: str, transactional_id: str, epoch: int, timeout: float, state: str = "open",
                 first_write: float | None = None, partitions: dict | None = None, records: int = 0,
                 checkpoint: int | None = None, ended: float | None = None, cause: str = "") -> None:
        self.id = id                              # "sink[0]#3": unique name in the trace
        self.transactional_id = transactional_id
        self.epoch = epoch
        self.timeout = timeout
        self.state = state                        # open | committed | aborted
        self.first_write = first_write
        self.partitions = {} if partitions is None else partitions     # Partition -> records written (while open)
        self.records = records
        self.checkpoint = checkpoint              # set by the sink at pre-commit
        self.ended = ended
        self.cause = cause


class TransactionCoordinator:
    """Producer epochs per transactional id and every transaction's state."""

    def __init__(self, max_timeout: float) -> None:
        self.max_timeout = max_timeout
        self.epochs: dict[str, int] = {}
        self.transactions: dict[str, Transaction] = {}
        self.ongoing: dict[str, Transaction] = {}      # transactional id -> its ongoing txn

    def init_producer(self, transactional_id: str, timeout: float, now: float) -> tuple[int, list[Transaction]]:
        """Register (or re-register) a transactional id: bump its epoch, abort its ongoing txn."""
        if timeout > self.max_timeout:
            raise InvalidTimeout(
                f"transaction timeout {timeout:g} ms is larger than the broker's transaction.max.timeout.ms "
                f"({self.max_timeout:g} ms): the producer cannot be initialised")
        epoch = self.epochs.get(transactional_id, -1) + 1
        self.epochs[transactional_id] = epoch
        aborted = []
        txn = self.ongoing.get(transactional_id)
        if txn is not None and txn.state == "open":
            self._end(txn, False, now, "fenced by a new producer with the same transactional id")
            aborted.append(txn)
        return epoch, aborted

    def begin(self, name: str, transactional_id: str, epoch: int, timeout: float) -> Transaction:
        """Start a transaction of the producer ``transactional_id`` at ``epoch``; a stale epoch is fenced."""
        if self.epochs.get(transactional_id) != epoch:
            raise ProducerFenced(f"producer {transactional_id} epoch {epoch} is fenced")
        txn = Transaction(name, transactional_id, epoch, timeout)
        self.transactions[name] = txn
        self.ongoing[transactional_id] = txn
        return txn

    def write(self, txn: Transaction, partition, now: float, n: int = 1) -> None:
        """Account ``n`` records written by ``txn`` into ``partition`` (the first write starts its timer)."""
        if txn.state != "open" or self.epochs.get(txn.transactional_id) != txn.epoch:
            raise ProducerFenced(f"transaction {txn.id} is {txn.state}; its producer is fenced")
        if txn.first_write is None:
            txn.first_write = now
        written = txn.partitions
        written[partition] = written.get(partition, 0) + n
        txn.records += n

    def can_commit(self, txn: Transaction) -> bool:
        """True if a commit would commit ``txn`` now, False if it is committed already; fenced: raises."""
        if txn.state == "committed":
            return False
        if txn.state == "aborted" or self.epochs.get(txn.transactional_id) != txn.epoch:
            raise ProducerFenced(f"cannot commit {txn.id}: it was aborted ({txn.cause or 'fenced'})")
        return True

    def commit(self, txn: Transaction, now: float, cause: str = "") -> bool:
        """Commit; True if this call committed it, False if it already was. Fenced: ProducerFenced."""
        if txn.state == "committed":
            return False
        if txn.state == "aborted" or self.epochs.get(txn.transactional_id) != txn.epoch:
            raise ProducerFenced(f"cannot commit {txn.id}: it was aborted ({txn.cause or 'fenced'})")
        self._end(txn, True, now, cause)
        return True

    def abort(self, txn: Transaction, now: float, cause: str) -> bool:
        """Abort ``txn`` if it is open; True if this call aborted it."""
        if txn.state != "open":
            return False
        self._end(txn, False, now, cause)
        return True

    def expire(self, now: float) -> list[Transaction]:
        """The broker's periodic scan: abort ongoing transactions older than their timeout."""
        expired = []
        for txn in list(self.ongoing.values()):
            if txn.state == "open" and txn.first_write is not None and now - txn.first_write > txn.timeout:
                self.epochs[txn.transactional_id] = self.epochs.get(txn.transactional_id, 0) + 1
                self._end(txn, False, now, "timed out")
                expired.append(txn)
        return expired

    def _end(self, txn: Transaction, commit: bool, now: float, cause: str) -> None:
        txn.state = "committed" if commit else "aborted"
        txn.ended = now
        txn.cause = cause
        if self.ongoing.get(txn.transactional_id) is txn:
            del self.ongoing[txn.transactional_id]
        for partition in txn.partitions:
            partition.end_transaction(now, txn.id, commit)
        # NOTE: the markers are written; the coordinator keeps every transaction by name (a restored
        # snapshot may commit one again), so the ended ones keep no more than their outcome
        txn.partitions = {}

    def open_transactions(self, prefix: str) -> list[Transaction]:
        """Open transactions whose transactional id starts with ``prefix``."""
        return [t for t in self.ongoing.values() if t.transactional_id.startswith(prefix) and t.state == "open"]
