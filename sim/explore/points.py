"""Where to crash: the crash points of an exploration, read from a baseline run.

A crash can only change what happens next at an event, so the simulated instants at which the
baseline run processed events cut its timeline into windows ``[t_i, t_i+1)``; a crash anywhere in
one window finds the job in the same state. Each window is tried once, at its midpoint: no other
event happens there, so the crash never races one. Two rules skip points whose outcome is already
known (see :func:`plan_points`).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from ..dataflow.refs import resolve
from ..dataflow.regions import pipelined_regions

__all__ = ["Point", "windows", "down_spans", "job_tasks", "task_classes", "resolve_tasks", "plan_points",
           "sample_pairs"]


@dataclass
class Point:
    """One crash point: crashes ``[(task, at ms), ...]`` and the window its first crash stands for."""

    index: int
    crashes: list
    start: float
    end: float
    run: bool = True
    same_as: int | None = None        # index of the point whose outcome this one shares
    skipped: str = ""                 # why it was not run
    extra: dict = field(default_factory=dict)

    @property
    def task(self) -> str:
        return self.crashes[0][0]


def windows(instants) -> list[tuple[float, float]]:
    """The windows between consecutive distinct event instants, in time order."""
    times = sorted({round(t, 9) for t in instants})          # the trace's own rounding of times
    return list(zip(times, times[1:]))


def midpoint(start: float, end: float) -> float:
    return round((start + end) / 2, 6)


def down_spans(trace) -> list[tuple[float, float]]:
    """Spans of the baseline where the job was not running: failing -> restarted, failed -> end."""
    spans, since = [], None
    for e in trace:
        if e["kind"] == "job_failing" and since is None:
            since = e["t"]
        elif e["kind"] == "job_restart" and since is not None:
            spans.append((since, e["t"]))
            since = None
        elif e["kind"] == "job_failed":
            spans.append((since if since is not None else e["t"], float("inf")))
            since = None
    return spans


def job_tasks(described: list[dict]) -> list[dict]:
    """The job's (chained) tasks as ``run_start`` lists them, each with a ``ref``: a fault
    reference that hits the task (its first operator and subtask index; a reference to any operator
    of a chain hits the chained task)."""
    return [{**t, "ref": f"{t['operators'][0]}[{t['subtask']}]"} for t in described]


def task_classes(plan) -> dict[str, str]:
    """task -> the first task of its pipelined region (the plan's connected components).

    # NOTE: a failed task fails its whole pipelined region, and in a streaming job every exchange
    # is pipelined, so a region is a connected component of the task graph (Flink's
    # RestartPipelinedRegionFailoverStrategy, dataflow/regions.py); failover ``full`` and this
    # runtime restart even more. Crashing any task of a region cancels the same tasks at the same
    # instant: the runs differ only in the crashed task's name.
    """
    regions = pipelined_regions([t.name for t in plan.tasks], [(c.src, c.dst) for c in plan.channels])
    return {task: region[0] for region in regions for task in region}


def resolve_tasks(names, tasks: list[dict]) -> list[str]:
    """The names of the tasks to crash: all, or those the references name (``count``, ``count[1]``,
    or a chained task's own name ``count->format->sink[1]``)."""
    if not names:
        return [t["name"] for t in tasks]
    chosen = []
    for name in names:
        try:
            hits = [t["name"] for t in tasks if t["name"] == name] or [t["name"] for t in resolve(name, tasks)]
        except ValueError:
            hits = []
        if not hits:
            operators = dict.fromkeys(op for t in tasks for op in t["operators"])
            raise ValueError(f"--task {name}: not an operator or task of the job (operators: {', '.join(operators)}; "
                             f"tasks: {', '.join(t['name'] for t in tasks)})")
        chosen += [t for t in hits if t not in chosen]
    return chosen


def _inside(start: float, end: float, spans) -> bool:
    return any(a <= start and end <= b for a, b in spans)


def plan_points(instants, tasks: list[str], classes: dict[str, str], down, skip: bool = True) -> list[Point]:
    """Every window x every task, with the points whose outcome is known marked as not run.

    Skipped: (1) a window inside a span where the baseline job is not running (the fault plan
    ignores a crash then, so the run is the baseline itself: ``same_as`` is None, the baseline
    outcome); (2) a task whose failover region already has a point in this window (``same_as`` that
    point). ``skip=False`` runs every point (to check these rules).
    """
    points = []
    for start, end in windows(instants):
        first: dict[str, int] = {}
        for task in tasks:
            p = Point(len(points), [(task, midpoint(start, end))], start, end)
            if skip and _inside(start, end, down):
                p.run, p.skipped = False, "the job is not running then: the crash has no effect"
            elif skip and classes.get(task, task) in first:
                p.run, p.same_as = False, first[classes.get(task, task)]
                p.skipped = f"same failover region as {points[p.same_as].task}"
            else:
                first[classes.get(task, task)] = p.index
            points.append(p)
    return points


def sample_pairs(points: list[Point], n: int, rng: random.Random) -> list[Point]:
    """``n`` double crashes: two run points in time order, drawn without repeats."""
    runnable = [p for p in points if p.run]
    combos = len(runnable) * (len(runnable) - 1) // 2
    chosen, pairs = set(), []
    while len(pairs) < min(n, combos):
        a, b = sorted(rng.sample(range(len(runnable)), 2))
        if (a, b) in chosen or runnable[a].start == runnable[b].start:
            chosen.add((a, b))
            if len(chosen) >= combos:
                break
            continue
        chosen.add((a, b))
        first, second = runnable[a], runnable[b]
        pairs.append(Point(len(pairs), [first.crashes[0], second.crashes[0]], first.start, first.end,
                           extra={"second_start": second.start, "second_end": second.end}))
    return pairs
