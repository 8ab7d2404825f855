"""The Kafka source: a subtask that reads its partitions and injects barriers.

Its state is the consumed offset of each partition. On start it restores offsets from the
checkpoint (a partition the checkpoint does not know is read from the earliest offset), or,
without one, applies the start setting (``earliest``, ``latest``, or
``group_offsets`` falling back to ``auto_offset_reset``). On a trigger it records its offsets and
sends the barrier downstream, then goes on reading. When a checkpoint completes it commits its
offsets to the consumer group (monitoring only: recovery never reads them).
"""
from __future__ import annotations

from ..kafka.clients import fetch
from ..provenance import Origin
from .input_gate import INF
from .mail import DiscoverPartitions, PauseInput, ResumeInput, TriggerCheckpoint, TriggerSavepoint
from .operators import Operator, bare_records, operator_type
from .task import StreamTask

__all__ = ["SourceReader", "SourceStreamTask"]

_new = tuple.__new__


class SourceReader(Operator):
    """Positions in the partitions assigned to one source subtask."""

    stateful = True

    def __init__(self, cluster, spec, partitions) -> None:
        self.cluster = cluster
        self.spec = spec
        self.assigned = partitions                   # every partition of this subtask, even future ones
        self.partitions = []                         # the ones it knows of (discovered)
        self.positions: dict[int, int] = {}
        self.snapshots: dict[int, dict] = {}
        self.isolation = spec.isolation
        #: bounded KafkaSource: partition -> the offset it stops at (the end offsets when the job first started)
        self.stop_at: dict | None = None
        self.bare = False                            # records are bare values (operators.bare_records)

    def start(self, now: float, restored: dict | None) -> list[tuple[int, int, str]]:
        """Choose start positions; returns (partition, offset, cause) for the trace."""
        out = []
        self.partitions = [p for p in self.assigned if p.created <= now or (restored and p.index in restored)]
        for p in self.partitions:
            if restored is not None and p.index in restored:
                offset, cause = restored[p.index], "restored from checkpoint"
            elif restored is not None:
                # NOTE: a partition that exists at restore time but has no offset in the restored state
                # is read from the earliest offset whatever the start setting (FlinkKafkaConsumerBase
                # restores unknown partitions with the EARLIEST_OFFSET sentinel; docs/connectors.md)
                offset, cause = 0, "not in the checkpoint: earliest"
            else:
                mode = self.spec.start_from
                cause = f"start_from: {mode}"
                if mode == "group_offsets":
                    committed = self.cluster.group_offsets.get((self.spec.group, p.topic, p.index))
                    if committed is not None:
                        offset, cause = committed, "committed group offset"
                    else:
                        mode = self.spec.auto_offset_reset
                        cause = f"no committed offset; auto_offset_reset: {mode}"
                offset = offset if mode == "group_offsets" else (0 if mode == "earliest" else p.end(now))
            self.positions[p.index] = offset
            out.append((p.index, offset, cause))
        return out

    def poll(self, now: float, limit: int) -> list:
        """Up to ``limit`` visible records as ``(value, origin)`` (bare values if :attr:`bare`),
        oldest append time first."""
        parts = self.partitions
        if len(parts) != 1:
            return self._poll_merged(now, limit)
        p = parts[0]
        index = p.index
        if p.transactional:          # a topic written with transactions: markers (and maybe aborted records) to skip
            offsets, self.positions[index] = fetch(p, self.positions[index], now, self.isolation, limit)
            if self.bare:
                return list(map(p.value, offsets))
            return [(p.value(o), Origin(p.topic, index, o, p.next_time(o))) for o in offsets]
        start = self.positions[index]
        end = p.end(now) if self.stop_at is None else min(p.end(now), self.stop_at[index])
        stop = start + limit if start + limit < end else end
        if stop <= start:
            return []
        if stop > p.base + len(p.times):
            p.ensure(stop)
        self.positions[index] = stop
        a, topic = start - p.base, p.topic
        if self.bare:
            return p.values[a:a + stop - start]
        # NOTE: input partitions hold plain records only: the slice is exactly what a fetch returns;
        # origins are built with tuple.__new__ (a NamedTuple's own constructor is a Python function)
        if stop == start + 1:
            return [(p.values[a], _new(Origin, (topic, index, start, p.times[a])))]
        b = a + stop - start
        return [(v, _new(Origin, (topic, index, o, t)))
                for v, o, t in zip(p.values[a:b], range(start, stop), p.times[a:b])]

    def _poll_merged(self, now: float, limit: int) -> list:
        """:meth:`poll` over several partitions: the oldest visible record first, one at a time."""
        parts = self.partitions
        out = []
        while len(out) < limit:
            best, best_t = None, None
            for p in parts:
                pos = self.positions[p.index]
                if pos < self._end(p, now) and (best_t is None or p.next_time(pos) < best_t):
                    best, best_t = p, p.next_time(pos)
            if best is None:
                break
            pos = self.positions[best.index]
            self.positions[best.index] = pos + 1
            if best.transactional and not best.visible(pos, self.isolation):
                continue                          # a control marker (or, read_committed, an aborted record)
            out.append(best.value(pos) if self.bare else
                       (best.value(pos), Origin(best.topic, best.index, pos, best.next_time(pos))))
        return out

    def _end(self, p, now: float) -> int:
        """Where reading must stop: the high watermark, or for read_committed the last stable offset."""
        end = p.end(now) if self.stop_at is None else min(p.end(now), self.stop_at[p.index])
        return min(end, p.lso()) if self.isolation == "read_committed" and p.transactional else end

    def next_time(self) -> float | None:
        """When the next unread record becomes visible (None: nothing known to come; an append or a
        transaction's end wakes the task through its partition listener)."""
        times = []
        for p in self.partitions:
            pos = self.positions[p.index]
            t = p.next_time(pos) if self.stop_at is None or pos < self.stop_at[p.index] else None
            if t is not None and not (self.isolation == "read_committed" and p.transactional and pos >= p.lso()):
                times.append(t)
        return min(times) if times else None

    def exhausted(self) -> bool:
        """Nothing more will ever be read (partitions it will discover count too)."""
        parts = self.assigned if self.spec.partition_discovery_interval else self.partitions
        if self.stop_at is not None:
            return all(self.positions.get(p.index, 0) >= self.stop_at[p.index] for p in self.partitions)
        return all(p.next_time(self.positions.get(p.index, 0)) is None for p in parts)

    def discover(self, now: float) -> list:
        """Partitions added since the last look: read from the earliest offset (docs/connectors.md)."""
        new = [p for p in self.assigned if p not in self.partitions and p.created <= now]
        for p in new:
            self.partitions.append(p)
            self.positions[p.index] = 0
        return new

    def snapshot(self, checkpoint: int):
        """The offset of every partition, kept until the checkpoint completes (to commit it)."""
        offsets = dict(self.positions)
        self.snapshots[checkpoint] = offsets
        return offsets

    def restore(self, state) -> None:
        """Put restored offsets back."""
        self.positions = dict(state)

    def state_entries(self) -> int:
        """One entry per partition."""
        return len(self.positions)

    def describe_state(self):
        """``{topic-partition: offset}``."""
        return {f"{p.topic}-{p.index}": self.positions[p.index] for p in self.partitions}

    def notify_complete(self, checkpoint: int):
        """Commit the checkpoint's offsets to the consumer group (monitoring only); returns them."""
        offsets = self.snapshots.pop(checkpoint, None)
        for old in [k for k in self.snapshots if k < checkpoint]:
            del self.snapshots[old]
        if offsets is not None and self.spec.commit_offsets_on_checkpoint and self.partitions:
            self.cluster.commit_offsets(self.spec.group, self.spec.topic, offsets)
            return offsets
        return None


@operator_type("kafka_source")
def _kafka_source(attempt, task_spec, op_spec, restored) -> SourceReader:
    """The reader of the partitions of subtask ``i`` (partition p goes to subtask p mod parallelism)."""
    cluster, now = attempt.job.cluster, attempt.env.now
    topic = cluster.topics[op_spec.topic]
    parts = [p for p in topic.partitions if p.index % task_spec.parallelism == task_spec.index]
    reader = SourceReader(cluster, op_spec, parts)
    reader.bare = bare_records(attempt.trace)
    if op_spec.bounded:
        # the stopping offsets are fixed when the job first starts and kept across restarts (the
        # enumerator keeps them with its splits): OffsetsInitializer.latest() as KafkaSource's setBounded
        stops = attempt.job.bounded_stops.setdefault(op_spec.name, {q.index: q.end(now) for q in topic.partitions})
        reader.stop_at = stops
    for p, offset, cause in reader.start(now, restored):
        attempt.trace.emit(now, "source_offset_reset", task_spec.name, topic=topic.name, partition=p,
                           offset=offset, cause=cause)
    return reader


class SourceStreamTask(StreamTask):
    """A task whose chain starts with a Kafka source: its input is Kafka instead of channels."""

    URGENT = frozenset({TriggerCheckpoint})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reader = self.chain.head
        self.paused = False
        # an unaligned barrier can be injected while the source waits for output credits
        self.urgent = self.attempt.unaligned_from_source
        self.on_mail.update({TriggerCheckpoint: self._trigger_checkpoint, TriggerSavepoint: self._trigger_checkpoint,
                             DiscoverPartitions: self._discover,
                             PauseInput: self._pause, ResumeInput: self._resume})
        interval = self.reader.spec.partition_discovery_interval
        if interval and len(self.reader.partitions) < len(self.reader.assigned):
            self.later(interval, self._discovery_due)
        # records written live (transactional input) and transaction ends wake the task
        self.listening = [(p, (self._appended, self.reader.isolation)) for p in self.reader.assigned]
        for p, listener in self.listening:
            p.listen(*listener)

    def _appended(self, _partition, t: float) -> None:
        if not self.dead:
            self.notify(t)

    def cancel(self) -> None:
        if not self.cancelled:             # a second cancel is a no-op (Task.cancel)
            for p, listener in self.listening:
                p.unlisten(*listener)
        super().cancel()

    def _discovery_due(self) -> None:
        self.post(DiscoverPartitions())
        if len(self.reader.partitions) < len(self.reader.assigned):
            self.later(self.reader.spec.partition_discovery_interval, self._discovery_due)

    def input_step(self):
        """Poll Kafka for up to a buffer of records (Flink's SourceStreamTask input); the step handling
        them (the buffer itself for the task loop's hot path, see :meth:`StreamTask.run`)."""
        if self.paused:
            return self.wait()
        now = self.env._now                  # NOTE: env.now, see Channel.push
        records = self.reader.poll(now, self.attempt.buffer_size)
        if not records:
            nxt = self.reader.next_time()
            return self.wait(INF if nxt is None else nxt)
        self.hops += len(records)
        if self.trace.full:
            self.trace.emit(now, "source_read", self.name, n=len(records), origins=[list(r[1]) for r in records])
        return records if not self.chain.checked else self.process_buffer(records, False)

    def notify_complete(self, cid: int):
        """Also commit the checkpoint's offsets to the consumer group (``offsets_committed``)."""
        done = super().notify_complete(cid)
        offsets = done.get(self.chain.names[0]) if done else None
        if offsets is not None and self.trace.control:
            spec = self.reader.spec
            self.trace.emit(self.env.now, "offsets_committed", self.name, checkpoint=cid, group=spec.group,
                            offsets={f"{spec.topic}-{p}": o for p, o in sorted(offsets.items())})
        return done

    # --- mailbox actions -------------------------------------------------------------------------
    def _trigger_checkpoint(self, m: TriggerCheckpoint):
        cid, now = m.checkpoint, self.env.now
        if self.trace.control:
            self.trace.emit(now, "barrier_inject", self.name, checkpoint=cid, offsets=self.reader.describe_state())
        self.checkpointer.barrier_received(cid, now)
        return self.checkpointer.trigger(cid, self.attempt.unaligned_from_source)

    def _discover(self, _m: DiscoverPartitions) -> None:
        for p in self.reader.discover(self.env.now):
            self.trace.emit(self.env.now, "source_offset_reset", self.name, topic=p.topic, partition=p.index,
                            offset=0, cause="discovered partition: earliest")

    def _pause(self, _m: PauseInput) -> None:
        self.paused = True

    def _resume(self, _m: ResumeInput) -> None:
        self.paused = False
