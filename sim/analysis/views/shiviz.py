"""Vector clocks for a trace (the ShiViz export): who could have known what, message by message.

Every event on a host ticks that host's own entry; a receive merges the clock the message carried
when it was sent. A record buffer is received where the trace says it arrives (``record_send``'s
``arrive``); barriers are matched to their ``barrier_receive`` in FIFO order per channel; a job
failure empties the channels, as the runtime drops in-flight data. The JobManager's protocol messages are messages too: a trigger
reaches the sources' barrier injection, an ack the JobManager, a completion the tasks' notices.
"""
from __future__ import annotations

import heapq
import itertools
from typing import Iterator

__all__ = ["vector_clock_events"]

#: kinds worth a line in the log (records and barriers, the protocol, faults, transactions)
LOGGED = frozenset({
    "record_send", "barrier_send", "barrier_receive", "barrier_inject", "checkpoint_trigger",
    "checkpoint_ack", "checkpoint_complete", "checkpoint_notify", "checkpoint_abort", "snapshot_sync_start",
    "task_crash", "job_failing", "job_restart", "state_restore", "txn_precommit", "txn_commit", "txn_abort",
    "producer_fenced", "cl_send", "cl_receive", "cl_marker_send", "cl_marker_receive", "cl_record"})


def _host(e) -> str | None:
    task = e.get("task")
    return "JobManager" if task == "jobmanager" else task


def _text(e) -> str:
    details = " ".join(f"{k}={e[k]}" for k in ("checkpoint", "snapshot", "to", "channel", "src", "dst", "tokens",
                                               "values", "txn", "reason") if e.get(k) not in (None, "", []))
    return f"{e['kind']} at {e['t']:g} ms" + (f" {details}" if details else "")


class _Clocks:
    """Every host's vector clock, and the clocks that messages in flight carry."""

    def __init__(self) -> None:
        self.clocks: dict[str, dict] = {}
        self.queues: dict[tuple, list] = {}          # (kind of message, channel) -> [clock at send]
        self.sent_by_jm: dict[tuple, dict] = {}      # ("trigger"|"complete", checkpoint) -> clock
        self.arrivals: list[tuple] = []              # (arrive, n, receiver, clock at send, text): a heap
        self.seq = itertools.count()                 # ties keep send order (and never compare clocks)

    def tick(self, host: str, merge: dict | None = None) -> dict:
        clock = self.clocks.setdefault(host, {})
        for h, n in (merge or {}).items():
            if n > clock.get(h, 0):
                clock[h] = n
        clock[host] = clock.get(host, 0) + 1
        return dict(clock)

    def arrived(self, until: float) -> Iterator[tuple]:
        """Record buffers that reached their receiver by ``until``."""
        while self.arrivals and self.arrivals[0][0] <= until:
            _, _, to, sent, text = heapq.heappop(self.arrivals)
            yield to, self.tick(to, sent), text

    def received(self, e) -> dict | None:
        """The clock a received message carried (None for a local event)."""
        kind = e["kind"]
        if kind == "barrier_receive":
            queue = self.queues.get(("barrier", e["channel"]))
        elif kind in ("cl_receive", "cl_marker_receive"):
            queue = self.queues.get((kind.rsplit("_", 1)[0], e["src"], e["dst"]))
        else:
            key = {"barrier_inject": "trigger", "checkpoint_notify": "complete"}.get(kind)
            return self.sent_by_jm.get((key, e.get("checkpoint"))) if key else None
        return queue.pop(0) if queue else None

    def sent(self, e, clock: dict) -> None:
        """Remember the clock a message carries until it is received."""
        kind = e["kind"]
        if kind == "record_send":
            arrive = e.get("arrive", e["t"])
            heapq.heappush(self.arrivals, (arrive, next(self.seq), e["to"], clock, f"record_arrive at {arrive:g} ms "
                                           f"channel={e['channel']} values={e.get('values')}"))
        elif kind == "barrier_send":
            self.queues.setdefault(("barrier", e["channel"]), []).append(clock)
        elif kind in ("cl_send", "cl_marker_send"):
            self.queues.setdefault((kind.rsplit("_", 1)[0].replace("_send", ""), e["src"], e["dst"]), []).append(clock)
        elif kind in ("checkpoint_trigger", "checkpoint_complete"):
            self.sent_by_jm[(kind.split("_")[1], e["checkpoint"])] = clock


def vector_clock_events(trace) -> Iterator[tuple[str, dict, str]]:
    """``(host, clock, text)`` per logged event, in trace order; clocks are fresh dicts."""
    vc = _Clocks()
    for e in trace:
        kind = e["kind"]
        yield from vc.arrived(e["t"])
        if kind == "job_failing":                      # in-flight data is dropped
            vc.queues.clear()
            vc.arrivals.clear()
        host = _host(e)
        if kind not in LOGGED or host is None:
            continue
        if kind == "checkpoint_ack":                   # the task sends, the JobManager receives
            sent = vc.tick(host)
            yield host, sent, f"ack checkpoint {e['checkpoint']} at {e['t']:g} ms"
            yield "JobManager", vc.tick("JobManager", sent), f"JobManager got the ack of {host} for " \
                f"checkpoint {e['checkpoint']}"
            continue
        clock = vc.tick(host, vc.received(e))
        vc.sent(e, clock)
        yield host, clock, _text(e)
    yield from vc.arrived(float("inf"))
