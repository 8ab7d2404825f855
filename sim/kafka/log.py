"""Partitions of a simulated Kafka cluster: offsets, control markers, LSO, aborted transactions.

A partition is an append-only log. Every entry takes an offset: data records and the control
markers that a transaction's commit or abort writes. Entries carry the time they were appended;
input topics may be written ahead of time (the scenario's input), so readers only see entries
whose time has come (``end(now)``). No SimPy inside: time is passed in.
"""
from __future__ import annotations

from bisect import bisect_right

__all__ = ["Partition", "Topic", "COMMIT", "ABORT", "is_marker"]


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name} marker>"


COMMIT = _Marker("COMMIT")
ABORT = _Marker("ABORT")


def is_marker(value) -> bool:
    return value is COMMIT or value is ABORT


class Partition:
    """One partition: parallel lists of append time, value, origin (provenance) and transaction."""

    __slots__ = ("topic", "index", "times", "values", "origins", "txns", "open_first", "aborted", "listeners")

    def __init__(self, topic: str, index: int) -> None:
        self.topic = topic
        self.index = index
        self.times: list[float] = []
        self.values: list = []
        self.origins: list = []
        self.txns: list = []                    # txn id (str) or None for non-transactional records
        self.open_first: dict[str, int] = {}    # open txn -> its first offset here
        self.aborted: dict[str, tuple[int, int]] = {}   # aborted txn -> (first offset, marker offset)
        self.listeners: list = []               # callables(partition, time) told of every change

    def __repr__(self) -> str:
        return f"{self.topic}-{self.index}"

    # --- writing ---
    def append(self, t: float, value, origin=None, txn: str | None = None) -> int:
        """Append one entry at time ``t`` and return its offset."""
        offset = len(self.values)
        self.times.append(t)
        self.values.append(value)
        self.origins.append(origin)
        self.txns.append(txn)
        if txn is not None and txn not in self.open_first and not is_marker(value):
            self.open_first[txn] = offset
        for listener in self.listeners:
            listener(self, t)
        return offset

    def preload(self, entries) -> None:
        """Write ``(time, value, origin)`` entries ahead of time (sorted by time): the scenario's input."""
        for t, value, origin in entries:
            self.times.append(t)
            self.values.append(value)
            self.origins.append(origin)
            self.txns.append(None)

    def end_transaction(self, t: float, txn: str, commit: bool) -> int | None:
        """Write the control marker of ``txn`` (if it wrote here) and return the marker's offset."""
        if txn not in self.open_first:
            return None
        first = self.open_first.pop(txn)
        if not commit:
            # NOTE: recorded before the marker is appended, so readers woken by it skip the records
            self.aborted[txn] = (first, len(self.values))
        return self.append(t, COMMIT if commit else ABORT, None, txn)

    # --- reading ---
    def end(self, now: float) -> int:
        """The high watermark at ``now``: entries appended at or before ``now``."""
        n = len(self.times)
        if n == 0 or self.times[-1] <= now:
            return n
        return bisect_right(self.times, now)

    def next_time(self, offset: int) -> float | None:
        """When the entry at ``offset`` becomes visible (None if it does not exist yet)."""
        return self.times[offset] if offset < len(self.times) else None

    def lso(self) -> int:
        """Last stable offset: the first offset of the oldest open transaction, else the end."""
        return min(self.open_first.values()) if self.open_first else len(self.values)

    def visible(self, offset: int, isolation: str) -> bool:
        """May a reader with ``isolation`` return the data entry at ``offset`` once it reaches it?"""
        value = self.values[offset]
        if is_marker(value):
            return False
        if isolation == "read_committed":
            txn = self.txns[offset]
            return txn is None or txn not in self.aborted
        return True


class Topic:
    """A named topic with a fixed number of partitions."""

    def __init__(self, name: str, partitions: int) -> None:
        self.name = name
        self.partitions = [Partition(name, i) for i in range(partitions)]

    def __repr__(self) -> str:
        return f"Topic({self.name!r}, {len(self.partitions)})"
