"""Many runs of one scenario: parameter sweeps and crash-point exploration.

``sweep(scenario, {"checkpointing.interval": [100, 200]})`` runs every combination (``--set``
semantics) and returns one row per run with the verdict and the main metrics.
``explore(scenario, points=N)`` crashes the job at N evenly spaced instants of the fault-free run
(every subtask in turn, or the one named) and reports which crash points break exactly-once.
Runs are independent and deterministic, so they can go to worker processes.
"""
from __future__ import annotations

import itertools
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .api import load_scenario, run

__all__ = ["sweep", "explore", "summarize"]


def summarize(report: dict) -> dict:
    """The figures of one report that a sweep compares."""
    cps = [c for c in report.get("checkpoints", []) if c["status"] == "completed"]
    eo = report.get("exactly_once", {})

    def mean(key):
        vals = [c[key] for c in cps if c.get(key) is not None]
        return round(sum(vals) / len(vals), 3) if vals else None

    committed = report.get("latency", {}).get(eo.get("consumer"))
    return {"ok": report["ok"], "exactly_once": eo.get("ok"), "duplicates": len(eo.get("duplicates", [])),
            "lost": len(eo.get("lost", [])), "overcounted": len(eo.get("overcounted", [])),
            "restarts": report.get("restarts"), "checkpoints_completed": len(cps),
            "end_to_end_ms": mean("end_to_end_duration"), "alignment_ms": mean("alignment_duration"),
            "start_delay_ms": mean("start_delay"), "persisted_bytes": mean("persisted_in_flight"),
            "checkpointed_bytes": mean("checkpointed_size"),
            "mean_read_latency_ms": round(committed["mean"], 3) if committed else None,
            "sim_time_ms": report["stats"]["sim_time_ms"], "wall_seconds": report["stats"]["wall_seconds"]}


def _one(args) -> dict:
    path, overrides, seed = args
    report = run(load_scenario(path, overrides, seed)).report
    return {"set": dict(o.split("=", 1) for o in overrides), **summarize(report)}


def _map(fn, jobs, workers: int):
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(fn, jobs))
    return [fn(j) for j in jobs]


def sweep(path: str | Path, vary: dict[str, list], workers: int = 1, seed: int | None = None,
          overrides=()) -> list[dict]:
    """One row per combination of the values in ``vary`` (keys are ``--set`` key paths)."""
    keys = list(vary)
    jobs = [(str(path), [*overrides, *(f"{k}={v}" for k, v in zip(keys, combo))], seed)
            for combo in itertools.product(*(vary[k] for k in keys))]
    for job in jobs or [(path, overrides, seed)]:           # bad input fails here, before any run
        load_scenario(path, job[1], seed)
    return _map(_one, jobs, workers)


def explore(path: str | Path, points: int = 20, task: str | None = None, workers: int = 1,
            seed: int | None = None) -> list[dict]:
    """Crash the job at ``points`` instants spread over its fault-free run; one row per crash."""
    scenario = load_scenario(path, seed=seed)
    if scenario.kind != "job":
        raise ValueError("explore crashes jobs; this scenario is a " + scenario.kind)
    clean = run(scenario.model_copy(update={"faults": []})).report
    end = clean["stats"]["sim_time_ms"]
    tasks = [task] if task else [op.name for op in scenario.job.operators]
    jobs = []
    for i in range(points):
        at = round(end * (i + 1) / (points + 1), 3)
        victim = tasks[i % len(tasks)]
        jobs.append((str(path), [f"faults=[{{at: {at}, crash: '{victim}'}}]"], seed))
    rows = _map(_one, jobs, workers)
    for row, (_, overrides, _) in zip(rows, jobs):
        del row["set"]
        fault = overrides[0].split("=", 1)[1]
        row["crash"] = fault[fault.index("crash: ") + 8:-3] + " at " + fault[6:fault.index(",")] + " ms"
    return rows
