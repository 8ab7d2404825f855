"""Exports of a trace for standard viewers: Chrome/Perfetto trace-event JSON and a ShiViz log.

**Perfetto** (ui.perfetto.dev, chrome://tracing) reads the Trace Event Format: a JSON object with
``traceEvents``, each event with ``ph`` (phase), ``ts`` (microseconds), ``pid``, ``tid`` and
``name``. Every lane of the timing diagram is a thread (named by ``M`` metadata events); snapshots,
alignments, transactions (one slice per phase) and downtime are async slices (``b``/``e`` with an
``id``, so they may overlap); records and barriers are tiny ``X`` slices on the sender and the
receiver joined by a flow (``s`` then ``f`` with the same ``id``); crashes, triggers, completions and
restores are instant events (``i``). Events are written one by one, so millions of them stream.

**ShiViz** (bestchai.bitbucket.io/shiviz) reads a log with a vector clock per event. The file
starts with the parsing regular expression and an empty delimiter line; then each event is two
lines, ``what happened`` and ``host {"host": n, ...}``. Clocks are built from the trace's messages:
records and barriers on each channel (FIFO), trigger -> barrier injection, ack -> JobManager,
completion -> notice, and the Chandy-Lamport messages and markers.
"""
from __future__ import annotations

import json
from typing import IO, Iterator

from .canvas import lanes_of
from .txn import txn_phases

__all__ = ["perfetto_events", "shiviz_lines", "write_export", "SHIVIZ_REGEX"]

#: ShiViz's own default parser expression: the event line, then host and JSON clock
SHIVIZ_REGEX = r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})"
PID = 1


def _us(t: float) -> float:
    return round(t * 1000.0, 3)


def _threads(events) -> dict[str, int]:
    """Lane name -> tid: the timing diagram's lanes, or the Chandy-Lamport processes."""
    names = list(lanes_of(events))
    names += sorted({e[k] for e in events if e["kind"].startswith("cl_") for k in ("src", "dst", "node") if e.get(k)})
    return {name: i + 1 for i, name in enumerate(dict.fromkeys(names))}


def _host(e) -> str | None:
    task = e.get("task")
    return "JobManager" if task == "jobmanager" else task


def perfetto_events(trace) -> Iterator[dict]:
    """The trace as Trace Event Format dicts (metadata first)."""
    events = trace.events if hasattr(trace, "events") else list(trace)
    tids = _threads(events)
    start = next((e for e in events if e["kind"] == "run_start"), {})
    yield {"ph": "M", "pid": PID, "tid": 0, "ts": 0, "name": "process_name",
           "args": {"name": f"snapsim {start.get('scenario', '')}".strip()}}
    for name, tid in tids.items():
        yield {"ph": "M", "pid": PID, "tid": tid, "ts": 0, "name": "thread_name", "args": {"name": name}}
        yield {"ph": "M", "pid": PID, "tid": tid, "ts": 0, "name": "thread_sort_index", "args": {"sort_index": tid}}
    t_end = max((e["t"] for e in events[-3:]), default=0.0)
    yield from _slices(events, tids, t_end)
    yield from _flows(events, tids)


def _async(name: str, cat: str, ident: str, tid: int, t0: float, t1: float, args=None) -> Iterator[dict]:
    begin = {"ph": "b", "cat": cat, "id": ident, "name": name, "pid": PID, "tid": tid, "ts": _us(t0)}
    if args:
        begin["args"] = args
    yield begin
    yield {"ph": "e", "cat": cat, "id": ident, "name": name, "pid": PID, "tid": tid, "ts": _us(max(t1, t0))}


def _slices(events, tids, t_end: float) -> Iterator[dict]:
    """Snapshots, alignments, downtime, transactions as async slices; crashes and checkpoints as instants."""
    open_: dict[tuple, float] = {}
    jm = tids.get("JobManager", 0)
    instants = {"task_crash": "crash", "checkpoint_trigger": "trigger", "checkpoint_complete": "complete",
                "state_restore": "restore", "job_restart": "restart", "checkpoint_abort": "abort"}
    for e in events:
        kind, tid = e["kind"], tids.get(_host(e) or "", jm)
        if kind in ("snapshot_sync_start", "alignment_start", "job_failing"):
            open_[(kind.rsplit("_", 1)[0], e.get("task"), e.get("checkpoint"))] = e["t"]
        elif kind == "snapshot_sync_end" and ("snapshot_sync", e["task"], e["checkpoint"]) in open_:
            t0 = open_.pop(("snapshot_sync", e["task"], e["checkpoint"]))
            yield from _async(f"snapshot {e['checkpoint']} (sync)", "snapshot", f"sync-{e['task']}-{e['checkpoint']}",
                              tid, t0, e["t"])
            open_[("snapshot_async", e["task"], e["checkpoint"])] = e["t"]
        elif kind == "snapshot_async_end" and ("snapshot_async", e["task"], e["checkpoint"]) in open_:
            t0 = open_.pop(("snapshot_async", e["task"], e["checkpoint"]))
            yield from _async(f"snapshot {e['checkpoint']} (async upload)", "snapshot",
                              f"async-{e['task']}-{e['checkpoint']}", tid, t0, e["t"])
        elif kind in ("alignment_end", "checkpoint_abort") and ("alignment", e.get("task"), e.get("checkpoint")) in open_:
            t0 = open_.pop(("alignment", e["task"], e["checkpoint"]))
            yield from _async(f"aligning {e['checkpoint']}", "alignment", f"align-{e['task']}-{e['checkpoint']}",
                              tid, t0, e["t"])
        elif kind in ("job_restart", "job_failed") and ("job", "jobmanager", None) in open_:
            yield from _async("job down", "failover", f"down-{e['t']}", jm, open_.pop(("job", "jobmanager", None)), e["t"])
        if kind in instants:
            name = f"{instants[kind]} {e.get('checkpoint') or ''}".strip()
            yield {"ph": "i", "s": "t", "name": name, "pid": PID, "tid": tid, "ts": _us(e["t"]),
                   "args": {k: v for k, v in e.items() if k in ("reason", "checkpoint", "attempt")}}
    for name, t in txn_phases([e for e in events if e["kind"].startswith(("txn_", "producer_"))], t_end).items():
        tid = tids.get(t["task"], jm)
        for k, (a, b, phase) in enumerate(t["phases"]):
            yield from _async(f"{name} {phase}", "transaction", f"{name}-{k}", tid, a, b)
        for when, what, text in t["marks"]:
            yield {"ph": "i", "s": "t", "name": f"{name} {what}", "pid": PID, "tid": tid, "ts": _us(when),
                   "args": {"detail": text}}


def _flows(events, tids) -> Iterator[dict]:
    """Records and barriers: a 1 us slice at each end and a flow from sender to receiver."""
    n = 0
    for e in events:
        kind = e["kind"]
        if kind in ("record_send", "barrier_send"):
            src, dst = tids.get(e["task"]), tids.get(e["to"])
            name = f"barrier {e['checkpoint']}" if kind == "barrier_send" else "record"
            t1 = e.get("arrive", e["t"])
        elif kind in ("cl_send", "cl_marker_send"):
            src, dst = tids.get(e["src"]), tids.get(e["dst"])
            name = f"marker {e['snapshot']}" if kind == "cl_marker_send" else f"{e['tokens']} token(s)"
            t1 = e.get("arrive", e["t"])
        else:
            continue
        if src is None or dst is None:
            continue
        n += 1
        cat = "barrier" if "marker" in kind or "barrier" in kind else "record"
        args = {"values": e["values"]} if e.get("values") else {}
        yield {"ph": "X", "name": f"send {name}", "cat": cat, "pid": PID, "tid": src, "ts": _us(e["t"]), "dur": 1,
               "args": args}
        yield {"ph": "s", "id": n, "name": name, "cat": cat, "pid": PID, "tid": src, "ts": _us(e["t"])}
        yield {"ph": "X", "name": f"receive {name}", "cat": cat, "pid": PID, "tid": dst, "ts": _us(t1), "dur": 1,
               "args": args}
        yield {"ph": "f", "bp": "e", "id": n, "name": name, "cat": cat, "pid": PID, "tid": dst, "ts": _us(t1)}


def shiviz_lines(trace) -> Iterator[str]:
    """The ShiViz log, line by line: regex, delimiter, then ``event`` / ``host {clock}`` pairs."""
    from .shiviz import vector_clock_events

    yield SHIVIZ_REGEX
    yield ""
    for host, clock, text in vector_clock_events(trace):
        yield text
        yield f"{host} {json.dumps(clock, separators=(',', ':'))}"


def write_export(trace, fmt: str, fp: IO[str]) -> None:
    """Write ``trace`` as ``perfetto`` JSON or a ``shiviz`` log to the open text file ``fp``."""
    if fmt == "perfetto":
        fp.write('{"displayTimeUnit":"ms","traceEvents":[\n')
        for i, event in enumerate(perfetto_events(trace)):
            fp.write((",\n" if i else "") + json.dumps(event, separators=(",", ":"), ensure_ascii=False))
        fp.write("\n]}\n")
    elif fmt == "shiviz":
        for line in shiviz_lines(trace):
            fp.write(line + "\n")
    else:
        raise ValueError(f"unknown export format {fmt!r}; expected perfetto or shiviz")
