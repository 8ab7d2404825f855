"""The at-least-once barrier tracker (Flink's CheckpointBarrierTracker): never blocks, counts barriers.

It follows up to 50 checkpoints at once, oldest first; each has the *set* of channels that
delivered its barrier (or ended) and a target fixed when its first barrier came (the open channels
then). A checkpoint whose set reaches the target triggers the snapshot; it and every older one are
dropped. A cancellation marker aborts every lower pending checkpoint with its own notice, then its
own id; end of partition (``align``) marks the channel in every pending checkpoint newest first and
triggers only the newest that completes; with ``abort`` every pending checkpoint is aborted.
"""
from __future__ import annotations

from collections import deque
from typing import Callable

from .actions import EOP, Abort, Aligned, Barrier, CancelMarker, Emit, Trigger
from .base import Handler, _one

__all__ = ["AtLeastOnceTracker"]


class _Count:
    """One checkpoint the tracker follows: the channels aligned so far and the target count."""

    __slots__ = ("id", "channels", "target", "aborted", "start")

    def __init__(self, cid: int, channel: int, target: int, aborted: bool, start: float) -> None:
        self.id = cid
        self.channels = {channel}
        self.target = target              # open channels when its first barrier (or marker) came
        self.aborted = aborted
        self.start = start

    def mark(self, channel: int) -> bool:
        """Count ``channel`` (a set: once); True when the target is reached."""
        self.channels.add(channel)
        return len(self.channels) >= self.target


class AtLeastOnceTracker(Handler):
    """Counts barriers per checkpoint (several at once) and never blocks.

    # NOTE: follows Flink's CheckpointBarrierTracker (flink-streaming-java, runtime/io/checkpointing):
    # at most 50 ids tracked, oldest first; each has a *set* of aligned channels and a target fixed at
    # its first barrier; a cancellation marker aborts every lower pending id with its own notice;
    # end of partition (align) marks the channel in every pending id newest first and triggers only
    # the newest that completes, dropping it and all older ones (docs/rules.md: barriers).
    """

    MAX_TRACKED = 50

    def __init__(self, channels: int, end_of_partition: str = "align", size_of: Callable = _one) -> None:
        super().__init__(channels, end_of_partition, size_of)
        self.latest = 0
        self.pending: deque[_Count] = deque()     # oldest first

    def on_buffer(self, ch: int, item, now: float) -> list:
        """Data is never held: emit it."""
        return [Emit(ch, item)]

    def on_barrier(self, ch: int, b: Barrier, now: float, overtaken=()) -> list:
        """Count the barrier for its checkpoint; trigger when every open channel delivered it."""
        out: list = []
        for pos, entry in enumerate(self.pending):
            if entry.id == b.id:
                if entry.mark(ch):
                    self._finish(pos, out, now)
                return out
        if b.id > self.latest:               # a lower or equal unknown id can never complete: ignored
            self.latest = b.id
            self.pending.append(_Count(b.id, ch, self._open(), False, now))
            if len(self.pending) > self.MAX_TRACKED:
                self.pending.popleft()
            if self.pending[-1].mark(ch):     # one open channel: complete at once
                self._finish(len(self.pending) - 1, out, now)
        return out

    def on_cancel(self, ch: int, marker: CancelMarker, now: float) -> list:
        """Abort the marker's checkpoint (once) and drop lower pending ones."""
        out: list = []
        cid = marker.id
        while self.pending and self.pending[0].id < cid:
            self._abort(self.pending.popleft(), "cancelled", out)    # each lower one with its own notice
        if self.pending and self.pending[0].id == cid:
            entry = self.pending[0]
            self._abort(entry, "cancelled", out)
            if entry.mark(ch):                # later barriers of an aborted id are only counted
                self.pending.popleft()
        elif cid > self.latest:
            self.latest = cid
            out.append(Abort(cid, "cancelled"))
            entry = _Count(cid, ch, self._open(), True, now)
            if not entry.mark(ch):
                self.pending.appendleft(entry)   # remembered as aborted until all its markers are in
        return out

    def on_end_of_partition(self, ch: int, now: float, item=EOP) -> list:
        """Close the channel: abort (``abort``) or complete what it was waiting for (``align``)."""
        out: list = []
        self.closed.add(ch)
        if self.eop_policy == "abort":
            while self.pending:
                self._abort(self.pending.popleft(), "end_of_stream", out)
        else:
            for pos in range(len(self.pending) - 1, -1, -1):     # newest first
                if self.pending[pos].mark(ch):
                    self._finish(pos, out, now)
                    break
        out.append(Emit(ch, item))
        return out

    def _finish(self, pos: int, out: list, now: float) -> None:
        """Entry ``pos`` is complete: drop it and every older one silently; trigger it unless aborted."""
        entry = self.pending[pos]
        for _ in range(pos + 1):
            self.pending.popleft()
        if not entry.aborted:
            out.append(Aligned(entry.id, now - entry.start, 0))
            out.append(Trigger(entry.id))

    @staticmethod
    def _abort(entry: _Count, reason: str, out: list) -> None:
        if not entry.aborted:                 # at most one notice per checkpoint
            entry.aborted = True
            out.append(Abort(entry.id, reason))
