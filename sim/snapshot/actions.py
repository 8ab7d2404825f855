"""What travels in a channel besides data (barriers, markers, end of partition), and the actions a
barrier handler answers with. Plain frozen values: no SimPy, no behaviour."""
from __future__ import annotations

from ..values import Value, set_field

__all__ = ["Barrier", "CancelMarker", "EndOfPartition", "EOP", "Emit", "Trigger", "Abort", "Block", "Unblock",
           "Persist", "Store", "SetTimer", "Aligned"]


# ----------------------------------------------------------------------------- items in a channel
class Barrier(Value):
    """``barrier(id)``: ``created`` is the trigger time; ``unaligned`` if sent as a priority event;
    ``savepoint``: a savepoint's barrier, aligned with no timeout everywhere (docs/rules.md: savepoints)."""
    __slots__ = ("id", "created", "unaligned", "savepoint")

    def __init__(self, id: int, created: float = 0.0, unaligned: bool = False, savepoint: bool = False) -> None:
        set_field(self, "id", id)
        set_field(self, "created", created)
        set_field(self, "unaligned", unaligned)
        set_field(self, "savepoint", savepoint)


class CancelMarker(Value):
    """Sent downstream instead of a barrier by a task that declined or aborted checkpoint ``id``."""
    __slots__ = ("id",)

    def __init__(self, id: int) -> None:
        set_field(self, "id", id)


class EndOfPartition:
    """The last item of a channel."""
    __slots__ = ()

    def __repr__(self) -> str:
        return "EOP"


EOP = EndOfPartition()


# ----------------------------------------------------------------------------------- actions
class Emit(Value):
    """Hand ``item`` (data or EOP) to the operator; ``replay`` if it comes from the alignment buffer."""
    __slots__ = ("channel", "item", "replay")

    def __init__(self, channel: int, item: object, replay: bool = False) -> None:
        set_field(self, "channel", channel)
        set_field(self, "item", item)
        set_field(self, "replay", replay)


class Trigger(Value):
    """Take the snapshot of checkpoint ``id`` now and forward the barrier."""
    __slots__ = ("id", "unaligned")

    def __init__(self, id: int, unaligned: bool = False) -> None:
        set_field(self, "id", id)
        set_field(self, "unaligned", unaligned)


class Abort(Value):
    """Checkpoint ``id`` is aborted at this task (reason: subsumed, cancelled, end_of_stream, alignment_limit)."""
    __slots__ = ("id", "reason")

    def __init__(self, id: int, reason: str) -> None:
        set_field(self, "id", id)
        set_field(self, "reason", reason)


class Block(Value):
    """Block ``channel`` during the alignment of checkpoint ``id``."""
    __slots__ = ("channel", "id")

    def __init__(self, channel: int, id: int = 0) -> None:
        set_field(self, "channel", channel)
        set_field(self, "id", id)


class Unblock(Value):
    """Release ``channel``."""
    __slots__ = ("channel",)

    def __init__(self, channel: int) -> None:
        set_field(self, "channel", channel)


class _HeldItem(Value):
    """``item`` of ``channel`` kept during checkpoint ``id`` (two kinds: a handler dispatches by type)."""
    __slots__ = ("id", "channel", "item")

    def __init__(self, id: int, channel: int, item: object) -> None:
        set_field(self, "id", id)
        set_field(self, "channel", channel)
        set_field(self, "item", item)


class Persist(_HeldItem):
    """Record ``item`` of ``channel`` as in-flight channel state of checkpoint ``id`` (unaligned)."""
    __slots__ = ()


class Store(_HeldItem):
    """``alignment: buffer``: ``item`` of blocked ``channel`` is kept for replay."""
    __slots__ = ()


class SetTimer(Value):
    """Call ``on_timer(id, now)`` at time ``at`` (the alternating handler's active timeout)."""
    __slots__ = ("at", "id")

    def __init__(self, at: float, id: int) -> None:
        set_field(self, "at", at)
        set_field(self, "id", id)


class Aligned(Value):
    """Every open channel delivered barrier ``id``: alignment statistics of this task."""
    __slots__ = ("id", "duration", "processed_bytes")

    def __init__(self, id: int, duration: float, processed_bytes: int) -> None:
        set_field(self, "id", id)
        set_field(self, "duration", duration)
        set_field(self, "processed_bytes", processed_bytes)
