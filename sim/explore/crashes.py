"""Crash-point exploration: where in a job's life a crash loses or duplicates data.

``explore(scenario)`` runs the job once as it is (the *baseline*, the scenario's own faults kept
unless ``faults=False``), takes every instant at which that run processed an event, and crashes
each task once in each window between two instants (see :mod:`.points`). Every run is judged
against one fault-free reference computed once for the whole exploration. The result lists every
point, the distinct outcomes, and each window of crash times where exactly-once breaks, as a
sentence. ``crash_points=N`` samples N points instead; ``pairs=N`` samples N double crashes.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis.report import build_report
from ..api import ideal_reference, load_scenario, run
from ..dataflow import FunctionRegistry, JobGraph
from ..runtime.engine import simulate
from ..runtime.faults import describe_fault
from ..scenario.job import CrashAt, JobExpect
from ..trace import Trace
from .outcome import OUTCOMES, classify, merge_windows, sentence
from .points import down_spans, job_tasks, plan_points, resolve_tasks, sample_pairs, task_classes
from .runner import Runner, using

__all__ = ["explore", "Exploration"]

#: the most runs one exploration may ask for (more is refused as bad input, not left to run for hours)
MAX_RUNS = 200_000
#: the most crash points one exploration may plan (each is a small object in memory)
MAX_POINTS = 2_000_000

#: the row fields, in order (one row per crash point; flat, so a row loads into pandas as it is)
ROW_FIELDS = ("point", "task", "at", "window_start", "window_end", "task2", "at2", "ran", "same_as", "skipped",
              "outcome", "detail", "exactly_once", "duplicates", "lost", "overcounted", "restarts",
              "checkpoints_completed", "job_failed", "wall_seconds")


@dataclass
class Exploration:
    """The result of :func:`explore`: rows, summary figures, violating windows, and the baseline."""

    scenario: str
    mode: str                          # all | sampled | pairs
    tasks: list[str]
    faults_kept: list[str]
    baseline: dict                     # the outcome of the run without an added crash
    rows: list[dict]
    windows: list[dict]                # merged windows of every task with their outcome
    violations: list[str]              # one sentence per window that breaks exactly-once
    baseline_trace: Trace = field(repr=False)
    wall_seconds: float = 0.0
    where: str = "this process"

    @property
    def ok(self) -> bool:
        """True when crashes were explored and none broke exactly-once or failed the job."""
        return bool(self.rows) and all(r["outcome"] == "exactly_once" for r in self.rows)

    @property
    def outcomes(self) -> dict[str, int]:
        """Distinct outcomes (detail sentences) and how many points gave each."""
        counts: dict[str, int] = {}
        for r in self.rows:
            counts[r["detail"]] = counts.get(r["detail"], 0) + 1
        return counts

    def summary(self) -> dict:
        """The JSON-ready summary (``snapsim explore --json``), rows included."""
        ran = sum(r["ran"] for r in self.rows)
        skipped: dict[str, int] = {}
        for r in self.rows:
            if not r["ran"]:
                key = "no effect: job not running" if r["same_as"] is None else "same failover region"
                skipped[key] = skipped.get(key, 0) + 1
        return {"scenario": self.scenario, "mode": self.mode, "ok": self.ok, "tasks": self.tasks,
                "faults_kept": self.faults_kept, "baseline": self.baseline, "points": len(self.rows),
                "runs": ran, "skipped": skipped, "outcomes": self.outcomes, "violations": self.violations,
                "wall_seconds": self.wall_seconds, "runs_per_second": round(ran / self.wall_seconds, 1)
                if self.wall_seconds else None, "where": self.where, "rows": self.rows}


def _run_chunk(shared, chunk) -> list[dict]:
    """Worker side: crash the base scenario as each item says, judge against the one reference."""
    base, reference, level, functions = shared
    out = []
    for crashes in chunk:
        faults = [*base.faults, *(CrashAt(at=at, crash=task) for task, at in crashes)]
        scenario = base.model_copy(update={"faults": faults})
        out.append(classify(run(scenario, functions, level, reference=reference).report))
    return out


def _prepare(scenario, faults: bool, functions):
    """(base scenario, baseline result and report, its event instants, the ideal reference, trace level)."""
    base = scenario.model_copy(update={"expect": JobExpect(), "faults": list(scenario.faults) if faults else []})
    level = "summary" if scenario.run.trace == "summary" else "control"
    # once: a crash changes neither input nor job (digests only when the runs are judged by digests)
    reference = ideal_reference(base, functions, summary=level == "summary")
    instants: set = set()
    baseline = simulate(base, functions, level, instants=instants)
    report = build_report(base, baseline.trace, baseline.stats, reference.timed(base).trace(level))
    return base, baseline, report, instants, reference, level


def explore(scenario, crash_points="all", tasks=(), faults: bool = True, pairs: int = 0, skip: bool = True,
            workers: int | None = None, scheduler: str | None = None, seed: int | None = None,
            functions: FunctionRegistry | None = None, progress=None, runner: Runner | None = None) -> Exploration:
    """Crash a job at every crash point (``"all"``), at ``crash_points`` sampled ones, or in ``pairs``.

    ``scenario`` is a Scenario or a path; ``tasks`` names tasks or operators (default: every
    task); ``progress(done, total)`` is called as runs finish; ``runner`` is an open
    :class:`Runner` to reuse instead of ``workers``/``scheduler``. Raises ScenarioError for bad input,
    ValueError for an unknown task or a non-job scenario, RunnerError when Dask is unreachable.
    """
    wall = time.perf_counter()
    scenario, functions = _job_scenario(scenario, seed, functions)
    plan = JobGraph.build(scenario, functions).expand()
    all_tasks = job_tasks(plan.describe())                    # as run_start lists them
    chosen = resolve_tasks(tasks, all_tasks)                  # a bad --task fails before anything runs
    refs = {t["name"]: t["ref"] for t in all_tasks}
    base, baseline, base_report, instants, reference, level = _prepare(scenario, faults, functions)
    trace = baseline.trace
    down = down_spans(trace)
    points, mode = _plan(base, plan, instants, chosen, down, skip, crash_points, pairs)
    base_outcome = classify(base_report)
    todo = [p for p in points if p.run]
    with using(runner, workers, scheduler) as place:
        crashes = [[(refs[task], at) for task, at in p.crashes] for p in todo]
        results = place.map(_run_chunk, (base, reference, level, functions), crashes, progress)
        where = place.where
    outcome = dict(zip((p.index for p in todo), results))
    rows = [_row(p, outcome.get(p.index) or outcome.get(p.same_as) or base_outcome) for p in points]
    completions = [(e["t"], e["checkpoint"]) for e in trace if e["kind"] == "checkpoint_complete"]
    merged = merge_windows([r for r in rows if r["task2"] is None])
    return Exploration(base.name, mode, chosen, [describe_fault(f) for f in base.faults],
                       {k: base_outcome[k] for k in ("outcome", "detail", "lost", "duplicates", "overcounted")},
                       rows, merged,
                       _violations(merged, chosen, len(all_tasks), completions, down) if mode != "pairs"
                       else _pair_violations(rows),
                       trace, round(time.perf_counter() - wall, 3), where)


def _job_scenario(scenario, seed: int | None, functions: FunctionRegistry | None) -> tuple:
    """(scenario, functions): load a path and refuse a non-job scenario, as only jobs can be crashed."""
    if isinstance(scenario, (str, Path)):
        scenario = load_scenario(scenario, seed=seed, functions=functions)
    functions = functions or FunctionRegistry()
    if scenario.kind != "job":
        raise ValueError(f"explore crashes jobs; {scenario.source} is a {scenario.kind} scenario")
    return scenario, functions


def _plan(base, plan, instants: list, chosen: list, down, skip: bool, crash_points, pairs: int) -> tuple[list, str]:
    """(points, mode): the crash points to report, refusing plans too big to plan or to run."""
    if len(instants) * len(chosen) > MAX_POINTS:
        raise ValueError(f"{base.source}: the run has {len(instants):,} event instants x {len(chosen)} task(s): "
                         f"more than {MAX_POINTS:,} crash points to plan; explore a shorter run or fewer --task")
    points = plan_points(instants, chosen, task_classes(plan), down, skip)
    points, mode = _choose(points, crash_points, pairs, random.Random(base.seed))
    runs = sum(p.run for p in points)
    if runs > MAX_RUNS:
        raise ValueError(f"{base.source}: exploring every crash point would take {runs:,} runs (more than "
                         f"{MAX_RUNS:,}); sample some with --crash-points N")
    return points, mode


def _choose(points: list, crash_points, pairs: int, rng: random.Random) -> tuple[list, str]:
    """(the points to report, the mode): all of them, a sample of those to run, or sampled pairs."""
    if pairs:
        return sample_pairs(points, pairs, rng), "pairs"
    if crash_points == "all":
        return points, "all"
    runnable = [p for p in points if p.run]
    chosen = {p.index for p in rng.sample(runnable, min(int(crash_points), len(runnable)))}
    # the sampled points, and the points of their regions that share their outcome without a run
    return [p for p in points if p.index in chosen or p.same_as in chosen], "sampled"


def _row(p, result: dict) -> dict:
    second = p.crashes[1] if len(p.crashes) > 1 else (None, None)
    row = {"point": p.index, "task": p.task, "at": p.crashes[0][1], "window_start": p.start,
           "window_end": p.end, "task2": second[0], "at2": second[1], "ran": p.run, "same_as": p.same_as,
           "skipped": p.skipped or None}
    row.update({k: result[k] for k in ROW_FIELDS if k in result})
    if not p.run:
        row["wall_seconds"] = 0.0
    return {k: row.get(k) for k in ROW_FIELDS}


def _violations(merged: list[dict], tasks: list[str], job_size: int, completions, down) -> list[str]:
    """One sentence per violating window; a window all explored tasks share is said once for all."""
    bad = [w for w in merged if w["outcome"] != "exactly_once"]
    shared: dict[tuple, list[str]] = {}
    for w in bad:
        shared.setdefault((w["start"], w["end"], w["detail"]), []).append(w["task"])
    out = []
    for (start, end, detail), who in sorted(shared.items()):
        name = ", ".join(who)
        if len(who) == len(tasks) > 1:
            name = "any task" if len(tasks) == job_size else "any of " + name
        out.append(sentence({"start": start, "end": end, "detail": detail}, name, completions, down))
    return out


def _pair_violations(rows: list[dict]) -> list[str]:
    return [f"crashes of {r['task']} at {r['at']:g} ms and {r['task2']} at {r['at2']:g} ms {r['detail']}"
            for r in rows if r["outcome"] != "exactly_once"]


__all__ += ["ROW_FIELDS", "OUTCOMES"]
