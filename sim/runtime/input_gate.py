"""A task's input gate: its input channels, read as the barrier handler allows.

Like Flink's ``CheckpointedInputGate``, the gate decides which queued item the task takes next:

1. a barrier the handler wants with priority (an unaligned barrier) overtakes the data queued
   ahead of it in its channel; that data is handed over as ``overtaken`` (to be persisted);
2. else the earliest-arrived head among the channels the task may read: a blocked channel waits
   (``alignment: block``) unless the handler reads blocked channels (``alignment: buffer``);
   equal arrival times go to the lower channel index.

While the handler is on its fast path (no alignment, no replay, nothing blocked, no barrier may
overtake) the gate only compares the heads. The SimPy task (:mod:`sim.runtime.task`) and the gate scenarios
(:mod:`sim.runtime.gate_driver`) read through this same class and apply the handler's actions with
the same :func:`interpret`.

A channel here is anything with ``queue`` (a deque of ``[arrival, item]``), ``gate_index`` and
``take(pos)``.
"""
from __future__ import annotations

from ..snapshot.actions import Barrier, CancelMarker, EndOfPartition

__all__ = ["InputGate", "interpret", "INF"]

INF = float("inf")
_EVENTS = (Barrier, CancelMarker, EndOfPartition)     # what a channel carries besides data buffers


class InputGate:
    """The reading rules of one task's input channels under its barrier handler."""

    __slots__ = ("channels", "handler")

    def __init__(self, channels: list, handler) -> None:
        self.channels = channels
        self.handler = handler

    def poll(self, now: float):
        """``(channel, item, overtaken)`` taken now, or ``(None, t, None)``: nothing readable before ``t``.

        ``overtaken`` is None for an item taken in order, the list of overtaken data buffers for a
        priority barrier.
        """
        handler = self.handler
        blocked = ()
        if not handler.fast or handler.uses_priority:
            found = self.poll_priority(now)
            if found is not None:
                return found
            if not handler.reads_blocked:
                blocked = handler.blocked
        best, best_t = None, INF
        for ch in self.channels:
            q = ch.queue
            if q and q[0][0] < best_t and ch.gate_index not in blocked:
                best, best_t = ch, q[0][0]
        if best_t > now:
            return None, best_t, None
        return best, best.take(), None

    def _find_priority(self, now: float):
        """``(channel, position)`` of an arrived barrier the handler wants with priority, or None."""
        handler = self.handler
        if not handler.uses_priority:
            return None
        for ch in self.channels:
            for pos, entry in enumerate(ch.queue):
                if entry[0] > now:
                    break
                if type(entry[1]) is Barrier and handler.wants_priority(entry[1], now):
                    return ch, pos
        return None

    def poll_priority(self, now: float):
        """Take a priority barrier that has arrived: ``(channel, barrier, overtaken data)``, or None."""
        found = self._find_priority(now)
        if found is None:
            return None
        ch, pos = found
        overtaken = [e[1] for e in list(ch.queue)[:pos] if type(e[1]) not in _EVENTS]
        return ch, ch.take(pos), overtaken

    def has_priority(self, now: float) -> bool:
        """Has a barrier the handler wants with priority arrived (without taking it)?"""
        return self._find_priority(now) is not None

    def has_input(self, now: float) -> bool:
        """Could :meth:`poll` take something at ``now`` (without taking it)?"""
        handler = self.handler
        blocked, reads_blocked = handler.blocked, handler.reads_blocked
        for ch in self.channels:
            q = ch.queue
            if q and q[0][0] <= now and (reads_blocked or ch.gate_index not in blocked):
                return True
        return self._find_priority(now) is not None

    def dispatch(self, ch, item, now: float, overtaken=None) -> list:
        """Hand one taken item to the barrier handler; returns its actions."""
        if type(item) is Barrier:
            return self.handler.on_barrier(ch.gate_index, item, now, overtaken or ())
        return self.handler.on_item(ch.gate_index, item, now)


def interpret(actions: list, effects: dict):
    """Apply a handler's actions in order: ``effects`` maps each action type to a function.

    An effect that takes simulated time returns a generator, which is run to its end here;
    the others return None. Every action type the handler may produce must have an effect.
    """
    for action in actions:
        step = effects[type(action)](action)
        if step is not None:
            yield from step
