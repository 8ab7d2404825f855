"""Trace events: the single source of truth of a run.

The runtime writes one :class:`TraceEvent` per thing that happened; the verdict, the metrics,
the diagrams and the notebooks read nothing else. A trace is kept in memory and can be written
to and read back from JSON Lines, so a saved run can be re-analysed without re-running it.

Every event has a time ``t`` (simulated milliseconds), a ``kind`` and, where it concerns one
subtask, a ``task`` (``"split[1]"``). The remaining fields depend on the kind and are listed in
:data:`KINDS`, the one table that documents the schema.

Trace levels keep big runs cheap: ``full`` keeps every record hop, ``control`` keeps everything
but record hops, ``summary`` keeps only counters (plus the final ``summary`` event, what the
checker needs: consumer output and job-level events, and the barriers and checkpoints, so that a
picture of any run shows its snapshots).
"""
from __future__ import annotations

import json
from collections import Counter
from typing import IO, Iterable, Iterator

__all__ = ["KINDS", "LEVELS", "TraceEvent", "Trace"]

#: Trace levels, from the most to the least detailed.
LEVELS = {"full": 2, "control": 1, "summary": 0}

FULL, CONTROL, SUMMARY = 2, 1, 0

#: kind -> (lowest level that keeps it, fields besides t/kind/task, meaning)
KINDS: dict[str, tuple[int, str, str]] = {
    # --- records (full only) ---
    "record_send": (FULL, "to, channel, n, values, arrive", "a task put a buffer of n records on a channel"),
    "record_receive": (FULL, "channel, n", "the task took a buffer of n records from its input gate"),
    "record_process": (FULL, "n, values, replay", "the operator processed a buffer of n records"),
    "kafka_append": (CONTROL, "topic, partition, offset, value, txn, origin", "a sink (or, without task, a transactional input producer) wrote a record"),
    "source_read": (FULL, "n, origins", "a source read n records ([topic, partition, offset, time] each)"),
    # --- barriers and alignment ---
    "barrier_inject": (CONTROL, "checkpoint, offsets", "a source recorded its offsets and injected a barrier"),
    "barrier_send": (SUMMARY, "checkpoint, to, channel, unaligned, arrive",
                     "a barrier was put on a channel (kept at every level: O(checkpoints x channels))"),
    "barrier_receive": (CONTROL, "checkpoint, channel, unaligned", "the handler saw a barrier"),
    "cancel_marker": (CONTROL, "checkpoint, channel", "a cancellation marker reached the handler"),
    "alignment_start": (CONTROL, "checkpoint, channel", "the first barrier of a checkpoint arrived"),
    "alignment_end": (CONTROL, "checkpoint, duration, processed_bytes, inputs", "all barriers arrived"),
    "channel_block": (CONTROL, "channel, checkpoint", "the handler blocked an input channel"),
    "channel_unblock": (CONTROL, "channel", "the handler released an input channel"),
    "record_buffered": (CONTROL, "channel, n, checkpoint", "alignment: buffer stored a blocked channel's item"),
    "buffer_persisted": (CONTROL, "checkpoint, channel, n, values", "unaligned: a buffer recorded as channel state"),
    "end_of_partition": (CONTROL, "channel", "an input channel ended"),
    # --- snapshots and checkpoints ---
    "snapshot_sync_start": (CONTROL, "checkpoint, state", "synchronous phase began (state copied)"),
    "snapshot_sync_end": (CONTROL, "checkpoint, duration", "synchronous phase ended"),
    "snapshot_async_end": (CONTROL, "checkpoint, duration, size", "asynchronous upload finished"),
    "checkpoint_schedule": (SUMMARY, "delay, period",
                            "periodic triggering (re)started: the first trigger comes after delay, then every period"),
    "checkpoint_trigger": (SUMMARY, "checkpoint, savepoint", "the coordinator triggered a checkpoint"),
    "checkpoint_ack": (CONTROL, "checkpoint, size", "a task acknowledged a checkpoint"),
    "checkpoint_decline": (SUMMARY, "checkpoint, reason", "a task declined a checkpoint"),
    "checkpoint_abort": (SUMMARY, "checkpoint, reason", "a checkpoint was aborted (at a task or globally)"),
    "checkpoint_complete": (SUMMARY, "checkpoint, stats", "all tasks acknowledged: the checkpoint completed"),
    "checkpoint_notify": (CONTROL, "checkpoint", "notify_checkpoint_complete reached a task"),
    # --- faults and recovery ---
    "fault_injected": (SUMMARY, "fault, detail", "the fault plan fired"),
    "task_crash": (SUMMARY, "reason, attempt", "a task failed"),
    "job_failing": (SUMMARY, "attempt, reason, dropped_in_flight, restarted",
                    "the failed tasks (restarted: the region, or every task) cancelled; their in-flight data dropped"),
    "job_restart": (SUMMARY, "attempt, checkpoint, delay, tasks",
                    "a new attempt started (tasks: the restarted region; absent: every task)"),
    "lifecycle": (SUMMARY, "action, detail, savepoint",
                  "an operator of the cluster acted (lifecycle:): savepoint, stop-with-savepoint, cancel, submit"),
    "savepoint_complete": (SUMMARY, "savepoint, checkpoint", "a savepoint completed (the user owns it)"),
    "job_finished": (SUMMARY, "savepoint, open_transactions", "stop-with-savepoint: the job finished"),
    "job_cancelled": (SUMMARY, "retained_checkpoints, open_transactions",
                      "the job was cancelled: tasks stopped at once; which checkpoints retention keeps and which "
                      "transactions stay open on the broker"),
    "job_submit": (SUMMARY, "submission, source, checkpoint, parallelism, attempt, error",
                   "the job was submitted again (source: a savepoint, latest_checkpoint or none; error: why it "
                   "could not be)"),
    "job_failed": (SUMMARY, "reason", "the restart strategy gave up"),
    "state_restore": (CONTROL, "checkpoint, state", "a task restored state from a checkpoint"),
    "source_offset_reset": (SUMMARY, "topic, partition, offset, cause", "a source chose its start position"),
    "inflight_restore": (CONTROL, "checkpoint, channel, n", "unaligned: persisted buffers put back"),
    # --- Kafka transactions ---
    "txn_begin": (SUMMARY, "txn, transactional_id, epoch, implementation",
                  "a sink (FlinkKafkaProducer | KafkaSink) or an input producer (producer) opened a transaction"),
    "txn_precommit": (SUMMARY, "txn, checkpoint, records", "the sink flushed and pre-committed"),
    "txn_commit": (SUMMARY, "txn, checkpoint, records, cause", "the transaction committed"),
    "txn_abort": (SUMMARY, "txn, records, cause", "the transaction aborted"),
    "txn_timeout": (SUMMARY, "txn, age, timeout, records, checkpoint",
                    "the broker aborted a transaction older than its timeout"),
    "txn_warning": (CONTROL, "txn, age, timeout", "a transaction passed 0.8 x its timeout"),
    "producer_fenced": (SUMMARY, "transactional_id, epoch, txn, checkpoint, error, recovering",
                        "a commit failed: the producer was fenced or the broker had aborted the transaction"),
    "commit_discarded": (SUMMARY, "txn, checkpoint, records, error, recovering",
                         "KafkaSink's committer gave up a commit the broker refused with a known error "
                         "(ProducerFenced, InvalidTxnState, UnknownProducerId): no failover, the records are lost"),
    "txn_probe": (CONTROL, "prefix, subtask, first, unused, used",
                  "KafkaSink on start: ids prefix-subtask-first .. were initialised (aborting what they had open) "
                  "until id prefix-subtask-unused, never used before"),
    "offsets_committed": (CONTROL, "checkpoint, group, offsets", "source offsets committed to the group"),
    # --- readers and run ---
    "consumer_summary": (SUMMARY, "consumer, isolation, count, digest, final_counts",
                         "summary traces: what a reader read, as a count and an order-independent digest"),
    "consumer_read": (CONTROL, "consumer, isolation, topic, partition, offset, value, origin, txn",
                      "a reader got a record"),
    "run_start": (SUMMARY, "scenario, seed, level, consumers, tasks, topics, connectors",
                  "the run began (jobs: readers, tasks in plan order as {name, operators, subtask, parallelism}, "
                  "input and output topics, Kafka operators as {operator, type, topic, implementation, isolation})"),
    "run_end": (SUMMARY, "reason, restarts, attempts, failed, retained_checkpoints",
                "the run stopped (until reached, drained, job failed); which checkpoints outlive it"),
    "summary": (SUMMARY, "counters", "counters of every kind, written last"),
    "reference": (SUMMARY, "complete, reason, finish, order_dependent, records_read, topics",
                  "the ideal reference (sim.ideal), first event of its trace: could it finish in the run's "
                  "time (else why not), which keys' running sums depend on arrival order"),
    # --- other scenario kinds ---
    "gate_arrive": (SUMMARY, "index, channel, item", "gate: an item arrived in its channel"),
    "gate_item": (SUMMARY, "index, channel, item, priority, actions",
                  "gate: the handler took an item; actions are [name, ...] lists (emit, trigger, abort, "
                  "block, unblock, persist, store, timer, aligned)"),
    "gate_timer": (SUMMARY, "checkpoint, actions", "gate: the alternating handler's timer fired"),
    "gate_blocked": (SUMMARY, "index, blocked", "gate: blocked channels once item index had arrived"),
    "cl_snapshot_start": (SUMMARY, "snapshot, initiator", "chandy_lamport: a process started a snapshot"),
    "cl_send": (SUMMARY, "src, dst, tokens, arrive", "chandy_lamport: a token message sent"),
    "cl_receive": (SUMMARY, "src, dst, tokens", "chandy_lamport: a token message received"),
    "cl_marker_send": (SUMMARY, "src, dst, snapshot, arrive", "chandy_lamport: a marker sent"),
    "cl_marker_receive": (SUMMARY, "src, dst, snapshot", "chandy_lamport: a marker received"),
    "cl_record": (SUMMARY, "node, snapshot, tokens", "chandy_lamport: a process recorded its state"),
    "cl_channel_recorded": (SUMMARY, "src, dst, snapshot, messages", "chandy_lamport: a channel's state closed"),
    "cl_done": (SUMMARY, "snapshot", "chandy_lamport: a snapshot completed everywhere"),
}

TraceEvent = dict
"""One event: a plain dict ``{"t", "kind", "task"?, **fields}`` (JSON-ready)."""


class Trace:
    """An ordered list of trace events at one level, with counters of every kind."""

    def __init__(self, level: str = "full") -> None:
        if level not in LEVELS:
            raise ValueError(f"unknown trace level {level!r}; expected one of {sorted(LEVELS)}")
        self.level = level
        self.rank = LEVELS[level]
        self.events: list[TraceEvent] = []
        self.counters: Counter[str] = Counter()
        self.full = self.rank >= FULL
        self.control = self.rank >= CONTROL

    def emit(self, t: float, kind: str, task: str | None = None, **fields) -> None:
        """Record one event if the trace level keeps its kind; always count it."""
        self.counters[kind] += 1
        if KINDS[kind][0] <= self.rank:
            event = {"t": round(t, 9), "kind": kind}
            if task is not None:
                event["task"] = task
            event.update(fields)
            self.events.append(event)

    def close(self, t: float) -> None:
        """Append the final ``summary`` event (sorted counters)."""
        self.events.append({"t": t, "kind": "summary", "counters": dict(sorted(self.counters.items()))})

    # --- reading ---
    def __iter__(self) -> Iterator[TraceEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def of(self, *kinds: str) -> list[TraceEvent]:
        """The events of the given kinds, in order."""
        return [e for e in self.events if e["kind"] in kinds]

    def first(self, kind: str, **match) -> TraceEvent | None:
        """The first event of ``kind`` whose fields equal ``match``."""
        for e in self.events:
            if e["kind"] == kind and all(e.get(k) == v for k, v in match.items()):
                return e
        return None

    # --- JSON Lines ---
    def dumps(self) -> str:
        """The trace as JSON Lines text (deterministic: fixed key order, no spaces)."""
        return "".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) + "\n" for e in self.events)

    def write(self, fp: IO[str]) -> None:
        for e in self.events:
            fp.write(json.dumps(e, separators=(",", ":"), ensure_ascii=False))
            fp.write("\n")

    @classmethod
    def from_events(cls, events: Iterable[TraceEvent], level: str | None = None) -> "Trace":
        events = list(events)
        if level is None:
            start = next((e for e in events if e["kind"] == "run_start"), None)
            level = start.get("level", "full") if start else "full"
        trace = cls(level)
        trace.events = events
        for e in events:
            if e["kind"] == "summary":
                trace.counters = Counter(e["counters"])
        return trace

    @classmethod
    def loads(cls, text: str) -> "Trace":
        """Read a trace back from JSON Lines text."""
        return cls.from_events(json.loads(line) for line in text.splitlines() if line.strip())

    @classmethod
    def read(cls, path) -> "Trace":
        with open(path, encoding="utf-8") as fp:
            return cls.loads(fp.read())
