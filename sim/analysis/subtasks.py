"""Which subtasks a run had: the plan's (``run_start.tasks``) and those a later submission added.

A job stopped and resubmitted with another parallelism runs other subtasks than its first plan: a
rescale from 2 to 4 adds ``count[2]`` and ``count[3]``. The trace names them only where they act,
and in the ``stats`` of every checkpoint they complete (each subtask acknowledges); the pictures
and the state panel list them all, each beside the other subtasks of its operator.
"""
from __future__ import annotations

import re

__all__ = ["TASK", "all_task_names", "resubmitted_tasks", "in_plan_order", "has_any"]

#: a subtask: an operator (or a chain "a->b") and its subtask index
TASK = re.compile(r"^(?P<op>.+)\[(?P<i>[0-9]+)\]$")


def all_task_names(events) -> list[str]:
    """Subtask names in plan order: from ``run_start.tasks`` (names or ``{name, ...}`` dicts), with
    the subtasks later submissions added; without ``run_start.tasks``, as the events name them."""
    start = next((e for e in events if e["kind"] == "run_start"), {})
    tasks = start.get("tasks")
    if not tasks:
        return list(dict.fromkeys(e["task"] for e in events if TASK.match(e.get("task") or "")))
    first = [t["name"] if isinstance(t, dict) else t for t in tasks]
    return in_plan_order(first, resubmitted_tasks(events, set(first)))


def resubmitted_tasks(events, first: set) -> list[str]:
    """Subtasks, not among ``first``, that a later submission deployed (a job resubmitted with another
    parallelism), in the order they first appear; none without a ``job_submit``."""
    if not has_any(events, ("job_submit",)):
        return []
    seen: dict[str, None] = {}
    for e in events:
        # NOTE: a completed checkpoint names every subtask that acknowledged it (summary traces too)
        names = (e.get("stats") or {}).get("tasks") or () if e["kind"] == "checkpoint_complete" else (e.get("task"),)
        for name in names:
            if name not in first and name not in seen and TASK.match(name or ""):
                seen[name] = None
    return list(seen)


def has_any(events, kinds) -> bool:
    """Whether the trace holds an event of one of ``kinds``: its closing ``summary`` counts them; a
    trace without one is searched."""
    last = events[-1] if events else {}
    if last and last["kind"] == "summary":
        return any(last["counters"].get(kind) for kind in kinds)
    return any(e["kind"] in kinds for e in events)


def in_plan_order(first: list[str], later: list[str]) -> list[str]:
    """``first`` (the plan's order), each of ``later`` put after the last subtask of its operator (by
    subtask index); those of an operator the first plan did not have go after all of them."""
    if not later:
        return first
    groups: dict[str, list[tuple[int, str]]] = {}
    for name in first + later:
        m = TASK.match(name)
        groups.setdefault(m["op"] if m else name, []).append((int(m["i"]) if m else -1, name))
    return [name for names in groups.values() for _, name in sorted(names)]
