"""Who held back read_committed readers: transactions that pinned a partition's last stable offset.

A read_committed reader reads a partition only up to its last stable offset (LSO): the first
offset of the oldest open transaction (docs/rules.md: Kafka). While a transaction stays open, everything
written behind it -- by anyone -- waits. This module replays the trace's appends and transaction
ends per partition and reports, for every transaction that held the LSO and never committed
(aborted on restore or by a probe, timed out by the broker, or still open when the run ended),
from when to when it held it, how many records waited behind it, and which read_committed readers
of the topic it held back. The timing diagram can draw the same intervals.
"""
from __future__ import annotations

from ..trace import TraceEvent, event

__all__ = ["lso_holds"]

_ENDS = {"txn_commit": "committed", "txn_abort": "aborted", "txn_timeout": "timed out"}


class _PartitionLog:
    """Open transactions of one partition (first offset, since when oldest) and the current holder."""

    def __init__(self, topic: str, partition: int) -> None:
        self.topic, self.partition = topic, partition
        self.open: dict[str, int] = {}       # txn -> its first offset here
        self.hold = None                     # the open hold: dict

    def holder(self):
        return min(self.open, key=self.open.get) if self.open else None


def _readers(trace) -> dict[str, list[str]]:
    """topic -> the read_committed readers of it (consumers, and sources set to read_committed)."""
    out: dict[str, list[str]] = {}
    for e in _events(trace, ("run_start",)):
        for c in e.get("consumers") or []:
            if c["isolation"] == "read_committed":
                out.setdefault(c["topic"], []).append(c["name"])
        for c in e.get("connectors") or []:
            if c.get("isolation") == "read_committed":
                out.setdefault(c["topic"], []).append(f"operator '{c['operator']}' (read_committed source)")
    return out


def _events(trace, kinds: tuple) -> list:
    """The events of ``kinds`` in order, from a :class:`~sim.trace.Trace` (its index) or a list of events."""
    if hasattr(trace, "of"):
        return trace.of(*kinds)
    return [e if isinstance(e, TraceEvent) else event(e) for e in trace if e["kind"] in kinds]


def _t_end(trace) -> float:
    """The time of the last event before the ``summary`` (0 for none)."""
    if hasattr(trace, "events"):
        return max([0.0, *(e.t for e in trace.events if e.kind != "summary")])
    return max([0.0, *(e["t"] for e in trace if e["kind"] != "summary")])


def lso_holds(trace) -> list[dict]:
    """``[{txn, transactional_id, topic, partition, offset, start, end, ended, waited, readers, sentence}]``."""
    logs: dict[tuple, _PartitionLog] = {}
    tids: dict[str, str] = {}
    done: list[dict] = []
    for e in _events(trace, ("txn_begin", "kafka_append", *_ENDS)):
        kind = e.kind
        if kind == "kafka_append":              # NOTE: attributes, not e["..."]: one per record written
            key = (e.topic, e.partition)
            log = logs.get(key) or logs.setdefault(key, _PartitionLog(*key))
            txn = e.txn
            if txn and txn not in log.open:
                log.open[txn] = e.offset
                _move(log, e, done)
            if log.hold is not None and txn != log.hold["txn"]:
                log.hold["waited"] += 1          # written behind the holder: invisible to read_committed
        elif kind == "txn_begin":
            tids[e["txn"]] = e["transactional_id"]
        else:
            for log in logs.values():
                if e["txn"] in log.open:
                    del log.open[e["txn"]]
                    if log.hold is not None and log.hold["txn"] == e["txn"]:
                        log.hold.update(end=e["t"], ended=_ENDS[kind])
                    _move(log, e, done)
    for log in logs.values():
        if log.hold is not None:
            log.hold.update(end=None, ended="open at the end of the run")
            done.append(log.hold)
    out = [h for h in done if h["ended"] != "committed" and (h["waited"] or h["ended"] != "aborted")]
    if out:
        readers, t_end = _readers(trace), _t_end(trace)
        for h in out:
            h["transactional_id"] = tids.get(h["txn"])
            h["readers"] = readers.get(h["topic"], [])
            h["sentence"] = _sentence(h, t_end)
    return sorted(out, key=lambda h: (h["start"], h["topic"], h["partition"]))


def _move(log: _PartitionLog, e: dict, done: list) -> None:
    """After a change, the oldest open transaction holds the LSO (from now, if it is a new holder)."""
    holder = log.holder()
    if log.hold is not None and log.hold["txn"] == holder:
        return
    if log.hold is not None:
        if log.hold.get("end") is None:
            log.hold.update(end=e["t"], ended="no longer the oldest")
        done.append(log.hold)
    log.hold = None if holder is None else {
        "txn": holder, "topic": log.topic, "partition": log.partition, "offset": log.open[holder],
        "start": e["t"], "end": None, "ended": None, "waited": 0}


def _sentence(h: dict, t_end: float) -> str:
    until = f"to {h['end']:g} ms ({h['ended']})" if h["end"] is not None else f"to the end of the run at {t_end:g} ms"
    who = ", ".join(h["readers"]) or "no read_committed reader"
    held = (f"{h['waited']} record(s) written behind it waited; held back: {who}" if h["waited"] else
            "nothing was written behind it, so no reader waited for it")     # an LSO held, nobody stalled
    return (f"transaction {h['txn']} ({h['transactional_id']}) held the last stable offset of {h['topic']}-"
            f"{h['partition']} at offset {h['offset']} from {h['start']:g} ms {until}: {held}.")
