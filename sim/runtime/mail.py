"""Typed mailbox messages: what a task runs between two input items (Flink's mailbox actions).

Anyone may post a message to a task (timers, the coordinator, the fault plan); the task's loop
takes mail before input and dispatches it by type. A back-pressured task still runs the urgent
kinds (:attr:`StreamTask.URGENT`) while it waits for credits, as Flink's mailbox does.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Flush", "HandlerTimer", "Stall", "SnapshotNow", "TriggerCheckpoint", "TriggerSavepoint",
           "DiscoverPartitions", "PauseInput", "ResumeInput"]


@dataclass(frozen=True, slots=True)
class Flush:
    """``buffer_timeout`` passed: every partial output buffer goes out."""


@dataclass(frozen=True, slots=True)
class HandlerTimer:
    """A timer the barrier handler set (``SetTimer``) is due: call ``on_timer(checkpoint)``."""
    checkpoint: int


@dataclass(frozen=True, slots=True)
class Stall:
    """The fault plan stalls the task: it does nothing for ``duration`` ms."""
    duration: float


@dataclass(frozen=True, slots=True)
class SnapshotNow:
    """Stop the world: snapshot ``checkpoint`` without a barrier (nothing is in flight)."""
    checkpoint: int


@dataclass(frozen=True, slots=True)
class TriggerCheckpoint:
    """To a source task: inject the barrier of ``checkpoint`` (Flink's triggerCheckpointAsync)."""
    checkpoint: int


@dataclass(frozen=True, slots=True)
class TriggerSavepoint(TriggerCheckpoint):
    """To a source task: inject a savepoint's barrier. Never urgent mail (not in ``URGENT``): its
    barrier is aligned and goes after the output the task is waiting to send, and the source reads
    nothing before its mail, so its offsets are those it would snapshot while waiting."""


@dataclass(frozen=True, slots=True)
class DiscoverPartitions:
    """To a source task: look for partitions added to its topic."""


@dataclass(frozen=True, slots=True)
class PauseInput:
    """To a source task: stop reading (stop-the-world checkpoints)."""


@dataclass(frozen=True, slots=True)
class ResumeInput:
    """To a source task: read again."""
