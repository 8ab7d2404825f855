"""Metrics of a job run, read from its trace: readers' output, counts, checkpoint statistics, transactions, latency."""
from __future__ import annotations

import re
from collections import Counter
from operator import attrgetter, itemgetter, sub


__all__ = ["consumer_summaries", "added_summaries", "read_latency", "consumer_values", "consumer_reads", "final_counts", "checkpoints", "transactions", "restarts",
           "parse_count", "summary_counters"]

_COUNT = re.compile(r"^(?P<key>.*):::(?P<n>-?[0-9]+)$")


def parse_count(value):
    """``"hello:::2"`` -> ``("hello", 2)``; anything else -> None."""
    if isinstance(value, str):
        m = _COUNT.match(value)
        if m:
            return m.group("key"), int(m.group("n"))
    return None


def _parse_counts(values) -> list:
    """``parse_count`` of each value, fast for the common ``key:::n`` strings."""
    out = []
    append = out.append
    for v in values:
        # NOTE: the text after the last ':::' must be an ASCII integer, as _COUNT's greedy key
        # leaves it (an earlier ':::' cannot match: the tail would hold the later one); a value
        # with a newline ('.' and '$' treat it specially) goes through the pattern
        if type(v) is str and "\n" not in v:
            key, sep, n = v.rpartition(":::")
            append((key, int(n)) if sep and n.isascii() and (n.isdigit() or (n[:1] == "-" and n[1:].isdigit()))
                   else None)
        else:
            append(parse_count(v))
    return out


_VALUE, _CONSUMER, _ISOLATION, _T, _ORIGIN = (attrgetter(f) for f in ("value", "consumer", "isolation", "t", "origin"))


def consumer_reads(trace, name: str) -> list[dict]:
    """The ``consumer_read`` events of reader ``name``, in order."""
    reads = trace.of("consumer_read")
    if set(map(_CONSUMER, reads)) <= {name}:              # one reader (the common case): all of them
        return reads
    return [e for e in reads if e.consumer == name]


def consumer_values(trace, hidden: bool = False) -> dict[str, list]:
    """``{consumer: [value, ...]}`` in reading order (names starting with ``_`` unless ``hidden``).

    NOTE: readers are listed as ``run_start`` declares them, then in the order of their first read
    (the runtime writes ``run_start`` before any read).
    """
    out: dict[str, list] = {}
    for e in trace.of("run_start"):
        for c in e.get("consumers", []):
            if hidden or not c["name"].startswith("_"):
                out[c["name"]] = []
    reads = trace.of("consumer_read")
    names = dict.fromkeys(map(_CONSUMER, reads))
    for name in names:
        if hidden or not name.startswith("_"):
            out.setdefault(name, []).extend(map(_VALUE, reads if len(names) == 1 else
                                                 [e for e in reads if e.consumer == name]))
    return out


def checker_consumer(trace) -> str | None:
    """The read_committed reader of a sink topic the checker judges: a declared one, else ``_checker``."""
    names, elsewhere = [], set()
    for e in trace.of("run_start"):
        # NOTE: a consumer may read any topic; a reader of another topic than the job's output
        # (an input topic, say) is never judged
        output = (e.get("topics") or {}).get("output")
        for c in e.get("consumers", []):
            if output is not None and c["topic"] not in output:
                elsewhere.add(c["name"])
            elif c["isolation"] == "read_committed":
                names.append(c["name"])
    declared = [n for n in names if not n.startswith("_")]
    if declared:                         # the run's readers come first: no read can change the choice
        return declared[0]
    reads = trace.of("consumer_read")
    for name, isolation in dict.fromkeys(zip(map(_CONSUMER, reads), map(_ISOLATION, reads))):  # in order of first read
        if isolation == "read_committed" and name not in names and name not in elsewhere:
            names.append(name)
    for e in trace.of("consumer_summary"):
        if e["isolation"] == "read_committed" and e["consumer"] not in names and e["consumer"] not in elsewhere:
            names.append(e["consumer"])
    declared = [n for n in names if not n.startswith("_")]
    return declared[0] if declared else ("_checker" if "_checker" in names else None)


def final_counts(values) -> dict:
    """Word-count results as a table fed by the topic holds them: ``{key: last n read}``.

    Values of the form ``key:::n`` upsert their key (the last one read wins, as in a compacted
    topic or a keyed table downstream); other values are counted.
    """
    out: dict = {}
    get = out.get
    for v in values:
        if type(v) is str and "\n" not in v:            # _parse_counts' fast path, in this one loop
            key, sep, n = v.rpartition(":::")
            if sep and n.isascii() and (n.isdigit() or (n[:1] == "-" and n[1:].isdigit())):
                out[key] = int(n)
            else:
                out[v] = get(v, 0) + 1
            continue
        parsed = parse_count(v)
        if parsed:
            out[parsed[0]] = parsed[1]
        else:
            out[v] = get(v, 0) + 1
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
    # records appended per transaction (control and full traces), counted apart: appends touch nothing else
    written = Counter(map(attrgetter("txn"), trace.of("kafka_append")))
    written.pop(None, None)
    written.pop("", None)
    for e in trace.of("txn_begin", "txn_precommit", "txn_commit", "txn_abort", "txn_timeout", "commit_discarded"):
        kind = e["kind"]
        if kind == "txn_begin":
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
    """Per reader, in ms: ``mean``/``max``/``min`` from the record's append to the read (a sink's
    or a producer's ``kafka_append``; an input record written ahead of time has none, its read
    names its append time as its own origin), and ``end_to_end_mean``/``end_to_end_max`` from the
    input record's write to the read."""
    # NOTE: loops over every write and read of a control trace: attributes, not e["..."]; the
    # appends' times are kept per partition by offset (no key tuple per record: a million of them
    # took ~130 MB); the end-to-end differences are columns (operator.sub over attribute getters,
    # in C); both keep the reading order, so the sums are the same floats as one loop's
    written: dict = {}                                 # (topic, partition) -> {offset: append time}
    for e in trace.of("kafka_append"):
        table = written.get((e.topic, e.partition))
        if table is None:
            table = written[(e.topic, e.partition)] = {}
        table[e.offset] = e.t
    reads = trace.of("consumer_read")
    out = {}
    names = dict.fromkeys(map(_CONSUMER, reads))
    for name in names:
        if name.startswith("_"):                       # hidden readers are not reported
            continue
        mine = reads if len(names) == 1 else [e for e in reads if e.consumer == name]
        v = []
        append, nowhere = v.append, {}
        for e in mine:
            t = written.get((e.topic, e.partition), nowhere).get(e.offset)
            if t is None:
                t = _own_append(e)
            if t is not None:
                append(e.t - t)
        w = _since_input(mine)
        if v:
            out[name] = {"mean": sum(v) / len(v), "max": max(v), "min": min(v), "reads": len(v),
                         "end_to_end_mean": sum(w) / len(w) if w else None, "end_to_end_max": max(w) if w else None}
    return out


def _own_append(read):
    """The append time of an input record read without a ``kafka_append`` (its origin is itself), or None."""
    o = read.origin
    return o[3] if o and len(o) > 3 and (o[0], o[1], o[2]) == (read.topic, read.partition, read.offset) else None


def _since_input(reads: list) -> list:
    """Each read's time since its input record's append (``Provenance.time``, item 3), where known."""
    try:                                               # every read has its input's time
        return list(map(sub, map(_T, reads), map(itemgetter(3), map(_ORIGIN, reads))))
    except (TypeError, IndexError):                    # an empty or short provenance, or no time
        return [e.t - o[3] for e, o in zip(reads, map(_ORIGIN, reads)) if o and len(o) > 3 and o[3] is not None]


def consumer_summaries(trace) -> dict[str, dict]:
    """``{consumer: {count, digest, final_counts, isolation}}`` of a summary trace.

    NOTE: one name may sum up several readers: the checker adds a ``_checker`` on each sink topic
    that no declared read_committed consumer reads (``runtime.readers.consumer_specs``), so a job
    with two sink topics has two ``consumer_summary`` events of that name: they are added up
    (:func:`added_summaries`), never one taken for both."""
    by_name: dict[str, list] = {}
    for e in trace.of("consumer_summary"):
        by_name.setdefault(e["consumer"], []).append(e)
    return {name: events[0] if len(events) == 1 else {**events[0], **added_summaries(events)}
            for name, events in by_name.items()}


def added_summaries(summaries) -> dict:
    """``{count, digest, final_counts}`` of several readers' summaries, in order: counts and
    digests add (the digest is a sum of CRCs, kept to 64 bits), a later reader's last n per key wins."""
    total = {"count": 0, "digest": 0, "final_counts": {}}
    for e in summaries:
        total["count"] += e["count"]
        total["digest"] = (total["digest"] + e["digest"]) & ((1 << 64) - 1)
        total["final_counts"].update(e["final_counts"])
    return total
