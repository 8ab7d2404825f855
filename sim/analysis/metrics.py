"""Metrics of a job run, read from its trace: readers' output, counts, checkpoint statistics, transactions, latency."""
from __future__ import annotations

import re


__all__ = ["consumer_summaries", "read_latency", "consumer_values", "consumer_reads", "final_counts", "checkpoints", "transactions", "restarts",
           "parse_count", "summary_counters"]

_COUNT = re.compile(r"^(?P<key>.*):::(?P<n>-?[0-9]+)$")


def parse_count(value):
    """``"hello:::2"`` -> ``("hello", 2)``; anything else -> None."""
    if isinstance(value, str):
        m = _COUNT.match(value)
        if m:
            return m.group("key"), int(m.group("n"))
    return None


def consumer_reads(trace, name: str) -> list[dict]:
    return [e for e in trace.of("consumer_read") if e["consumer"] == name]


def consumer_values(trace, hidden: bool = False) -> dict[str, list]:
    """``{consumer: [value, ...]}`` in reading order (names starting with ``_`` unless ``hidden``)."""
    out: dict[str, list] = {}
    for e in trace.of("run_start", "consumer_read"):
        if e["kind"] == "run_start":
            for c in e.get("consumers", []):
                if hidden or not c["name"].startswith("_"):
                    out[c["name"]] = []
        elif hidden or not e["consumer"].startswith("_"):
            out.setdefault(e["consumer"], []).append(e["value"])
    return out


def checker_consumer(trace) -> str | None:
    """The read_committed reader the checker judges: a declared one, else ``_checker``."""
    names = []
    for e in trace.of("run_start", "consumer_read"):
        if e["kind"] == "run_start":
            names += [c["name"] for c in e.get("consumers", []) if c["isolation"] == "read_committed"]
        elif e["isolation"] == "read_committed" and e["consumer"] not in names:
            names.append(e["consumer"])
    for e in trace.of("consumer_summary"):
        if e["isolation"] == "read_committed" and e["consumer"] not in names:
            names.append(e["consumer"])
    declared = [n for n in names if not n.startswith("_")]
    return declared[0] if declared else ("_checker" if "_checker" in names else None)


def final_counts(values) -> dict:
    """Word-count results as a table fed by the topic holds them: ``{key: last n read}``.

    Values of the form ``key:::n`` upsert their key (the last one read wins, as in a compacted
    topic or a keyed table downstream); other values are counted.
    """
    out: dict = {}
    for v in values:
        parsed = parse_count(v)
        if parsed:
            out[parsed[0]] = parsed[1]
        else:
            out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: str(kv[0])))


def checkpoints(trace) -> list[dict]:
    """One entry per triggered checkpoint, with Flink's statistic names; with ``lifecycle:``
    submissions, each submission's checkpoints in turn (``submission``: 1 for the first run; a
    submission without state counts its ids from 1 again)."""
    out, segment, submission = [], [], 1
    for e in trace.of("checkpoint_trigger", "checkpoint_complete", "checkpoint_abort", "job_submit"):
        if e["kind"] == "job_submit":
            if not e.get("error"):
                out += _checkpoints_of(segment, submission)
                segment, submission = [], e["submission"]
        elif e.get("task") == "jobmanager":
            segment.append(e)
    return out + _checkpoints_of(segment, submission)


def _checkpoints_of(events: list, submission: int) -> list[dict]:
    by_id: dict[int, dict] = {}
    for e in events:
        kind = e["kind"]
        if kind == "checkpoint_trigger":
            by_id[e["checkpoint"]] = {"id": e["checkpoint"], "status": "pending", "reason": None,
                                      "trigger_time": e["t"], "end_to_end_duration": None,
                                      "alignment_duration": None, "start_delay": None, "sync_duration": None,
                                      "async_duration": None, "checkpointed_size": None,
                                      "processed_in_flight": None, "persisted_in_flight": None,
                                      "savepoint": e.get("savepoint"), "submission": submission}
        elif kind == "checkpoint_complete" and e["checkpoint"] in by_id:
            entry = by_id[e["checkpoint"]]
            entry["status"] = "completed"
            entry["completion_time"] = e["t"]
            entry.update({k: v for k, v in e["stats"].items() if k != "tasks"})
        elif kind == "checkpoint_abort" and e["checkpoint"] in by_id:
            entry = by_id[e["checkpoint"]]
            reason = e["reason"]
            entry["status"] = reason if reason in ("expired", "declined") else "aborted"
            entry["reason"] = reason
            entry["end_to_end_duration"] = e["t"] - entry["trigger_time"]
    # completion of k subsumes pending older ones
    completed = [c["id"] for c in by_id.values() if c["status"] == "completed"]
    for c in by_id.values():
        if c["status"] == "pending" and any(k > c["id"] for k in completed):
            c["status"], c["reason"] = "aborted", "subsumed"
    return [by_id[k] for k in sorted(by_id)]


def transactions(trace) -> list[dict]:
    """Every sink transaction: its checkpoint, final status, records, and why it ended."""
    by_id: dict[str, dict] = {}
    written: dict = {}                   # records appended per transaction (control and full traces)
    for e in trace.of("kafka_append", "txn_begin", "txn_precommit", "txn_commit", "txn_abort", "txn_timeout",
                      "commit_discarded"):
        kind = e["kind"]
        if kind == "kafka_append" and e.get("txn"):
            written[e["txn"]] = written.get(e["txn"], 0) + 1
        elif kind == "txn_begin":
            by_id[e["txn"]] = {"id": e["txn"], "task": e.get("task"), "transactional_id": e["transactional_id"],
                               "implementation": e.get("implementation"),
                               "checkpoint": None, "status": "open", "records": 0, "began": e["t"],
                               "ended": None, "cause": ""}
        elif e.get("txn") in by_id:
            entry = by_id[e["txn"]]
            if kind == "txn_precommit":
                entry["checkpoint"], entry["records"], entry["precommitted"] = e["checkpoint"], e["records"], e["t"]
            elif kind == "txn_commit":
                entry.update(status="committed", ended=e["t"], records=e["records"], cause=e["cause"])
            elif kind in ("txn_abort", "txn_timeout"):
                entry.update(status="aborted", ended=e["t"], records=e["records"],
                             cause="timed out" if kind == "txn_timeout" else e["cause"])
                if kind == "txn_timeout":
                    entry["timed_out"] = True
            elif kind == "commit_discarded":
                entry.update(discarded=e["t"], discard_error=e["error"])
    if written:
        # NOTE: the records appended are the truth; a commit on recovery knows only what was restored
        for entry in by_id.values():
            entry["records"] = written.get(entry["id"], 0)
    return list(by_id.values())


def restarts(trace) -> int:
    return len(trace.of("job_restart"))


def summary_counters(trace) -> dict:
    summaries = trace.of("summary")
    return summaries[-1]["counters"] if summaries else dict(trace.counters)


def read_latency(trace) -> dict[str, dict]:
    """Per reader, in ms: ``mean``/``max``/``min`` from the sink's write to the read, and
    ``end_to_end_mean``/``end_to_end_max`` from the input record's write to the read."""
    # NOTE: trace events also read as attributes (TraceEvent), faster than e["..."] in these
    # loops over every write and read of a control trace
    written = {(e.topic, e.partition, e.offset): e.t for e in trace.of("kafka_append")}
    out: dict[str, tuple[list, list]] = {}
    for e in trace.of("consumer_read"):
        if not e.consumer.startswith("_"):           # hidden readers are not reported
            lat, e2e = out.setdefault(e.consumer, ([], []))
            t = written.get((e.topic, e.partition, e.offset))
            if t is not None:
                lat.append(e.t - t)
            origin = e.get("origin")
            if origin and len(origin) > 3 and origin[3] is not None:      # Provenance.time
                e2e.append(e.t - origin[3])
    return {name: {"mean": sum(v) / len(v), "max": max(v), "min": min(v), "reads": len(v),
                   "end_to_end_mean": sum(w) / len(w) if w else None, "end_to_end_max": max(w) if w else None}
            for name, (v, w) in out.items() if not name.startswith("_") and v}


def consumer_summaries(trace) -> dict[str, dict]:
    """``{consumer: {count, digest, final_counts, isolation}}`` of a summary trace."""
    return {e["consumer"]: e for e in trace.of("consumer_summary")}
