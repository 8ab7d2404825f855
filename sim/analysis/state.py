"""The state of a run at an instant, rebuilt from its trace alone (the step-through player's model).

A :class:`Timeline` replays a trace's events in time order (stable: events at the same time keep
their trace order) and answers "what did the system look like at time t?":

* per subtask: what sits in each input channel, in order (records and barriers, in flight or
  arrived), which channels are blocked, the alignment in progress and its buffer, the snapshot in
  progress, the operator's last known state, a source's read position, a sink's open and pending
  transactions;
* per Kafka partition: the high watermark, the last stable offset, the open transactions and the
  last entries (records and control markers);
* the checkpoints in progress (who acknowledged, who is awaited), the job's status and attempt,
  what each reader has read, what the last failure dropped and what the last restore replayed.

A ``control`` trace has no record hops and a ``summary`` trace has no task events: the state then
says so in ``notes`` instead of showing empty channels as if they were empty.
"""
from __future__ import annotations

import bisect
import copy

from .describe import describe
from .state_tasks import TaskBook, task_names

__all__ = ["Timeline", "MOMENT_KINDS", "state_at", "describe"]

#: kinds of moments a player can step to -> the trace kinds that make them
MOMENT_KINDS = {
    "barrier": ("barrier_receive",),
    "snapshot": ("snapshot_sync_start",),
    "crash": ("task_crash", "job_failing", "job_failed"),
    "restore": ("job_restart",),
    "commit": ("txn_commit", "checkpoint_complete"),
}

_NOTES = {
    "control": "control trace: record hops are not kept, so channels show barriers only and an "
               "operator's state is known only at snapshots and restores",
    "summary": "summary trace: only checkpoints, transactions, faults and restarts are kept; "
               "channels, barriers and operator state are not shown",
}
_TASK_KINDS = {"record_send", "record_receive", "record_process", "record_buffered", "buffer_persisted",
               "output_persisted", "source_offset_reset", "barrier_send", "barrier_receive", "cancel_marker",
               "alignment_start", "alignment_end", "channel_block", "channel_unblock", "end_of_partition",
               "inflight_restore", "snapshot_sync_start", "snapshot_sync_end", "snapshot_async_end", "state_restore", "task_crash",
               "job_restart"}
_ENTRIES = 8     # last entries of a partition shown
_READS = 50      # last values of a reader shown
_VALUES = 20     # values of a transaction kept


def state_at(trace, t: float) -> dict:
    """The state of the run at time ``t`` (every event with time <= t has happened)."""
    return Timeline(trace).at(t)


class Timeline:
    """Replays a trace in time order; :meth:`at` and :meth:`states` give the state at instants."""

    def __init__(self, trace) -> None:
        events = [e for e in trace if e["kind"] != "summary"]
        self.events = sorted(events, key=lambda e: e["t"])       # stable: same-time order is kept
        self.times = sorted({e["t"] for e in self.events})
        self.start = next((e for e in self.events if e["kind"] == "run_start"), {})
        self.level = self.start.get("level") or getattr(trace, "level", "full")

    def at(self, t: float) -> dict:
        """The state at time ``t``."""
        return self.states([t])[0]

    def states(self, times) -> list[dict]:
        """The states at each of ``times`` (ascending), computed in one pass over the events."""
        world, out, i = _World(self.events, self.start, self.level), [], 0
        for t in times:
            while i < len(self.events) and self.events[i]["t"] <= t:
                world.apply(self.events[i])
                i += 1
            out.append(world.view(t))
        return out

    def pick(self, n: int) -> list[float]:
        """At most ``n`` event instants worth showing: every crash and restore, the other moments
        (thinned evenly if too many), then evenly spaced instants to fill up."""
        times = self.moment_times()
        must = sorted(set(times["crash"]) | set(times["restore"]))[:n]
        other = sorted({t for ts in times.values() for t in ts} - set(must))
        chosen = set(must) | set(_evenly(other, n - len(must)))
        spare = [t for t in self.times if t not in chosen]
        return sorted(chosen | set(_evenly(spare, n - len(chosen))))

    def moment_times(self) -> dict[str, list[float]]:
        """Per kind of :data:`MOMENT_KINDS`, its distinct instants in order."""
        return {kind: sorted({m["t"] for m in self.moments(kind)}) for kind in MOMENT_KINDS}

    def moments(self, kind: str) -> list[dict]:
        """The instants of one kind of moment (``MOMENT_KINDS`` or ``event``), each with a label."""
        if kind != "event" and kind not in MOMENT_KINDS:
            raise ValueError(f"unknown moment kind {kind!r}; expected one of {sorted(MOMENT_KINDS) + ['event']}")
        kinds = MOMENT_KINDS.get(kind)
        return [{"t": e["t"], "kind": e["kind"], "task": e.get("task"), "label": describe(e)} for e in self.events
                if kinds is None or e["kind"] in kinds]


class _World:
    """The mutable state during a replay; :meth:`view` copies it out as a JSON-ready dict."""

    def __init__(self, events, start: dict, level: str) -> None:
        self.level, self.t = level, 0.0
        self.book = TaskBook(events, start, level)
        self.names = task_names(start)
        self.partitions: dict[str, dict] = {}
        self.inputs = _input_writes(events)
        for key in self.inputs:
            topic, _, part = key.rpartition("-")
            self._partition(topic, int(part), "input")
        self.txns: dict[str, dict] = {}
        self.checkpoints: dict[int, dict] = {}
        self.job = {"status": "running", "attempt": 1}
        self.readers = {c["name"]: {"isolation": c.get("isolation"), "topic": c.get("topic"), "read": []}
                        for c in start.get("consumers", []) if not c["name"].startswith("_")}
        self.failure = self.restore = None
        self.high: dict[str, int] = {}             # per input partition: highest offset read so far
        self.high_at_restart: dict[str, int] = {}

    # --- dispatch ---
    def apply(self, e: dict) -> None:
        self.t = e["t"]
        k = e["kind"]
        if k in _TASK_KINDS and hasattr(self.book, k):
            getattr(self.book, k)(e)
        handler = getattr(self, "on_" + k, None)
        if handler is not None:
            handler(e)

    # --- sources and replay ---
    def on_source_read(self, e) -> None:
        replay = False
        for topic, part, offset, *_ in e.get("origins") or []:
            key = f"{topic}-{part}"
            replay = replay or offset < self.high_at_restart.get(key, 0)
            self.high[key] = max(self.high.get(key, 0), offset + 1)
        self.book.source_read(e)
        self.book.mark_replay(e["task"], replay)

    def on_source_offset_reset(self, e) -> None:
        if self.restore is not None:
            self.restore["offsets"][f"{e['topic']}-{e['partition']}"] = e["offset"]

    # --- Kafka ---
    def _partition(self, topic: str, part: int, role: str) -> dict:
        key = f"{topic}-{part}"
        if key not in self.partitions:
            self.partitions[key] = {"topic": topic, "partition": part, "role": role, "hw": 0, "open": {},
                                    "entries": []}
        return self.partitions[key]

    def on_kafka_append(self, e) -> None:
        p = self._partition(e["topic"], e["partition"], "output")
        p["hw"] = max(p["hw"], e["offset"] + 1)
        if e.get("txn") and e["txn"] not in p["open"]:
            p["open"][e["txn"]] = e["offset"]
        p["entries"].append({"offset": e["offset"], "value": e.get("value"), "txn": e.get("txn")})
        txn = self.txns.get(e.get("txn"))
        if txn is not None:
            txn["records"] += 1
            if len(txn["values"]) < _VALUES:
                txn["values"].append(e.get("value"))

    def _end_txn(self, txn_id: str, status: str, t: float) -> None:
        """Close a transaction; every partition it wrote gets a control marker (docs/connectors.md)."""
        # NOTE: kafka/log.py Partition.end_transaction writes a marker only where the
        # transaction wrote, at the partition's end offset; the trace has no marker event.
        for p in self.partitions.values():
            if txn_id in p["open"]:
                del p["open"][txn_id]
                p["entries"].append({"offset": p["hw"], "marker": "COMMIT" if status == "committed" else "ABORT",
                                     "txn": txn_id})
                p["hw"] += 1
        txn = self.txns.get(txn_id)
        if txn is not None:
            txn["status"], txn["ended"] = status, t

    # --- transactions ---
    def on_txn_begin(self, e) -> None:
        self.txns[e["txn"]] = {"txn": e["txn"], "task": e.get("task"), "status": "open", "since": e["t"],
                               "checkpoint": None, "records": 0, "values": [], "ended": None}

    def on_txn_precommit(self, e) -> None:
        txn = self.txns.get(e["txn"])
        if txn is not None:
            txn["status"], txn["checkpoint"] = "pre-committed", e.get("checkpoint")

    def on_txn_commit(self, e) -> None:
        self._end_txn(e["txn"], "committed", e["t"])

    def on_txn_abort(self, e) -> None:
        self._end_txn(e["txn"], "aborted", e["t"])
        if self.restore is not None and self.restore["t"] == e["t"]:
            self.restore["aborted"].append({"txn": e["txn"], "records": e.get("records"), "cause": e.get("cause")})

    def on_record_process(self, e) -> None:
        task = self.book.tasks.get(e.get("task"))
        if self.restore is not None and task is not None and not task["channels"] and e["task"] in self.book.replaying:
            self.restore["replayed"].extend(e.get("values") or [])

    def on_txn_timeout(self, e) -> None:
        self._end_txn(e["txn"], "aborted", e["t"])
        self.txns.get(e["txn"], {})["cause"] = "broker timeout"

    def on_producer_fenced(self, e) -> None:
        txn = self.txns.get(e.get("txn"))
        if txn is not None:
            txn["fenced"] = e["t"]

    # --- checkpoints ---
    def on_checkpoint_trigger(self, e) -> None:
        self.checkpoints[e["checkpoint"]] = {"id": e["checkpoint"], "status": "in progress", "trigger": e["t"],
                                             "acked": [], "reason": None}

    def on_checkpoint_ack(self, e) -> None:
        cp = self.checkpoints.get(e["checkpoint"])
        if cp is not None:
            cp["acked"].append(e["task"])

    def on_checkpoint_complete(self, e) -> None:
        if e["checkpoint"] in self.checkpoints:
            self.checkpoints[e["checkpoint"]].update(status="completed", ended=e["t"])

    def on_checkpoint_abort(self, e) -> None:
        cp = self.checkpoints.get(e["checkpoint"])
        if cp is not None and cp["status"] == "in progress" and e.get("task") in (None, "jobmanager"):
            cp.update(status="aborted", reason=e.get("reason"), ended=e["t"])

    # --- job ---
    def on_job_failing(self, e) -> None:
        """The failed tasks' region goes down: what it held in flight, its uncommitted output and
        its operator state are recorded as they were (the view of "what was lost")."""
        down = set(e.get("restarted") or self.book.tasks)
        crashed = [t["name"] for t in self.book.tasks.values() if t["status"] == "crashed"]
        self.job = {"status": "failing over", "attempt": e.get("attempt", self.job["attempt"])}
        open_txns = [dict(x, values=list(x["values"])) for x in self.txns.values()
                     if x["status"] in ("open", "pre-committed") and x["task"] in down]
        if self.level == "summary":                  # no kafka_append: the record counts are unknown
            open_txns = [dict(x, records=None) for x in open_txns]
        states = {t["name"]: dict(t["state"]) for t in self.book.tasks.values()
                  if t["name"] in self.book.keyed and t["name"] in down and t["state"] is not None} \
            if self.level == "full" else None
        self.failure = {"t": e["t"], "reason": e.get("reason"), "crashed": crashed, "states": states,
                        "dropped": self.book.job_failing(e), "open_txns": open_txns, "restarted": sorted(down)}
        for cp in self.checkpoints.values():
            if cp["status"] == "in progress":
                cp.update(status="aborted", reason="job failing", ended=e["t"])

    def on_job_restart(self, e) -> None:
        self.job = {"status": "running", "attempt": e.get("attempt")}
        self.high_at_restart = dict(self.high)
        self.restore = {"t": e["t"], "attempt": e.get("attempt"), "checkpoint": e.get("checkpoint"),
                        "offsets": {}, "states": {}, "aborted": [], "replayed": []}

    def on_state_restore(self, e) -> None:
        if self.restore is not None:
            self.restore["states"][e["task"]] = e.get("state")

    def on_job_failed(self, e) -> None:
        self.job = {"status": "failed", "attempt": self.job["attempt"], "reason": e.get("reason")}

    def on_run_end(self, e) -> None:
        if self.job["status"] != "failed":
            self.job = dict(self.job, status="finished", reason=e.get("reason"))

    def on_consumer_read(self, e) -> None:
        reader = self.readers.get(e["consumer"])
        if reader is not None:
            reader["read"].append(e.get("value"))

    # --- the view ---
    def view(self, t: float) -> dict:
        """A JSON-ready copy of the state at ``t``."""
        return {"t": t, "level": self.level, "notes": [_NOTES[self.level]] if self.level in _NOTES else [],
                "job": dict(self.job), "tasks": self._tasks_view(t), "partitions": self._partitions_view(t),
                "checkpoints": self._checkpoints_view(), "transactions": copy.deepcopy(list(self.txns.values())),
                "readers": self._readers_view(),
                "failure": copy.deepcopy(self.failure), "restore": copy.deepcopy(self.restore)}

    def _tasks_view(self, t: float) -> list[dict]:
        out = []
        for task in self.book.tasks.values():
            v = copy.deepcopy(task)
            v["channels"] = list(v["channels"].values())
            for ch in v["channels"]:
                for item in ch["items"]:
                    item["arrived"] = item["arrive"] <= t
            v["blocked"] = any(ch["blocked"] for ch in v["channels"])
            v["open_txn"] = next((x["txn"] for x in self.txns.values()
                                  if x["task"] == task["name"] and x["status"] == "open"), None)
            v["pending_txns"] = [x["txn"] for x in self.txns.values()
                                 if x["task"] == task["name"] and x["status"] == "pre-committed"]
            out.append(v)
        order = {n: i for i, n in enumerate(self.names)}
        return sorted(out, key=lambda v: order.get(v["name"], len(order)))

    def _partitions_view(self, t: float) -> list[dict]:
        out = []
        for key, p in self.partitions.items():
            v = {k: p[k] for k in ("topic", "partition", "role", "hw")}
            if p["role"] == "input":
                writes = self.inputs[key]
                v["hw"] = max(writes[:bisect.bisect_right(writes, (t, float("inf")))], default=(0, -1))[1] + 1
                v["note"] = "input records are known from the reads of the sources"
            v["lso"] = min(p["open"].values(), default=v["hw"])
            v["open"] = sorted(p["open"])
            v["entries"] = copy.deepcopy(p["entries"][-_ENTRIES:])
            out.append(v)
        return out

    def _readers_view(self) -> dict:
        """Per reader: how many values it read and the last ones (a long run reads millions)."""
        return {name: {"isolation": r["isolation"], "topic": r["topic"], "count": len(r["read"]),
                       "read": r["read"][-_READS:]} for name, r in self.readers.items()}

    def _checkpoints_view(self) -> list[dict]:
        out = []
        for cp in self.checkpoints.values():
            v = copy.deepcopy(cp)
            v["waiting"] = [n for n in self.names if n not in cp["acked"]] if cp["status"] == "in progress" else []
            out.append(v)
        return out


def _evenly(values: list, n: int) -> list:
    """``n`` values spread evenly over ``values`` (all of them if there are no more than ``n``)."""
    if n <= 0:
        return []
    if len(values) <= n:
        return list(values)
    return [values[int(i * len(values) / n)] for i in range(n)]


def _input_writes(events) -> dict[str, list[tuple[float, int]]]:
    """Per input partition, the (write time, offset) of every record a source read, sorted."""
    writes: dict[str, set] = {}
    for e in events:
        if e["kind"] == "source_read":
            for topic, part, offset, *rest in e.get("origins") or []:
                writes.setdefault(f"{topic}-{part}", set()).add((rest[0] if rest else 0.0, offset))
    return {k: sorted(v) for k, v in writes.items()}
