"""What travels in a channel besides data (barriers, markers, end of partition), and the actions a
barrier handler answers with. Plain frozen values: no SimPy, no behaviour."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Barrier", "CancelMarker", "EndOfPartition", "EOP", "Emit", "Trigger", "Abort", "Block", "Unblock",
           "Persist", "Store", "SetTimer", "Aligned"]


# ----------------------------------------------------------------------------- items in a channel
@dataclass(frozen=True, slots=True)
class Barrier:
    """``barrier(id)``: ``created`` is the trigger time; ``unaligned`` if sent as a priority event;
    ``savepoint``: a savepoint's barrier, aligned with no timeout everywhere (docs/rules.md: savepoints)."""
    id: int
    created: float = 0.0
    unaligned: bool = False
    savepoint: bool = False


@dataclass(frozen=True, slots=True)
class CancelMarker:
    """Sent downstream instead of a barrier by a task that declined or aborted checkpoint ``id``."""
    id: int


class EndOfPartition:
    """The last item of a channel."""
    __slots__ = ()

    def __repr__(self) -> str:
        return "EOP"


EOP = EndOfPartition()


# ----------------------------------------------------------------------------------- actions
@dataclass(frozen=True, slots=True)
class Emit:
    """Hand ``item`` (data or EOP) to the operator; ``replay`` if it comes from the alignment buffer."""
    channel: int
    item: object
    replay: bool = False


@dataclass(frozen=True, slots=True)
class Trigger:
    """Take the snapshot of checkpoint ``id`` now and forward the barrier."""
    id: int
    unaligned: bool = False


@dataclass(frozen=True, slots=True)
class Abort:
    """Checkpoint ``id`` is aborted at this task (reason: subsumed, cancelled, end_of_stream, alignment_limit)."""
    id: int
    reason: str


@dataclass(frozen=True, slots=True)
class Block:
    """Block ``channel`` during the alignment of checkpoint ``id``."""
    channel: int
    id: int = 0


@dataclass(frozen=True, slots=True)
class Unblock:
    """Release ``channel``."""
    channel: int


@dataclass(frozen=True, slots=True)
class Persist:
    """Record ``item`` of ``channel`` as in-flight channel state of checkpoint ``id`` (unaligned)."""
    id: int
    channel: int
    item: object


@dataclass(frozen=True, slots=True)
class Store:
    """``alignment: buffer``: ``item`` of blocked ``channel`` is kept for replay."""
    id: int
    channel: int
    item: object


@dataclass(frozen=True, slots=True)
class SetTimer:
    """Call ``on_timer(id, now)`` at time ``at`` (the alternating handler's active timeout)."""
    at: float
    id: int


@dataclass(frozen=True, slots=True)
class Aligned:
    """Every open channel delivered barrier ``id``: alignment statistics of this task."""
    id: int
    duration: float
    processed_bytes: int
