"""The task side of the state at an instant: input channels, alignment, snapshots, operator state.

:class:`TaskBook` replays the task events of a trace (record and barrier sends and receipts,
blocking, buffering, snapshots, crashes, restores) and keeps, per subtask, what sits in each input
channel in order, which channels are blocked, what the alignment buffer holds and the operator's
last known state. It reads trace events only; :mod:`sim.analysis.state` drives it in time order.
"""
from __future__ import annotations

import re

__all__ = ["TaskBook", "task_names"]



_SINCE = ", plus the records counted since"


def task_names(start: dict) -> list[str]:
    """Subtask names from ``run_start.tasks`` (plain names, or dicts with a ``name``)."""
    return [t["name"] if isinstance(t, dict) else t for t in start.get("tasks") or []]


def _label(values) -> str:
    """A short text for a buffer's values: ``hello`` or ``hello, world`` or ``(hello, 1)``."""
    def one(v):
        return "(" + ", ".join(str(x) for x in v) + ")" if isinstance(v, list) else str(v)
    return ", ".join(one(v) for v in values or [])


def task_operators(start: dict) -> dict[str, list[str]]:
    """Task name -> its chained operators (older traces name one operator: ``split[1]``)."""
    out = {}
    for t in start.get("tasks") or []:
        if isinstance(t, dict):
            out[t["name"]] = list(t.get("operators") or [])
        else:
            match = re.match(r"^(?P<op>.+)\[(?P<i>[0-9]+)\]$", t)
            out[t] = [match["op"] if match else t]
    return out


def by_operator(state, operators: list[str], per_operator: bool) -> dict:
    """A snapshot's state per operator: traces that list tasks with their operators write
    ``{operator: state}`` (or null); older traces wrote the one operator's state as it is."""
    if per_operator:
        return state if isinstance(state, dict) else {}
    return {operators[0]: state} if operators else {}


def _keyed_operators(events, ops: dict[str, list[str]], per_operator: bool) -> dict[str, list[str]]:
    """Per task, its operators holding keyed state: a table of keys in a snapshot or a restore.

    NOTE: whether an operator is keyed is a property of the job, not of the instant, so it is read
    from the whole trace. A source's offsets (the head of a task no channel feeds) and a sink's
    transactions (``pending`` / ``open``) are shown in their own fields.
    """
    fed = {e["to"] for e in events if e["kind"] in ("record_send", "barrier_send") and e.get("to")}
    keyed: dict[str, list[str]] = {}
    for e in events:
        if e["kind"] not in ("snapshot_sync_start", "state_restore") or e.get("task") not in ops:
            continue
        for k, (op, state) in enumerate(by_operator(e.get("state"), ops[e["task"]], per_operator).items()):
            source = k == 0 and e["task"] not in fed
            if isinstance(state, dict) and not source and not {"pending", "open"} & set(state):
                keyed.setdefault(e["task"], [])
                if op not in keyed[e["task"]]:
                    keyed[e["task"]].append(op)
    return keyed


def _is_pairs(values) -> bool:
    return bool(values) and all(isinstance(v, list) and len(v) == 2 and isinstance(v[1], int)
                                and not isinstance(v[1], bool) for v in values)


class TaskBook:
    """Per-subtask state rebuilt from trace events (see the module docstring)."""

    def __init__(self, events, start: dict, level: str = "full") -> None:
        self.ops = task_operators(start)
        self.per_operator = any(isinstance(t, dict) for t in start.get("tasks") or [])
        # NOTE: below the full level, record hops are missing: a keyed state is then known only at
        # snapshots and restores, and a source's read position not at all (never guessed).
        self.full = level == "full"
        self.level = level
        self.tasks: dict[str, dict] = {}
        self.keyed = _keyed_operators(events, self.ops, self.per_operator)
        for name in task_names(start):
            self._task(name)
        # NOTE: the topology is static, so every channel a trace ever names is shown from the start
        # (empty until something is sent on it); this is not knowledge of the future, only of wiring.
        for e in events:
            if e["kind"] in ("record_send", "barrier_send") and e.get("to"):
                self._channel(e["to"], e["channel"], e["task"])
        self.replaying: set[str] = set()        # tasks whose current output descends from a replay
        self.persisted: dict[tuple, list] = {}   # (checkpoint, channel) -> values of its channel state
        self.persisted_out: dict[tuple, list] = {}   # the same, kept by the sender (restored after those)
        self.down: set[str] = set()               # the tasks failed over and not restarted yet

    # --- structure ---
    def _task(self, name: str) -> dict:
        task = self.tasks.get(name)
        if task is None:
            match = re.match(r"^(?P<op>.+)\[(?P<i>[0-9]+)\]$", name)
            task = self.tasks[name] = {
                "name": name, "operators": self.ops.get(name) or [match["op"] if match else name],
                "status": "running", "reason": None, "channels": {}, "alignment": None, "buffered": [],
                "snapshot": None, "state": self._empty(name),
                "state_source": None if name not in self.keyed else "empty at start" if self.full
                else f"not known before the first snapshot ({self.level} trace)",
                "in_hand": None, "position": {}, "processed": 0}
        return task

    def _channel(self, dst: str, name: str, src: str) -> dict:
        chans = self._task(dst)["channels"]
        if name not in chans:
            chans[name] = {"name": name, "from": src, "blocked": False, "items": []}
        return chans[name]

    # --- records ---
    def record_send(self, e) -> None:
        ch = self._channel(e["to"], e["channel"], e["task"])
        ch["items"].append({"kind": "record", "label": _label(e.get("values")), "values": e.get("values"),
                            "n": e.get("n", 1), "sent": e["t"], "arrive": e.get("arrive", e["t"]),
                            "replay": e["task"] in self.replaying})

    def _empty(self, name: str):
        """A keyed task's state at a (re)start: empty tables (unknown below the full level)."""
        return {op: {} for op in self.keyed[name]} if name in self.keyed and self.full else None

    def _count(self, task: dict, values) -> None:
        """A keyed operator at the head of the chain counted the (key, n) pairs it processed.

        NOTE: keyed_sum is the only keyed operator; its input is hash-partitioned, so it always
        heads its task's chain, and the values a task processed are that operator's input.
        """
        head = task["operators"][0]
        if task["state"] is None or head not in task["state"] or not _is_pairs(values):
            return
        table = task["state"][head]
        for key, n in values:
            table[str(key)] = table.get(str(key), 0) + n
        base = task["state_source"] or "empty at start"
        task["state_source"] = base if base.endswith(_SINCE) else base + _SINCE

    def _take_record(self, task: dict, channel: str | None, values, t: float):
        """Remove the record item ``task`` took: from ``channel``, else the match by values."""
        chans = [task["channels"][channel]] if channel in task["channels"] else list(task["channels"].values())
        best, best_key = None, None
        for ch in chans:
            for pos, item in enumerate(ch["items"]):
                if item["kind"] != "record":
                    continue
                # NOTE: without record_receive the channel is inferred: the earliest-arrived head
                # record whose values start with the processed ones (channels are FIFO).
                fits = values is None or (item["values"] or [])[:len(values)] == values
                key = (not fits, ch["blocked"], item["arrive"])
                if channel is not None or item["arrive"] <= t + 1e-9:
                    if best_key is None or key < best_key:
                        best, best_key = (ch, pos), key
                break
        if best is None:
            return None
        ch, pos = best
        return ch["items"].pop(pos)

    def record_receive(self, e) -> None:
        task = self._task(e["task"])
        item = self._take_record(task, e.get("channel"), None, e["t"])
        if item is not None:
            task["in_hand"] = item

    def record_process(self, e) -> None:
        task = self._task(e["task"])
        values, n = e.get("values") or [], e.get("n", 0)
        if e.get("replay"):                                 # from the alignment buffer (buffer mode)
            item = task["buffered"].pop(0) if task["buffered"] else None
        elif task["in_hand"] is not None:                   # taken by a record_receive before
            item = task["in_hand"]
        elif task["channels"]:
            item = self._take_record(task, None, values, e["t"])
        else:
            item = None                                     # a source: read from Kafka
        task["processed"] += n
        task["in_hand"] = None
        self._count(task, values[:n])
        if item is not None and len(item.get("values") or []) > n:
            task["in_hand"] = dict(item, label=_label(item["values"][n:]), cut=True)
        replay = item["replay"] if item is not None else e["task"] in self.replaying
        (self.replaying.add if replay else self.replaying.discard)(e["task"])

    def record_buffered(self, e) -> None:
        task = self._task(e["task"])
        item = self._take_record(task, e["channel"], None, e["t"])
        if item is not None:
            task["buffered"].append(dict(item, channel=e["channel"]))

    def buffer_persisted(self, e) -> None:
        """An overtaken buffer became channel state: mark it (by its values, else the first unmarked)."""
        items = [i for i in self._in_channel(e).get("items", []) if i["kind"] == "record" and "persisted" not in i]
        self.persisted.setdefault((e["checkpoint"], e["channel"]), []).append(e.get("values"))
        match = next((i for i in items if e.get("values") is not None and i.get("values") == e["values"]), None)
        if match is None and items:
            match = items[0]
        if match is not None:
            match["persisted"] = e["checkpoint"]

    def output_persisted(self, e) -> None:
        """A sender kept an output buffer its barrier overtook (not sent yet, so in no channel)."""
        self.persisted_out.setdefault((e["checkpoint"], e["channel"]), []).append(e.get("values"))

    def source_read(self, e) -> None:
        if not self.full:
            return
        task = self._task(e["task"])
        for topic, part, offset, *_ in e.get("origins") or []:
            task["position"][f"{topic}-{part}"] = offset + 1

    def source_offset_reset(self, e) -> None:
        if self.full:
            self._task(e["task"])["position"][f"{e['topic']}-{e['partition']}"] = e["offset"]

    # --- barriers and alignment ---
    def barrier_send(self, e) -> None:
        ch = self._channel(e["to"], e["channel"], e["task"])
        ch["items"].append({"kind": "barrier", "label": f"barrier {e['checkpoint']}", "checkpoint": e["checkpoint"],
                            "unaligned": bool(e.get("unaligned")), "sent": e["t"], "arrive": e.get("arrive", e["t"])})

    def barrier_receive(self, e) -> None:
        ch = self._in_channel(e)
        for pos, item in enumerate(ch.get("items", [])):
            if item["kind"] == "barrier" and item["checkpoint"] == e["checkpoint"]:
                del ch["items"][pos]
                break

    def cancel_marker(self, e) -> None:
        ch = self._in_channel(e)
        if ch:
            ch["items"] = [i for i in ch["items"] if not (i["kind"] == "barrier" and i["checkpoint"] == e["checkpoint"])]

    def alignment_start(self, e) -> None:
        self._task(e["task"])["alignment"] = {"checkpoint": e["checkpoint"], "since": e["t"], "first": e["channel"]}

    def alignment_end(self, e) -> None:
        self._task(e["task"])["alignment"] = None

    def _in_channel(self, e) -> dict:
        """The input channel an event names (a throwaway dict if the trace never wired it)."""
        return self._task(e["task"])["channels"].get(e["channel"], {})

    def channel_block(self, e) -> None:
        self._in_channel(e)["blocked"] = True

    def channel_unblock(self, e) -> None:
        self._in_channel(e)["blocked"] = False

    def end_of_partition(self, e) -> None:
        self._in_channel(e)["ended"] = True

    def inflight_restore(self, e) -> None:
        """Unaligned restore: the checkpoint's persisted buffers go back to the head of the channel."""
        ch = self._in_channel(e)
        key = (e["checkpoint"], e["channel"])
        # NOTE: the receiver's recorded buffers go back first, then the sender's (CompletedCheckpoint.inflight)
        saved = self.persisted.get(key, []) + self.persisted_out.get(key, [])
        if ch:
            ch["items"][:0] = [{"kind": "record", "values": values, "n": 1, "sent": e["t"], "arrive": e["t"],
                                "label": _label(values) if values else "restored in-flight buffer",
                                "replay": True, "restored": e["checkpoint"]}
                               for values in (saved + [None] * e.get("n", 1))[:e.get("n", 1)]]

    # --- snapshots and operator state ---
    def snapshot_sync_start(self, e) -> None:
        task = self._task(e["task"])
        task["snapshot"] = {"checkpoint": e["checkpoint"], "phase": "sync", "since": e["t"], "state": e.get("state")}
        self._known_state(task, e.get("state"), f"snapshot of checkpoint {e['checkpoint']} at {e['t']:g} ms")

    def _known_state(self, task: dict, state, source: str) -> None:
        if task["name"] in self.keyed:
            stale = "" if self.full else f"; later updates are not in a {self.level} trace"
            per_op = by_operator(state, task["operators"], self.per_operator)
            task["state"] = {op: dict(per_op.get(op) or {}) for op in self.keyed[task["name"]]}
            task["state_source"] = source + stale

    def snapshot_sync_end(self, e) -> None:
        snap = self._task(e["task"])["snapshot"]
        if snap is not None:
            snap["phase"] = "async"

    def snapshot_async_end(self, e) -> None:
        self._task(e["task"])["snapshot"] = None

    def state_restore(self, e) -> None:
        task = self._task(e["task"])
        self._known_state(task, e.get("state"), f"restored from checkpoint {e['checkpoint']} at {e['t']:g} ms")

    # --- failures ---
    def task_crash(self, e) -> None:
        task = self._task(e["task"])
        task["status"], task["reason"] = "crashed", e.get("reason")

    def job_failing(self, e) -> list[dict] | None:
        """Cancel the failed tasks (``restarted``: the region, or every task) and drop what their
        input channels held; returns what was dropped (None when the trace level does not keep
        record hops, so the drop is unknown)."""
        dropped = []
        # NOTE: a region is a set of tasks no pipelined channel leaves, so dropping the inputs of
        # the restarted tasks drops all the in-flight data of the region.
        failing = set(e.get("restarted") or self.tasks)
        self.down |= failing                   # several regions may be down at once
        for task in (t for t in self.tasks.values() if t["name"] in failing):
            if task["in_hand"] is not None:
                dropped.append({"where": task["name"], "items": [task["in_hand"]["label"]], "in_hand": True})
            for ch in task["channels"].values():
                if ch["items"]:
                    dropped.append({"where": ch["name"], "items": [i["label"] for i in ch["items"]]})
                ch["items"], ch["blocked"] = [], False
            if task["status"] != "crashed":
                task["status"], task["reason"] = "cancelled", "its region is failing over"
            task.update(alignment=None, buffered=[], snapshot=None, in_hand=None)
            self.replaying.discard(task["name"])
        return dropped if self.full else None

    def job_restart(self, e) -> None:
        back = set(e.get("tasks") or self.down)   # tasks: the restarted region; absent: every task down
        self.down -= back
        for task in (t for t in self.tasks.values() if t["name"] in back):
            task["status"], task["reason"] = "running", None
            if task["name"] in self.keyed:
                # NOTE: a new attempt starts empty; the state_restore events that follow at the
                # same instant put back what the checkpoint held.
                task["state"] = self._empty(task["name"])
                task["state_source"] = f"empty at restart (attempt {e.get('attempt')})"

    def mark_replay(self, name: str, replay: bool) -> None:
        """The source ``name`` read offsets it had read before (or stopped doing so)."""
        (self.replaying.add if replay else self.replaying.discard)(name)
