"""The common base of every barrier handler: channel count, closed channels, end-of-partition policy.

Handlers answer each arrival with a list of actions (``sim.snapshot.actions``); see
:mod:`sim.snapshot.handlers` for the aligned and unaligned variants and
:mod:`sim.snapshot.tracker` for the at-least-once tracker.
"""
from __future__ import annotations

from typing import Callable

from .actions import Barrier, CancelMarker, EndOfPartition

__all__ = ["Handler"]


def _one(item) -> int:
    """Every item counts as one unit of size (the default ``size_of``)."""
    return 1


class Handler:
    """A barrier handler: the contract between a task's input gate and its checkpointing.

    The task (or the gate scenario's driver) tells the handler of every item it takes from the
    input gate, by type -- ``on_buffer(channel, buffer, now)``, ``on_barrier(channel, barrier, now,
    overtaken)``, ``on_cancel(channel, marker, now)``, ``on_end_of_partition(channel, now)`` (or
    ``on_item`` for any of them) -- and of its timers (``on_timer(checkpoint, now)``). Each call
    answers with a list of actions (:mod:`sim.snapshot.actions`) that the caller applies in order:

    * every data buffer and end of partition it was given comes back in exactly one ``Emit``,
      now or later (``replay=True`` after an alignment buffer); nothing else is emitted;
    * ``Trigger(id)`` at most once per checkpoint, ``Aligned(id, ...)`` just before or after it;
      ``Abort(id, reason)`` when it gives a checkpoint up at this task;
    * ``Block``/``Unblock`` mirror :attr:`blocked`; ``Store``/``Persist`` record a buffer;
      ``SetTimer(at, id)`` asks for ``on_timer(id)`` at ``at``.

    The caller must respect the attributes: it never delivers an item of a channel in
    :attr:`blocked` unless :attr:`reads_blocked`; it may skip the call for a data buffer while
    :attr:`fast` (the answer would be a plain ``Emit``); when :attr:`uses_priority` it asks
    :meth:`wants_priority` about queued barriers and hands over the data a barrier overtakes
    (:meth:`priority_from` tells it when a queued aligned barrier may start to).
    A handler knows nothing of SimPy, channels or operators: it is unit-testable by plain calls.
    """

    #: True while every data buffer would simply be emitted (the task may skip the call).
    fast: bool = True
    #: True if the task must keep delivering items of blocked channels (alignment: buffer).
    reads_blocked: bool = False
    #: True if some barriers may overtake queued data (ask ``wants_priority``).
    uses_priority: bool = False

    def __init__(self, channels: int, end_of_partition: str = "align", size_of: Callable = _one) -> None:
        if end_of_partition not in ("align", "abort"):
            raise ValueError(f"end_of_partition must be 'align' or 'abort', got {end_of_partition!r}")
        self.n = channels
        self.eop_policy = end_of_partition
        self.size_of = size_of
        self.closed: set[int] = set()
        self.blocked: set[int] = set()

    def on_item(self, channel: int, item, now: float, overtaken=()) -> list:
        """Dispatch one arrival by its type."""
        if type(item) is Barrier:
            return self.on_barrier(channel, item, now, overtaken)
        if type(item) is CancelMarker:
            return self.on_cancel(channel, item, now)
        if type(item) is EndOfPartition:
            return self.on_end_of_partition(channel, now, item)
        return self.on_buffer(channel, item, now)

    def on_timer(self, checkpoint: int, now: float) -> list:
        """A timer set with ``SetTimer`` is due (only the alternating handler sets them)."""
        return []

    def on_announce(self, barrier: Barrier, arrival: float) -> None:
        """An aligned ``barrier`` was sent to this task and arrives at ``arrival`` (Flink's announcement)."""

    def wants_priority(self, barrier: Barrier, now: float) -> bool:
        """Should ``barrier`` overtake the data queued ahead of it in its channel?"""
        return False

    def priority_from(self, barrier: Barrier) -> float:
        """From when a queued aligned ``barrier`` may overtake (``wants_priority``); inf: never."""
        return float("inf")

    def _open(self) -> int:
        return self.n - len(self.closed)
