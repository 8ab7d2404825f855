"""Provenance lookups for the checker's explanations, built from the run's trace on first use.

A :class:`Context` indexes what a sentence about a violation needs: the attempts (restarts and
submissions), source resets, failures, transactions and broker timeouts, the transactional input
records, and the writes of the lost values and of their input records. :class:`LazyContext`
builds it only when a violation is explained (a run without any never pays for it), and only for
the losses it is told about (:meth:`LazyContext.focus`).
"""
from __future__ import annotations

from collections import defaultdict

from ..provenance import Provenance
from .metrics import transactions

__all__ = ["Context", "LazyContext", "origin_text"]


def origin_text(origin: Provenance | None) -> str:
    """``topic-partition@offset`` of an input record, or "an unknown input"."""
    return origin.where() if origin else "an unknown input"


class Context:
    """Provenance lookups over the run's trace; ``lost``: the values and input records (topic,
    partition, offset) of the losses to explain, whose writes are looked up (None: all)."""

    def __init__(self, trace, lost: tuple | None = None) -> None:
        # an attempt begins with a restart (failover) or a submission (lifecycle)
        self.restarts = {e["attempt"]: e for e in trace.of("job_restart", "job_submit") if e.get("attempt")}
        self.resets = trace.of("source_offset_reset")
        self.failures = trace.of("job_failing")
        failed = trace.first("job_failed")
        self.failed = failed["reason"] if failed else None
        self.txns = {t["id"]: t for t in transactions(trace)}
        self.timeouts = {e["txn"]: e for e in trace.of("txn_timeout")}
        self.appends = defaultdict(list)
        self.appends_by_origin = defaultdict(list)
        appends = trace.of("kafka_append")
        # (topic, partition, offset) -> txn of a transactional input record (written by no task)
        self.input_txn = {(e.topic, e.partition, e.offset): e.txn for e in appends
                          if getattr(e, "task", None) is None and e.txn}
        values, origins = lost if lost is not None else (None, None)
        for e in appends if values is None else [e for e in appends if e.value in values]:
            self.appends[e.value].append(e)
        for e in appends if origins is None else [e for e in appends if e.origin and (len(e.origin) < 3 or
                                                                                      e.origin[2] in origins[1])]:
            origin = Provenance.of(e.origin)
            if origin and (origins is None or origin[:3] in origins[0]):
                self.appends_by_origin[origin[:3]].append(e)
        self.mode = None

    def restore_of(self, attempt: int) -> str:
        r = self.restarts.get(attempt)
        if r is None:
            return "in the first attempt"
        if r["kind"] == "job_submit":
            src = {"none": "no state", "latest_checkpoint": f"the latest retained checkpoint {r['checkpoint']}"}.get(
                r["source"], f"savepoint {r['source']} (checkpoint {r['checkpoint']})")
            return f"in attempt {attempt}, submitted at {r['t']:g} ms from {src}"
        cp = f"checkpoint {r['checkpoint']}" if r["checkpoint"] is not None else "no checkpoint (none had completed)"
        return f"in attempt {attempt}, restarted at {r['t']:g} ms from {cp}"

    def reset_for(self, attempt_time: float, topic: str, partition: int):
        for e in self.resets:
            if e["t"] == attempt_time and e["topic"] == topic and e["partition"] == partition:
                return e
        return None

    def write(self, read: dict) -> str:
        origin = Provenance.of(read.get("origin"))
        attempt = origin.attempt if origin else None
        txn = read.get("txn")
        where = f"transaction {txn}" if txn else "no transaction"
        text = f"{origin_text(origin)} written {self.restore_of(attempt) if attempt else ''} ({where}, read at {read['t']:g} ms)"
        r = self.restarts.get(attempt)
        if r is not None and origin:
            reset = self.reset_for(r["t"], origin.topic, origin.partition)
            if reset is not None:
                text += f"; the source was reset to offset {reset['offset']} ({reset['cause']})"
        return text


class LazyContext:
    """A :class:`Context` built on first use: a run without violations never pays for it, and
    one with losses looks up the writes of those (:meth:`focus`) only."""

    def __init__(self, trace) -> None:
        self._trace, self._ctx, self._lost = trace, None, None

    def focus(self, lost_reads: list) -> None:
        """Look up the writes of these reference reads' values and input records only."""
        origins = [Provenance.of(r.origin) for r in lost_reads]
        keys = {o[:3] for o in origins if o}
        self._lost = ({r.value for r in lost_reads}, (keys, {k[2] for k in keys}))

    def __getattr__(self, name):
        if self._ctx is None:
            self._ctx = Context(self._trace, self._lost)
        return getattr(self._ctx, name)
