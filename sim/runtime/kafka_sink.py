"""``KafkaSink`` (Sink V2, Flink >= 1.14; the only Kafka sink of Flink 2.x): writer and committer.

The writer writes each checkpoint period's records into a transaction of its own id,
``<prefix>-<subtask>-<checkpoint>`` (the id of the checkpoint that will pre-commit it), and on
``barrier(n)`` hands the transaction to the committer as a committable -- unless it is empty: a
period without records opens nothing on the broker and commits nothing. The committer keeps the
committables in the checkpoint and commits those of checkpoints <= k when k completes.

Differences from :class:`~sim.runtime.sink.FlinkKafkaProducer` that matter (docs/connectors.md):

* A commit the broker refuses with ProducerFenced, InvalidTxnState or UnknownProducerId is logged
  and the committable **discarded, with no failover**: the records are lost silently
  (``commit_discarded`` in the trace). NOTE: KafkaCommitter.commit in apache/flink-connector-kafka
  (``request.signalFailedWithKnownReason``); other errors fail over.
* On every start the writer aborts lingering transactions by probing ids
  ``<prefix>-<subtask>-(restored checkpoint + 1)``, ``+2``, ... until it meets an id that was
  never used (its epoch after ``initTransactions`` is 0), then the same for subtask + parallelism,
  subtask + 2 x parallelism, ... until a subtask has no used id (scale-down). It probes the prefix
  of the restored state too when the prefix changed. NOTE: TransactionAborter and
  KafkaWriter.abortLingeringTransactions in apache/flink-connector-kafka. Without a state whose
  prefix names them, transactions of an old prefix are never aborted: they hold back
  read_committed readers until the broker's timeout.
"""
from __future__ import annotations

from .errors import TaskFailure
from .sink import TwoPhaseCommitSink

__all__ = ["KafkaSink"]

KNOWN_COMMIT_ERRORS = ("ProducerFenced", "InvalidTxnState", "UnknownProducerId")


class KafkaSink(TwoPhaseCommitSink):
    """One KafkaSink subtask: a KafkaWriter and its KafkaCommitter."""

    implementation = "KafkaSink"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # NOTE: Flink's KafkaSinkBuilder refuses exactly_once without a transactionalIdPrefix; snapsim
        # uses the operator's name then, so that one scenario runs on every release (docs/connectors.md)
        self.prefix = self.spec.transactional_id_prefix or self.spec.name
        self.next_checkpoint = 1          # the id whose barrier pre-commits the current period

    def tid(self, subtask: int, checkpoint: int, prefix: str | None = None) -> str:
        return f"{prefix or self.prefix}-{subtask}-{checkpoint}"

    def open(self, restored: dict | None) -> None:
        """Committer: commit the restored committables again; writer: probe-abort lingering ids."""
        if not self.exactly_once:
            return
        restored_id = 0
        prefixes = [self.prefix]
        if restored:
            restored_id = restored["checkpoint"]
            for cid, name in restored["pending"]:
                self._commit(self.producer.transaction(name), cid, "recovered on restore", recovering=True)
            if restored["prefix"] not in (None, self.prefix):
                prefixes.append(restored["prefix"])
        self.next_checkpoint = restored_id + 1
        for prefix in prefixes:
            self._abort_lingering(prefix, restored_id + 1)

    def _abort_lingering(self, prefix: str, start: int) -> None:
        """TransactionAborter: probe ``prefix-s-start``, ``start+1``, ... for s = subtask, + parallelism, ..."""
        subtask = self.index
        while True:
            used = self._probe(prefix, subtask, start)
            if not used:
                break
            subtask += self.parallelism

    def _probe(self, prefix: str, subtask: int, start: int) -> int:
        """Init ids of one subtask from checkpoint ``start`` until an unused one; how many were used."""
        checkpoint, used = start, 0
        while self._init_producer(self.tid(subtask, checkpoint, prefix)) > 0:
            checkpoint += 1
            used += 1
        if self.trace.control:
            self.trace.emit(self.env.now, "txn_probe", self.task_name, prefix=prefix, subtask=subtask,
                            first=start, unused=checkpoint, used=used)
        return used

    def _transaction_for_write(self):
        # NOTE: the writer begins its transaction client-side at the start of each period; the broker
        # (and so the trace) only learns of it at the first write, so an empty period leaves no trace.
        if self.current is None:
            self._open_transaction(self.tid(self.index, self.next_checkpoint))
        return self.current

    def snapshot(self, checkpoint: int):
        if self.flush_batch():
            return None
        txn, self.current = self.current, None
        if txn is not None:          # an empty transaction is no committable (KafkaWriter.prepareCommit)
            self.precommit(txn, checkpoint)
        self.next_checkpoint = checkpoint + 1
        return {"pending": [(cid, t.id) for cid, t in self.pending], "prefix": self.prefix, "checkpoint": checkpoint}

    def commit_failed(self, txn, cid: int, exc, recovering: bool) -> None:
        """Known errors: log and discard the committable, no failover -- its records are lost."""
        if type(exc).__name__ not in KNOWN_COMMIT_ERRORS:
            raise TaskFailure(f"commit of {txn.id} (checkpoint {cid}) failed: {exc}") from None
        self.trace.emit(self.env.now, "commit_discarded", self.task_name, txn=txn.id, checkpoint=cid,
                        records=txn.records, error=type(exc).__name__, recovering=recovering)

    def state_entries(self) -> int:
        return len(self.pending) + 1
