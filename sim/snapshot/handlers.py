"""Barrier handlers: what a task does with each item of its input gate (no SimPy).

A handler is told of every arrival -- a data buffer, a barrier, a cancellation marker, an end
of partition -- and answers with a list of actions for the task to apply in order: ``Emit`` an
item to the operator, ``Trigger`` the snapshot, ``Abort`` a checkpoint, ``Block``/``Unblock`` a
channel, ``Persist`` a buffer as channel state, ``Store`` a buffer for later replay, ``SetTimer``.
The SimPy task (``sim.runtime.task``) and the gate scenarios drive the very same objects.

Flink's variants (docs/rules.md: barriers):

* :class:`Aligner` with ``alignment="block"`` (Flink >= 1.10) or ``"buffer"`` (<= 1.9): on the
  first barrier of a checkpoint its channel is blocked, and so is every channel whose barrier
  follows; when all open channels are in, the snapshot is triggered and the channels released.
  With ``buffer`` the task keeps reading blocked channels and stores their items, replayed in
  arrival order after the alignment (newest stored sequence first if an older replay is unfinished).
* :class:`UnalignedHandler`: triggers on the first barrier, never blocks, persists in-flight data.
* :class:`AlternatingHandler`: aligned, switching to unaligned when ``aligned_timeout`` has passed
  since the checkpoint's creation (active timer, passive late barrier, unaligned barrier upstream);
  in Flink 1.13 since its first barrier's arrival at the task (``from_arrival``).

A savepoint's barrier (``Barrier.savepoint``) is aligned under every variant but the at-least-once
tracker: the unaligned and alternating handlers block its channels as the aligner does, with no timer.
* :class:`~sim.snapshot.tracker.AtLeastOnceTracker` (its own module): never blocks; counts barriers
  per checkpoint.
"""
from __future__ import annotations

from collections import deque
from typing import Callable

from .actions import (EOP, Abort, Aligned, Barrier, Block, CancelMarker, Emit, EndOfPartition, Persist, SetTimer,
                      Store, Trigger, Unblock)
from .base import Handler, _one
from .tracker import AtLeastOnceTracker

__all__ = ["Barrier", "CancelMarker", "EndOfPartition", "EOP", "Emit", "Trigger", "Abort", "Block",
           "Unblock", "Persist", "Store", "SetTimer", "Aligned", "Handler", "Aligner", "UnalignedHandler",
           "AlternatingHandler", "AtLeastOnceTracker", "make_handler"]


# ----------------------------------------------------------------------------------- aligner
class Aligner(Handler):
    """Aligned barriers (block or buffer), with an optional switch to unaligned after a timeout.

    ``aligned_timeout=None``: always aligned. ``0``: unaligned from the first barrier.
    ``> 0``: aligned until ``created + aligned_timeout``, then unaligned for that checkpoint; with
    ``from_arrival`` (Flink 1.13) until the first arrival of its barrier at this task (announced
    with :meth:`on_announce`; ``created`` if none was) + ``aligned_timeout``.
    """

    def __init__(self, channels: int, alignment: str = "block", end_of_partition: str = "align",
                 max_buffered_bytes: int = 0, aligned_timeout: float | None = None,
                 size_of: Callable = _one, from_arrival: bool = False) -> None:
        super().__init__(channels, end_of_partition, size_of)
        if alignment not in ("block", "buffer"):
            raise ValueError(f"alignment must be 'block' or 'buffer', got {alignment!r}")
        if aligned_timeout is not None and alignment == "buffer":
            raise ValueError("unaligned checkpoints need alignment 'block'")
        self.alignment = alignment
        self.reads_blocked = alignment == "buffer"
        self.max_bytes = max_buffered_bytes
        self.timeout = aligned_timeout
        self.uses_priority = aligned_timeout is not None
        self.from_arrival = from_arrival and aligned_timeout is not None
        self.arrived: dict[int, float] = {}    # from_arrival: checkpoint -> first arrival of its barrier
        self.current = 0               # the latest checkpoint id seen (barrier or marker)
        self.pending = False           # barriers of ``current`` are still expected
        self.unaligned = False         # ``current`` runs unaligned at this task
        self.savepoint = False         # ``current`` is a savepoint: aligned, no timeout
        self.received: set[int] = set()
        self.start = 0.0
        self.processed = 0
        self.stored: list = []          # buffer mode: (channel, item) of the current alignment
        self.stored_bytes = 0
        self.replay: list[deque] = []   # stack of sequences to replay; top is replayed first
        self._draining = False

    # -- public calls --------------------------------------------------------------------------
    def on_buffer(self, ch: int, item, now: float) -> list:
        """A data buffer of channel ``ch``."""
        out = []
        self._dispatch(ch, item, now, out, False)
        self._drain(now, out)
        return out

    def on_barrier(self, ch: int, barrier: Barrier, now: float, overtaken=()) -> list:
        """A barrier of channel ``ch`` (``overtaken``: the data it overtook, unaligned)."""
        out = []
        self._dispatch(ch, barrier, now, out, False, overtaken)
        self._drain(now, out)
        return out

    def on_cancel(self, ch: int, marker: CancelMarker, now: float) -> list:
        """A cancellation marker of channel ``ch``."""
        out = []
        self._dispatch(ch, marker, now, out, False)
        self._drain(now, out)
        return out

    def on_end_of_partition(self, ch: int, now: float, item=EOP) -> list:
        """Channel ``ch`` ended."""
        out = []
        self._dispatch(ch, item, now, out, False)
        self._drain(now, out)
        return out

    def on_timer(self, checkpoint: int, now: float) -> list:
        """The aligned timeout of ``checkpoint`` passed: switch to unaligned if still aligning."""
        out = []
        if checkpoint == self.current and self.pending and not self.unaligned and not self.savepoint:
            self._switch(now, out)
        return out

    def wants_priority(self, barrier: Barrier, now: float) -> bool:
        """Unaligned barriers, and aligned ones whose timeout has passed, overtake queued data (never
        a savepoint's: aligned, with no timeout)."""
        if self.timeout is None or barrier.savepoint:
            return False
        if barrier.unaligned:
            return True
        if barrier.id == self.current:
            return self.pending and self.unaligned
        return barrier.id > self.current and now >= self._origin(barrier) + self.timeout

    def priority_from(self, barrier: Barrier) -> float:
        """A queued aligned barrier overtakes from its timeout on (a new checkpoint's, ``wants_priority``);
        a savepoint's never does, nor an obsolete one (older than the current checkpoint: ignored)."""
        if self.timeout is None or barrier.savepoint or barrier.id < self.current:
            return float("inf")
        return self._origin(barrier) + self.timeout

    def on_announce(self, barrier: Barrier, arrival: float) -> None:
        """An aligned ``barrier`` will reach one of the channels at ``arrival`` (its announcement).

        NOTE: Flink 1.13 counts the aligned timeout from the first barrier or announcement of a
        checkpoint at the task (AlternatingController: ``firstBarrierArrivalTime``, and the timer of
        ``scheduleSwitchToUnaligned``); 1.14 from the checkpoint's trigger (FLINK-23041). Every
        barrier is announced when it is sent, before it arrives: the earliest arrival is kept."""
        if self.from_arrival and barrier.id >= self.current and not barrier.savepoint:
            first = self.arrived.get(barrier.id)
            if first is None or arrival < first:
                self.arrived[barrier.id] = arrival

    def _origin(self, barrier: Barrier) -> float:
        """When ``barrier``'s aligned timeout starts: its trigger, or (1.13) its first arrival here."""
        if self.from_arrival:
            return self.arrived.get(barrier.id, barrier.created)
        return barrier.created

    # -- one item ------------------------------------------------------------------------------
    def _dispatch(self, ch: int, item, now: float, out: list, replay: bool, overtaken=()) -> None:
        if ch in self.blocked:
            if not self.reads_blocked:
                raise RuntimeError(f"channel {ch} is blocked: the task must not deliver its items")
            self.stored.append((ch, item))
            out.append(Store(self.current, ch, item))
            if type(item) is not Barrier and type(item) is not CancelMarker and type(item) is not EndOfPartition:
                self.stored_bytes += self.size_of(item)
                if self.max_bytes and self._queued_bytes() + self.stored_bytes > self.max_bytes:
                    self._abort(self.current, "alignment_limit", out)
            return
        kind = type(item)
        if kind is Barrier:
            self._barrier(ch, item, now, out, overtaken)
        elif kind is CancelMarker:
            self._cancel(item.id, out)
        elif type(item) is EndOfPartition:
            self._end_of_partition(ch, now, out)
            out.append(Emit(ch, item, replay))
        else:
            if self.pending:
                if self.unaligned and ch not in self.received and ch not in self.closed:
                    out.append(Persist(self.current, ch, item))
                self.processed += self.size_of(item)
            out.append(Emit(ch, item, replay))

    def _barrier(self, ch: int, b: Barrier, now: float, out: list, overtaken) -> None:
        if b.id > self.current:
            if self.pending:
                self._abort(self.current, "subsumed", out)
            self.current, self.pending, self.unaligned, self.savepoint = b.id, True, False, b.savepoint
            if self.arrived:
                self.arrived = {k: v for k, v in self.arrived.items() if k >= b.id}
            self.received, self.start, self.processed = set(), now, 0
            # NOTE: a savepoint is aligned with no timeout, whatever the configuration: Flink's
            # CheckpointOptions.forConfig gives a savepoint alignedNoTimeout (no announcement, no
            # alignment timer, never a priority event; in 1.13 CheckpointOptions.create)
            if self.timeout is not None and not b.savepoint:
                if b.unaligned or now >= self._origin(b) + self.timeout:
                    self._switch(now, out)
                else:
                    out.append(SetTimer(self._origin(b) + self.timeout, b.id))
            self._receive(ch, now, out, overtaken)
        elif b.id == self.current and self.pending:
            if self.timeout is not None and not self.unaligned and not b.savepoint and \
                    (b.unaligned or now >= self._origin(b) + self.timeout):
                self._switch(now, out)
            self._receive(ch, now, out, overtaken)
        # else: obsolete (older, cancelled or completed): ignored

    def _receive(self, ch: int, now: float, out: list, overtaken) -> None:
        self.received.add(ch)
        if self.unaligned:
            for item in overtaken:
                out.append(Persist(self.current, ch, item))
        if len(self.received | self.closed) >= self.n:
            self._complete(now, out)
        elif not self.unaligned:
            self.blocked.add(ch)
            out.append(Block(ch, self.current))
        self._update_fast()

    def _complete(self, now: float, out: list) -> None:
        out.append(Aligned(self.current, now - self.start, self.processed))
        if not self.unaligned:
            out.append(Trigger(self.current))
        self.pending = False
        self._release(out)

    def _switch(self, now: float, out: list) -> None:
        """Go unaligned for the current checkpoint: snapshot now, release the blocked channels."""
        self.unaligned = True
        out.append(Trigger(self.current, unaligned=True))
        self._release(out)
        self._update_fast()

    def _cancel(self, cid: int, out: list) -> None:
        if cid > self.current:
            if self.pending:
                self._release(out)        # the lower pending checkpoint is dropped without notice
            self.current, self.pending = cid, False
            out.append(Abort(cid, "cancelled"))
        elif cid == self.current and self.pending:
            self._abort(cid, "cancelled", out)
        self._update_fast()

    def _end_of_partition(self, ch: int, now: float, out: list) -> None:
        self.closed.add(ch)
        if self.pending:
            if self.eop_policy == "abort":
                self._abort(self.current, "end_of_stream", out)
            elif len(self.received | self.closed) >= self.n:
                self._complete(now, out)
        self._update_fast()

    def _abort(self, cid: int, reason: str, out: list) -> None:
        out.append(Abort(cid, reason))
        self.pending = False
        self._release(out)
        self._update_fast()

    def _release(self, out: list) -> None:
        for ch in sorted(self.blocked):
            out.append(Unblock(ch))
        self.blocked.clear()
        if self.stored:
            self.replay.append(deque(self.stored))
            self.stored, self.stored_bytes = [], 0

    # -- replay of the alignment buffer ----------------------------------------------------------
    def _drain(self, now: float, out: list) -> None:
        if self._draining or not self.replay:
            return
        self._draining = True
        try:
            while self.replay:
                seq = self.replay[-1]
                if not seq:
                    self.replay.pop()
                    continue
                ch, item = seq.popleft()
                self._dispatch(ch, item, now, out, True)
        finally:
            self._draining = False
        self._update_fast()

    def _queued_bytes(self) -> int:
        size, total = self.size_of, 0
        for seq in self.replay[:-1]:
            total += sum(size(i) for _, i in seq
                         if type(i) is not Barrier and type(i) is not CancelMarker and type(i) is not EndOfPartition)
        return total

    def _update_fast(self) -> None:
        self.fast = not self.pending and not self.replay and not self.blocked


class UnalignedHandler(Aligner):
    """Unaligned checkpoints: trigger on the first barrier, persist in-flight data, never block."""

    def __init__(self, channels: int, end_of_partition: str = "align", size_of: Callable = _one) -> None:
        super().__init__(channels, "block", end_of_partition, 0, 0.0, size_of)


class AlternatingHandler(Aligner):
    """Aligned checkpoints that turn unaligned after ``aligned_timeout`` (Flink >= 1.13)."""

    def __init__(self, channels: int, aligned_timeout: float, end_of_partition: str = "align",
                 size_of: Callable = _one, from_arrival: bool = False) -> None:
        if aligned_timeout <= 0:
            raise ValueError("aligned_timeout must be positive (0 is the unaligned handler)")
        super().__init__(channels, "block", end_of_partition, 0, aligned_timeout, size_of, from_arrival)


def make_handler(kind: str, channels: int, *, alignment: str = "block", end_of_partition: str = "align",
                 max_buffered_bytes: int = 0, aligned_timeout: float = 0.0, size_of: Callable = _one,
                 timeout_from_arrival: bool = False) -> Handler:
    """Build a handler by name: aligned, at_least_once, unaligned, alternating (``timeout_from_arrival``:
    Flink 1.13's origin of the aligned timeout, see :meth:`Aligner.on_announce`)."""
    if kind == "aligned":
        return Aligner(channels, alignment, end_of_partition, max_buffered_bytes, None, size_of)
    if kind == "at_least_once":
        return AtLeastOnceTracker(channels, end_of_partition, size_of)
    if kind == "unaligned":
        return UnalignedHandler(channels, end_of_partition, size_of)
    if kind == "alternating":
        return AlternatingHandler(channels, aligned_timeout, end_of_partition, size_of, timeout_from_arrival)
    raise ValueError(f"unknown handler {kind!r}")
