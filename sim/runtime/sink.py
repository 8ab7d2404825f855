"""The Kafka sinks with Flink's two-phase commit (``semantic: exactly_once``), and what both share.

Records go into the current Kafka transaction (read_uncommitted readers see them at once). On
``barrier(n)`` the sink pre-commits: it flushes, remembers the transaction as pending for ``n``
and opens a new one; the snapshot holds the pending transactions. On
``notify_checkpoint_complete(k)`` it commits every pending transaction with id <= k, in order (a
late notice for an older id finds nothing left to commit); a commit that fails does not stop the
others. On restore it commits the restored pending transactions again (commit is idempotent),
aborts what it does not resume, and opens a fresh transaction.

:class:`TwoPhaseCommitSink` is what the two implementations share; :class:`FlinkKafkaProducer`
(here) and :class:`~sim.runtime.kafka_sink.KafkaSink` differ in their transactional ids, their
state, what they abort on start and restore, and what a refused commit does (docs/connectors.md).

``at_least_once`` and ``none`` write without transactions through the producer's batch, sent
``linger`` ms later: replays after a restore show up as duplicates. ``at_least_once`` flushes the
batch on every barrier, so a checkpoint covers everything written before it; ``none`` does not,
and a crash loses the batch -- records whose input the completed checkpoint already counts as
read.
"""
from __future__ import annotations

from itertools import repeat

from ..kafka.clients import Producer
from ..kafka.transactions import InvalidTimeout, KafkaError
from ..provenance import Provenance
from .errors import TaskFailure
from .operators import Operator, bare_records, operator_type
from .scheduling import call_later

__all__ = ["TwoPhaseCommitSink", "FlinkKafkaProducer", "POOL_SIZE", "SAFE_SCALE_DOWN_FACTOR"]

POOL_SIZE = 5
SAFE_SCALE_DOWN_FACTOR = 5
APPEND_FIELDS = ("topic", "partition", "offset", "value", "txn", "origin")     # kafka_append, in JSON order


def _provenances(origins, attempt) -> list:
    """A Provenance per origin (None stays None), one per distinct origin object."""
    made: dict = {}
    make = tuple.__new__
    out = []
    for o in origins:
        if o is None:
            out.append(None)
            continue
        p = made.get(id(o))               # the origins are alive: their ids are distinct
        if p is None:
            p = made[id(o)] = make(Provenance, (*o, attempt))
        out.append(p)
    return out


class TwoPhaseCommitSink(Operator):
    """A Kafka sink subtask: writing, batching, pre-commit bookkeeping and commits in order."""

    stateful = True
    external = True                    # it writes to Kafka at the current time (see chain.py)
    implementation = ""

    def __init__(self, task_name: str, index: int, parallelism: int, spec, cluster, attempt, counter: dict) -> None:
        self.task_name = task_name                 # the (chained) task: the trace's lane
        self.label = f"{spec.name}[{index}]"       # names this subtask's transactions: "sink[0]#3"
        self.index = index
        self.parallelism = parallelism
        self.spec = spec
        self.attempt = attempt
        self.number = attempt.number               # the attempt that deployed it: provenance of writes
        self.dead = False                          # its task was cancelled by a region failover
        self.env = attempt.env
        self.trace = attempt.trace
        topic = cluster.topics[spec.topic]
        self.partition = topic.partitions[index % len(topic.partitions)]
        self.producer = Producer(cluster, self.partition)
        self.exactly_once = spec.semantic == "exactly_once"
        self.pending: list = []            # (checkpoint, Transaction) pre-committed, oldest first
        self.current = None
        self.opened: dict[str, float] = {}  # transaction -> when this sink opened it (kept in the state)
        self.counter = counter             # txn serial numbers per subtask, across attempts
        self.batch: list = []              # non-transactional producer batch, sent after ``linger``
        self.bare = bare_records(self.trace)   # records are bare values, not (value, origin)
        if self.exactly_once and self.bare:
            self.process = self._process_bare

    def open(self, restored: dict | None) -> None:
        """Recover from the restored state (or start fresh) before the first record."""
        raise NotImplementedError

    def _init_producer(self, tid: str) -> int:
        """``initTransactions()`` for ``tid``: bump its epoch, fence (abort) its previous open txn."""
        try:
            epoch, fenced = self.producer.init_transactions(tid, self.spec.transaction_timeout, self.env.now)
        except InvalidTimeout as exc:
            # an ordinary task failure in Flink (the producer is created in the sink task): the
            # restart strategy restarts the job, which fails the same way (docs/rules.md: Kafka)
            raise TaskFailure(f"INVALID_TRANSACTION_TIMEOUT: {exc}") from None
        for txn in fenced:
            self._trace_abort(txn)
        return epoch

    def _open_transaction(self, tid: str) -> None:
        epoch, now = self._init_producer(tid), self.env.now
        serial = self.counter.get(self.label, 0) + 1
        self.counter[self.label] = serial
        self.current = self.producer.begin_transaction(f"{self.label}#{serial}", tid, epoch,
                                                       self.spec.transaction_timeout)
        self.opened[self.current.id] = now
        self.trace.emit(now, "txn_begin", self.task_name, txn=self.current.id, transactional_id=tid, epoch=epoch,
                        implementation=self.implementation)

    # --- records -----------------------------------------------------------------------------
    def process(self, records: list) -> list:
        """Write the buffer (transactional), or batch it for ``linger`` ms (at_least_once, none)."""
        if not records:
            return []
        if not self.exactly_once and self.spec.linger > 0:
            if not self.batch:
                call_later(self.env, self.spec.linger, self.alive, self._send_batch)
            self.batch.extend(records)
            return []
        self._write(records)
        return []

    def _process_bare(self, records: list) -> list:
        """:meth:`process` of an exactly-once sink writing bare values (no provenance, no trace of
        appends): a buffer of one record into the open transaction goes in one producer call.

        NOTE: what :meth:`_write` does then, less what cannot apply: no batch (exactly once), no
        provenance and no ``kafka_append`` (bare records: the trace is below control); any other
        buffer, or no open transaction (KafkaSink opens its own at the first write), goes the
        general way."""
        txn = self.current
        if txn is None or len(records) != 1:
            return TwoPhaseCommitSink.process(self, records)
        try:
            self.producer.send_one(self.env._now, records[0], txn, self.number)   # NOTE: env.now, see Channel.push
        except KafkaError as exc:
            raise TaskFailure(f"write to {txn.id} failed: {exc}") from None
        return ()                                # NOTE: nothing to hand on, as [] says it, without a new list

    def alive(self) -> bool:
        """Neither its task nor its attempt was cancelled."""
        return not self.dead and self.attempt.alive()

    def _send_batch(self) -> None:
        """The producer's batch goes out (unless the attempt died with it)."""
        if self.batch:
            batch, self.batch = self.batch, []
            self._write(batch)
            self.attempt.job.check_drained()

    def _transaction_for_write(self):
        """The transaction the next write goes into."""
        return self.current

    def _write(self, records: list) -> None:
        now, attempt = self.env.now, self.number
        if self.bare:                            # bare values: no provenance is kept (operators.bare_records)
            values, origins = records, None
        elif len(records) == 1:                  # NOTE: buffers of one record are the common case at buffer_size 1
            (value, origin), = records
            values, origins = (value,), (origin,)
        else:
            values, origins = zip(*records)      # one transpose in C instead of two passes
        txn = self._transaction_for_write() if self.exactly_once else None
        if txn is None and self.exactly_once:
            raise TaskFailure("no open transaction: the transactional producer failed to initialise")
        if self.trace.control:
            # NOTE: with a detailed trace the log stores each record's whole provenance (input origin
            # and attempt) as one tuple, which the kafka_append and every consumer_read event share;
            # so do the records of one input line in this buffer (their origin is one object)
            origins, attempt = _provenances(origins, attempt), None
        try:
            first = self.producer.send(now, values, origins, txn, attempt)
        except KafkaError as exc:
            raise TaskFailure(f"write to {txn.id} failed: {exc}") from None
        if self.trace.control:
            tid = txn.id if txn is not None else None
            self.trace.emit_many(now, "kafka_append", APPEND_FIELDS,
                                 list(zip(range(first, first + len(values)), values, repeat(tid), origins)),
                                 task=self.task_name, topic=self.partition.topic, partition=self.partition.index)

    # --- checkpoints -------------------------------------------------------------------------
    def flush_batch(self) -> bool:
        """``at_least_once`` flushes the batch on the barrier; True if this sink is not transactional."""
        if self.exactly_once:
            return False
        if self.spec.semantic == "at_least_once" and self.batch:
            batch, self.batch = self.batch, []
            self._write(batch)
        return True

    def precommit(self, txn, checkpoint: int) -> None:
        """Flush ``txn`` and keep it as pending for ``checkpoint``."""
        txn.checkpoint = checkpoint
        self.pending.append((checkpoint, txn))
        self.trace.emit(self.env.now, "txn_precommit", self.task_name, txn=txn.id, checkpoint=checkpoint,
                        records=txn.records)

    def notify_complete(self, checkpoint: int) -> None:
        """Commit every pending transaction of a checkpoint <= ``checkpoint``, oldest first; a failed
        commit does not stop the others, the first failure fails the task once all were tried."""
        first = None
        while self.pending and self.pending[0][0] <= checkpoint:
            cid, txn = self.pending.pop(0)
            try:
                self._commit(txn, cid, f"checkpoint {checkpoint} completed")
            except TaskFailure as failure:
                first = first or failure
        if first is not None:
            raise first

    def _commit(self, txn, cid: int, cause: str, recovering: bool = False) -> None:
        producer, now = self.producer, self.env.now
        self._warn_age(txn)
        self.opened.pop(txn.id, None)          # committed or lost: never snapshotted again
        try:
            if producer.can_commit(txn):
                self.trace.emit(now, "txn_commit", self.task_name, txn=txn.id, checkpoint=cid, records=txn.records,
                                cause=cause)
                producer.commit_transaction(txn, now, cause)
        except KafkaError as exc:
            self.trace.emit(now, "producer_fenced", self.task_name, transactional_id=txn.transactional_id,
                            epoch=txn.epoch, txn=txn.id, checkpoint=cid, error=str(exc), recovering=recovering)
            self.commit_failed(txn, cid, exc, recovering)

    def commit_failed(self, txn, cid: int, exc: KafkaError, recovering: bool) -> None:
        """The broker refused a commit: what the implementation does about it."""
        raise NotImplementedError

    def close(self, cause: str = "closed: the job finished") -> None:
        """The job finished: abort the current transaction (TwoPhaseCommitSinkFunction.close); KafkaSink
        has none open after the final savepoint's barrier."""
        txn, self.current = self.current, None
        if txn is not None and self.producer.abort_transaction(txn, self.env.now, cause):
            self._trace_abort(txn)

    def _warn_age(self, txn) -> None:
        """Hook: FlinkKafkaProducer warns about old transactions; KafkaSink does not."""

    def _trace_abort(self, txn) -> None:
        self.trace.emit(self.env.now, "txn_abort", self.task_name, txn=txn.id, records=txn.records, cause=txn.cause)

    def state_entries(self) -> int:
        """Pending transactions plus the open one."""
        return len(self.pending) + 1

    def describe_state(self):
        """Pending and open transaction ids (exactly_once), else None."""
        if not self.exactly_once:
            return None
        return {"pending": [t.id for _, t in self.pending], "open": self.current.id if self.current else None}

    def uncommitted(self) -> int:
        """Records written but not committed yet (pending and open transactions)."""
        if not self.exactly_once:
            return len(self.batch)
        return sum(t.records for _, t in self.pending) + (self.current.records if self.current else 0)


class FlinkKafkaProducer(TwoPhaseCommitSink):
    """The legacy sink (TwoPhaseCommitSinkFunction): a pool of five transactional ids per subtask.

    Ids are ``<prefix>-<subtask>-<k>``, k < 5; more pending transactions than the pool holds fail
    the job. A commit refused during ``notify_checkpoint_complete`` fails the job (failover); one
    refused while recovering is only logged (``producer_fenced`` with ``recovering``): data lost.
    A commit, and a recovery commit, of a transaction opened more than 0.8 x its timeout ago is
    warned about (``txn_warning``).
    """

    implementation = "FlinkKafkaProducer"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.prefix = f"{self.spec.transactional_id_prefix or self.spec.name}-{self.index}-"

    def open(self, restored: dict | None) -> None:
        """Recover transactions from the restored state, clean up leftovers, begin a transaction."""
        if not self.exactly_once:
            return
        producer, now = self.producer, self.env.now
        keep = set()
        if restored is None:
            self._abort_possible_ids()
        else:
            self.opened.update(restored.get("opened", {}))
            for cid, name in restored["pending"]:
                txn = producer.transaction(name)
                keep.add(name)
                self._commit(txn, cid, "recovered on restore", recovering=True)
            # one name as snapshotted; a list when rescaling gave this subtask several old states
            opens = restored.get("opens") or ([restored["open"]] if restored.get("open") else [])
            for name in opens:
                txn = producer.transaction(name)
                if producer.abort_transaction(txn, now, "open at snapshot time; aborted on restore"):
                    self._trace_abort(txn)
        for txn in producer.open_transactions(self.prefix):
            if txn.id not in keep and producer.abort_transaction(txn, now,
                                                                 "leftover of a failed attempt; aborted on restore"):
                self._trace_abort(txn)
        self._begin()

    def _abort_possible_ids(self) -> None:
        """No state (first start, or a failure before the first checkpoint): abort the ids of every
        subtask ``index + j * parallelism``, j < 5 -- all the ids a job up to 5 x wider could have used.

        NOTE: FlinkKafkaProducer.initializeState -> TransactionalIdsGenerator.generateIdsToAbort
        (SAFE_SCALE_DOWN_FACTOR 5): after a scale-down by more than 5 x without a checkpoint, the ids
        of the highest old subtasks are never aborted and their open transactions linger.
        """
        base = self.spec.transactional_id_prefix or self.spec.name
        for j in range(SAFE_SCALE_DOWN_FACTOR):
            for txn in self.producer.open_transactions(f"{base}-{self.index + j * self.parallelism}-"):
                if self.producer.abort_transaction(txn, self.env.now, "a possible id of an earlier run; aborted on start"):
                    self._trace_abort(txn)

    def _begin(self) -> None:
        used = {t.transactional_id for _, t in self.pending}
        free = [k for k in range(POOL_SIZE) if f"{self.prefix}{k}" not in used]
        if not free:
            raise TaskFailure("too many ongoing snapshots: every transactional id of the pool is pending")
        self._open_transaction(f"{self.prefix}{free[0]}")

    def snapshot(self, checkpoint: int):
        """Pre-commit on the barrier: the open transaction becomes pending for ``checkpoint``; open the next."""
        if self.flush_batch():
            return None
        self.precommit(self.current, checkpoint)
        self._begin()
        held = [t.id for _, t in self.pending] + [self.current.id]
        return {"pending": [(cid, t.id) for cid, t in self.pending], "open": self.current.id,
                "opened": {name: self.opened[name] for name in held}}

    def commit_failed(self, txn, cid: int, exc: KafkaError, recovering: bool) -> None:
        if not recovering:
            raise TaskFailure(f"commit of {txn.id} (checkpoint {cid}) failed: {exc}") from None

    def _warn_age(self, txn) -> None:
        """Warn when the transaction, counted from when it was opened, is older than 0.8 x its timeout."""
        opened = self.opened.get(txn.id)
        if opened is not None:
            age = self.env.now - opened
            if age > 0.8 * txn.timeout:
                self.trace.emit(self.env.now, "txn_warning", self.task_name, txn=txn.id, age=age, timeout=txn.timeout)


@operator_type("kafka_sink")
def _kafka_sink(attempt, task_spec, op_spec, restored) -> TwoPhaseCommitSink:
    """The sink of subtask ``i`` in its implementation: recovers its transactions from ``restored``
    and opens one; a failure doing so (e.g. a transaction timeout above the broker's maximum) is the
    task's, once it runs."""
    from .kafka_sink import KafkaSink
    job = attempt.job
    cls = KafkaSink if op_spec.implementation == "KafkaSink" else FlinkKafkaProducer
    op = cls(task_spec.name, task_spec.index, task_spec.parallelism, op_spec, job.cluster, attempt, job.txn_counter)
    try:
        op.open(restored)
    except TaskFailure as failure:          # the task fails right after deployment (Attempt.start)
        attempt.init_failures.append((task_spec.name, failure.reason))
    attempt.sinks.append(op)
    return op
