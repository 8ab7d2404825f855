"""Partitions of a simulated Kafka cluster: offsets, control markers, LSO, aborted transactions.

A partition is an append-only log. Every entry takes an offset: data records and the control
markers that a transaction's commit or abort writes. Entries carry the time they were appended;
input topics may be written ahead of time (the scenario's input), so readers only see entries
whose time has come (``end(now)``). Listeners hear of appends only: entries written ahead
(``ahead``) are read by readers that wake at their times (sim/runtime/readers.py). No SimPy
inside: time is passed in.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right

from ..provenance import Origin, Provenance

__all__ = ["Partition", "Topic", "COMMIT", "ABORT", "is_marker"]


class _Marker:
    """A transaction's commit or abort marker in a partition."""
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name} marker>"


COMMIT = _Marker("COMMIT")
ABORT = _Marker("ABORT")


def is_marker(value) -> bool:
    """Is ``value`` a transaction's commit or abort marker (it takes an offset but is no record)?"""
    return value is COMMIT or value is ABORT


class Partition:
    """One partition: parallel lists of append time, value, origin (provenance) and transaction.

    Offsets are absolute; ``base`` is the offset of the oldest entry still kept: ``release`` drops
    what nobody can read again, like Kafka's retention, so long runs stay small. Who may read
    what: every consumer in ``readers`` (an object with ``positions[index]``) from its position on,
    and the job from ``hold`` on (the offset a restore could start from; None: no job reads here).
    Listeners are ``(callback(partition, time), isolation)``, added by :meth:`listen`: read_committed
    listeners are only told of changes that can move the last stable offset (``uncommitted``: the
    callbacks of the others, told of every append). ``ahead``: some entries were written
    ahead of time (no listener hears of them: a reader must wake at their times itself).
    """

    __slots__ = ("topic", "index", "base", "times", "values", "origins", "attempts", "txns", "open_first", "aborted",
                 "markers", "listeners", "uncommitted", "transactional", "created", "pending", "readers", "hold", "ahead")

    def __init__(self, topic: str, index: int) -> None:
        self.topic = topic
        self.index = index
        self.base = 0
        self.times: list[float] = []
        self.values: list = []
        self.origins: list = []                 # provenance: the input record's Origin (or None)
        self.attempts: list = []                # the job attempt that wrote it (None: not a sink)
        self.txns: list = []                    # txn id (str) or None for non-transactional records
        self.open_first: dict[str, int] = {}    # open txn -> its first offset here
        self.aborted: dict[str, tuple[int, int]] = {}   # aborted txn -> (first offset, marker offset)
        self.markers: list[int] = []            # offsets of the control markers kept, ascending
        self.listeners: tuple = ()              # (callback, isolation), in the order they listen
        self.uncommitted: tuple = ()            # callbacks of the listeners that are not read_committed
        self.transactional = False              # some entry belongs to a transaction (or is a marker)
        self.created = 0.0                      # when the partition was added to its topic
        self.pending = None                     # chunks of records written ahead of time, not yet stored
        self.readers: list = []                 # consumers: nothing at or above their position is dropped
        self.hold: int | None = None            # the job may still read from here (a restore's source offset)
        self.ahead = False                      # records were written ahead of time (preload_lists, feed)

    def __repr__(self) -> str:
        return f"{self.topic}-{self.index}"

    def listen(self, callback, isolation: str) -> None:
        """Call ``callback(partition, time)`` on appends (read_committed: those that can move the LSO)."""
        self._listeners(self.listeners + ((callback, isolation),))

    def unlisten(self, callback, isolation: str) -> None:
        """Stop calling ``callback`` (one :meth:`listen` undone; ValueError if it never listened)."""
        entries = list(self.listeners)
        entries.remove((callback, isolation))
        self._listeners(tuple(entries))

    def _listeners(self, entries: tuple) -> None:
        # NOTE: tuples, set here only: a writer of one record (Producer.send_one) calls ``uncommitted``
        # without a test per listener (about 1 % of a buffer_size 1 run), and nothing can change one
        # without the other
        self.listeners = entries
        self.uncommitted = tuple(callback for callback, isolation in entries if isolation != "read_committed")

    # --- writing ---
    def append(self, t: float, value, origin=None, txn: str | None = None, attempt=None) -> int:
        """Append one entry at time ``t`` and return its offset."""
        return self.append_many(t, [value], [origin], txn, attempt)

    def append_many(self, t: float, values: list, origins: list | None, txn: str | None = None, attempt=None) -> int:
        """Append entries at time ``t`` (one transaction or none); returns the first offset.

        ``origins`` None: the writer keeps no provenance (a run with a summary trace, whose
        readers never ask for it): the entries have none, as input records written ahead.
        """
        vals = self.values
        offset = self.base + len(vals)
        n = len(values)
        if n == 1:                   # NOTE: a sink writing buffers of one record: appends, no lists built
            self.times.append(t)
            vals.append(values[0])
            self.origins.append(origins[0] if origins is not None else None)
            self.attempts.append(attempt)
            self.txns.append(txn)
        else:
            self.times.extend([t] * n)
            vals.extend(values)
            self.origins.extend(origins if origins is not None else [None] * n)
            self.attempts.extend([attempt] * n)
            self.txns.extend([txn] * n)
        first_value = values[0]
        if txn is None or first_value is COMMIT or first_value is ABORT:
            moved = True             # the last stable offset may have moved
            if txn is not None:
                self.markers.append(offset)      # a marker is written alone (end_transaction)
        else:
            moved = False
            if txn not in self.open_first:
                self.open_first[txn] = offset
        if txn is not None:
            self.transactional = True
        for listener, isolation in self.listeners:
            if moved or isolation != "read_committed":
                listener(self, t)
        return offset

    def preload_lists(self, times: list, values: list) -> None:
        """Write records ahead of time (``times`` sorted): the scenario's input."""
        n = len(values)
        self.ahead = True
        self.times.extend(times)
        self.values.extend(values)
        self.origins.extend([None] * n)
        self.attempts.extend([None] * n)
        self.txns.extend([None] * n)

    def feed(self, source) -> None:
        """Write records ahead of time lazily (nothing else may write here).

        ``source.chunks`` yields ``(times, values)`` in time order, stored only when a reader
        needs the records themselves; ``source.count_until(now)`` says how many records have a
        time at or before ``now``, so the high watermark needs nothing stored; ``source.total``
        is how many there are.
        """
        assert not self.values, "a fed partition starts empty"
        self.pending = source
        self.ahead = True

    def ensure(self, offset: int) -> None:
        """Store pending records until the entry before ``offset`` is stored (if it exists)."""
        times = self.times
        while self.pending is not None and self.base + len(times) < offset:
            chunk = next(self.pending.chunks, None)
            if chunk is None:
                self.pending = None
                return
            self.preload_lists(*chunk)

    def end_transaction(self, t: float, txn: str, commit: bool) -> int | None:
        """Write the control marker of ``txn`` (if it wrote here) and return the marker's offset."""
        if txn not in self.open_first:
            return None
        first = self.open_first.pop(txn)
        if not commit:
            # NOTE: recorded before the marker is appended, so readers woken by it skip the records
            self.aborted[txn] = (first, self.base + len(self.values))
        return self.append(t, COMMIT if commit else ABORT, None, txn)

    def release(self) -> None:
        """Forget the entries below what every consumer and the job (``hold``) may still read."""
        index = self.index
        floors = [r.positions[index] for r in self.readers]
        if self.hold is not None:
            floors.append(self.hold)
        if floors:
            self.trim(min(floors))

    def trim(self, upto: int) -> None:
        """Forget the entries below offset ``upto`` (nobody will read them); never what is not stored yet."""
        k = min(upto - self.base, len(self.values))
        upto = self.base + k
        if k > 0:
            del self.times[:k], self.values[:k], self.origins[:k], self.attempts[:k], self.txns[:k]
            self.base = upto
            if self.markers and self.markers[0] < upto:
                del self.markers[:bisect_left(self.markers, upto)]
            for txn in [x for x, (_, marker) in self.aborted.items() if marker < upto]:
                del self.aborted[txn]

    # --- reading ---
    def end(self, now: float) -> int:
        """The high watermark at ``now``: entries appended at or before ``now``."""
        times = self.times
        if not times or times[-1] <= now:
            if self.pending is None:
                return self.base + len(times)
            return max(self.base + len(times), self.pending.count_until(now))
        return self.base + bisect_right(times, now)

    def next_time(self, offset: int) -> float | None:
        """When the entry at ``offset`` becomes visible (None if it does not exist yet)."""
        k = offset - self.base
        if k >= len(self.times) and self.pending is not None:
            self.ensure(offset + 1)
        return self.times[k] if k < len(self.times) else None

    def value(self, offset: int):
        """The value at ``offset``."""
        return self.values[offset - self.base]

    def origin(self, offset: int):
        """Provenance of the entry (its input record and the attempt that wrote it), or None.

        An input record written ahead of time is its own origin: (topic, partition, offset, time).
        """
        k = offset - self.base
        origin, attempt = self.origins[k], self.attempts[k]
        if origin is None and self.ahead and self.txns[k] is None:
            # NOTE: nothing else writes a partition written ahead (sim/scenario/references.py
            # refuses sinks and transaction items there), so the entry is an input record; built
            # on demand, not stored: a generated input may hold millions of records. The time is
            # rounded as the trace rounds event times (sim/trace.py), so a read at the append time
            # is 0 ms after it, not -1e-16 (rounding keeps order: a read never precedes its append)
            return Origin(self.topic, self.index, offset, round(self.times[k], 9))
        if origin is None or (attempt is None and type(origin) is Provenance):
            return origin                       # stored whole by the sink (detailed traces)
        return Provenance(*origin, attempt)

    def txn(self, offset: int):
        """The transaction that wrote ``offset`` (None: written without one)."""
        return self.txns[offset - self.base]

    def lso(self) -> int:
        """Last stable offset: the first offset of the oldest open transaction, else the end."""
        if self.open_first:
            return min(self.open_first.values())
        return self.pending.total if self.pending is not None else self.base + len(self.values)

    def visible(self, offset: int, isolation: str) -> bool:
        """May a reader with ``isolation`` return the data entry at ``offset`` once it reaches it?"""
        k = offset - self.base
        if is_marker(self.values[k]):
            return False
        if isolation == "read_committed":
            txn = self.txns[k]
            return txn is None or txn not in self.aborted
        return True


class Topic:
    """A named topic with a fixed number of partitions."""

    def __init__(self, name: str, partitions: int) -> None:
        self.name = name
        self.partitions = [Partition(name, i) for i in range(partitions)]

    def __repr__(self) -> str:
        return f"Topic({self.name!r}, {len(self.partitions)})"
