"""Snapshot bookkeeping: a task's progress on one checkpoint, storage timing, completed checkpoints."""
from __future__ import annotations

from ..values import Record, Value, set_field

__all__ = ["Progress", "StateBackend", "CompletedCheckpoint", "TaskSnapshot"]


class Progress:
    """What one task has done so far for checkpoint ``id``."""

    __slots__ = ("id", "triggered", "first_barrier", "state", "inflight_in", "inflight_out", "async_done",
                 "aligned", "sync_duration", "async_duration", "alignment_duration", "processed_records",
                 "state_bytes")

    def __init__(self, cid: int, triggered: float, first_barrier: float) -> None:
        self.id = cid
        self.triggered = triggered
        self.first_barrier = first_barrier
        self.state = None
        self.inflight_in: dict[int, list] = {}    # channel index -> buffers recorded at the receiver
        self.inflight_out: dict[int, list] = {}   # channel index -> output buffers the barrier overtook
        self.async_done = False
        self.aligned = False
        self.sync_duration = 0.0
        self.async_duration = 0.0
        self.alignment_duration = 0.0
        self.processed_records = 0
        self.state_bytes = 0

    def persist_in(self, channel: int, buffer: list) -> None:
        """Record an input buffer of ``channel`` as channel state (unaligned)."""
        self.inflight_in.setdefault(channel, []).append(buffer)

    def persist_out(self, channel: int, buffer: list) -> None:
        """Record an output buffer the barrier overtook on ``channel`` (unaligned)."""
        self.inflight_out.setdefault(channel, []).append(list(buffer))

    def inflight_records(self) -> int:
        """Records persisted as channel state, inputs and outputs."""
        return sum(len(b) for bufs in self.inflight_in.values() for b in bufs) + \
            sum(len(b) for bufs in self.inflight_out.values() for b in bufs)

    def size(self, record_bytes: int) -> int:
        """Bytes of this task's snapshot: its state plus its channel state."""
        return self.state_bytes + self.inflight_records() * record_bytes


class StateBackend(Value):
    """How long snapshots take: a fixed cost plus bytes over a speed, per phase."""

    __slots__ = ("sync_base", "sync_bytes_per_ms", "async_base", "async_bytes_per_ms", "record_bytes")

    def __init__(self, sync_base: float, sync_bytes_per_ms: float, async_base: float, async_bytes_per_ms: float,
                 record_bytes: int) -> None:
        set_field(self, "sync_base", sync_base)
        set_field(self, "sync_bytes_per_ms", sync_bytes_per_ms)
        set_field(self, "async_base", async_base)
        set_field(self, "async_bytes_per_ms", async_bytes_per_ms)
        set_field(self, "record_bytes", record_bytes)

    @classmethod
    def from_spec(cls, spec) -> "StateBackend":
        """The backend of the scenario's ``state_backend``."""
        return cls(spec.sync_base, spec.sync_bytes_per_ms, spec.async_base, spec.async_bytes_per_ms,
                   spec.record_bytes)

    def sync_time(self, entries: int) -> float:
        """Duration of the synchronous phase for ``entries`` state entries."""
        return self.sync_base + entries * self.record_bytes / self.sync_bytes_per_ms

    def async_time(self, entries: int) -> float:
        """Duration of the upload of ``entries`` state entries."""
        return self.async_base + entries * self.record_bytes / self.async_bytes_per_ms

    def upload_time(self, records: int) -> float:
        """Duration of the upload of ``records`` persisted in-flight records."""
        return records * self.record_bytes / self.async_bytes_per_ms


class TaskSnapshot(Record):
    """The part of a completed checkpoint that belongs to one subtask."""

    __slots__ = ("state", "inflight_in", "inflight_out")

    def __init__(self, state: object, inflight_in: dict | None = None, inflight_out: dict | None = None) -> None:
        self.state = state
        self.inflight_in = {} if inflight_in is None else inflight_in
        self.inflight_out = {} if inflight_out is None else inflight_out


class CompletedCheckpoint(Record):
    """A completed checkpoint: its id, times, and every task's snapshot."""

    __slots__ = ("id", "trigger_time", "completion_time", "tasks")

    def __init__(self, id: int, trigger_time: float, completion_time: float, tasks: dict[str, TaskSnapshot]) -> None:
        self.id = id
        self.trigger_time = trigger_time
        self.completion_time = completion_time
        self.tasks = tasks

    def inflight(self) -> dict[int, list]:
        """Channel index -> buffers to restore, receiver-recorded first (they were sent earlier)."""
        out: dict[int, list] = {}
        for snap in self.tasks.values():
            for ch, bufs in snap.inflight_in.items():
                out.setdefault(ch, []).extend(bufs)
        for snap in self.tasks.values():
            for ch, bufs in snap.inflight_out.items():
                out.setdefault(ch, []).extend(bufs)
        return out
