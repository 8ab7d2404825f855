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


def vector_clock_events(trace) -> Iterator[tuple[str, dict, str]]:
    """``(host, clock, text)`` per logged event, in trace order; clocks are fresh dicts."""
    clocks: dict[str, dict] = {}
    queues: dict[tuple, list] = {}                   # (kind of message, channel) -> [clock at send]
    triggers, completes = {}, {}

    def tick(host: str, merge: dict | None = None) -> dict:
        clock = clocks.setdefault(host, {})
        if merge:
            for h, n in merge.items():
                if n > clock.get(h, 0):
                    clock[h] = n
        clock[host] = clock.get(host, 0) + 1
        return dict(clock)

    arrivals: list[tuple] = []                       # (arrive, n, receiver, clock at send, text): a heap
    seq = itertools.count()                          # ties keep send order (and never compare clocks)
    for e in trace:
        kind = e["kind"]
        while arrivals and arrivals[0][0] <= e["t"]:
            arrive, _, to, sent, text = heapq.heappop(arrivals)
            yield to, tick(to, sent), text
        if kind == "job_failing":
            queues.clear()
            arrivals.clear()
        host = _host(e)
        if kind not in LOGGED or host is None:
            continue
        merge = None
        if kind == "barrier_receive":
            queue = queues.get(("barrier", e["channel"]))
            merge = queue.pop(0) if queue else None
        elif kind in ("cl_receive", "cl_marker_receive"):
            queue = queues.get((kind.rsplit("_", 1)[0], e["src"], e["dst"]))
            merge = queue.pop(0) if queue else None
        elif kind == "barrier_inject":
            merge = triggers.get(e["checkpoint"])
        elif kind == "checkpoint_notify":
            merge = completes.get(e["checkpoint"])
        elif kind == "checkpoint_ack":                 # the task sends, the JobManager receives
            sent = tick(host)
            yield host, sent, f"ack checkpoint {e['checkpoint']} at {e['t']:g} ms"
            host, merge = "JobManager", sent
        clock = tick(host, merge)
        if kind == "record_send":
            heapq.heappush(arrivals, (e.get("arrive", e["t"]), next(seq), e["to"], clock,
                                      f"record_arrive at {e.get('arrive', e['t']):g} ms channel={e['channel']} "
                                      f"values={e.get('values')}"))
        elif kind == "barrier_send":
            queues.setdefault(("barrier", e["channel"]), []).append(clock)
        elif kind in ("cl_send", "cl_marker_send"):
            queues.setdefault((kind.rsplit("_", 1)[0].replace("_send", ""), e["src"], e["dst"]), []).append(clock)
        elif kind == "checkpoint_trigger":
            triggers[e["checkpoint"]] = clock
        elif kind == "checkpoint_complete":
            completes[e["checkpoint"]] = clock
        yield host, clock, _text(e) if kind != "checkpoint_ack" else f"JobManager got the ack of {e['task']} " \
            f"for checkpoint {e['checkpoint']}"
    while arrivals:
        _, _, to, sent, text = heapq.heappop(arrivals)
        yield to, tick(to, sent), text
