"""Typed mailbox messages: what a task runs between two input items (Flink's mailbox actions).

Anyone may post a message to a task (timers, the coordinator, the fault plan); the task's loop
takes mail before input and dispatches it by type. A back-pressured task still runs the urgent
kinds (:attr:`StreamTask.URGENT`) while it waits for credits, as Flink's mailbox does.
"""
from __future__ import annotations

from ..values import Value, set_field

__all__ = ["Flush", "HandlerTimer", "Stall", "SnapshotNow", "TriggerCheckpoint", "TriggerSavepoint",
           "DiscoverPartitions", "PauseInput", "ResumeInput"]


class _OfCheckpoint(Value):
    """Mail about one checkpoint (each kind is its own class: a task dispatches by type)."""
    __slots__ = ("checkpoint",)

    def __init__(self, checkpoint: int) -> None:
        set_field(self, "checkpoint", checkpoint)


class Flush(Value):
    """``buffer_timeout`` passed: every partial output buffer goes out."""
    __slots__ = ()


class HandlerTimer(_OfCheckpoint):
    """A timer the barrier handler set (``SetTimer``) is due: call ``on_timer(checkpoint)``."""
    __slots__ = ()


class Stall(Value):
    """The fault plan stalls the task: it does nothing for ``duration`` ms."""
    __slots__ = ("duration",)

    def __init__(self, duration: float) -> None:
        set_field(self, "duration", duration)


class SnapshotNow(_OfCheckpoint):
    """Stop the world: snapshot ``checkpoint`` without a barrier (nothing is in flight)."""
    __slots__ = ()


class TriggerCheckpoint(_OfCheckpoint):
    """To a source task: inject the barrier of ``checkpoint`` (Flink's triggerCheckpointAsync)."""
    __slots__ = ()


class TriggerSavepoint(TriggerCheckpoint):
    """To a source task: inject a savepoint's barrier. Never urgent mail (not in ``URGENT``): its
    barrier is aligned and goes after the output the task is waiting to send, and the source reads
    nothing before its mail, so its offsets are those it would snapshot while waiting."""
    __slots__ = ()


class DiscoverPartitions(Value):
    """To a source task: look for partitions added to its topic."""
    __slots__ = ()


class PauseInput(Value):
    """To a source task: stop reading (stop-the-world checkpoints)."""
    __slots__ = ()


class ResumeInput(Value):
    """To a source task: read again."""
    __slots__ = ()
