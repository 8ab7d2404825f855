"""Parameter sweeps: one run per combination of ``--set`` values, compared row by row.

Each combination is validated once, here, before anything runs (bad input fails at once, with its
key); the workers get the validated scenarios and only simulate and judge them.
"""
from __future__ import annotations

import itertools
import time

from ..api import ideal_reference, load_variants, run
from ..ideal import reference_signature
from .runner import Runner, using

__all__ = ["sweep", "summarize", "Sweep"]


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
            "restarts": report.get("restarts"), "job_failed": bool(report.get("job_failed")),
            "restarted_tasks": sum(len(f["restarted"]) for f in report.get("failovers", [])),
            "downtime_ms": round(sum(f["delay"] or 0 for f in report.get("failovers", [])), 3),
            "checkpoints_completed": len(cps),
            "end_to_end_ms": mean("end_to_end_duration"), "alignment_ms": mean("alignment_duration"),
            "start_delay_ms": mean("start_delay"), "persisted_bytes": mean("persisted_in_flight"),
            "checkpointed_bytes": mean("checkpointed_size"),
            "mean_read_latency_ms": round(committed["mean"], 3) if committed else None,
            "sim_time_ms": report["stats"]["sim_time_ms"], "wall_seconds": report["stats"]["wall_seconds"]}


def _run_chunk(functions, chunk) -> list[dict]:
    """Worker side: run and judge each (scenario, reference). A row needs no record hops: below
    ``full`` the same figures come out cheaper."""
    rows = []
    for scenario, reference in chunk:
        level = None if scenario.kind != "job" else "summary" if scenario.run.trace == "summary" else "control"
        rows.append(summarize(run(scenario, functions, level, reference=reference).report))
    return rows


def _references(scenarios, functions) -> list:
    """The ideal reference of each job, computed once per distinct input and job (a sweep of
    checkpoint or restart settings shares one)."""
    by_signature: dict[tuple, object] = {}
    out = []
    for s in scenarios:
        if s.kind != "job":
            out.append(None)
            continue
        summary = s.run.trace == "summary"           # digests only, in bounded memory
        key = (reference_signature(s), summary)
        if key not in by_signature:
            by_signature[key] = ideal_reference(s, functions, summary=summary)
        out.append(by_signature[key])
    return out


class Sweep(list):
    """The rows of a sweep (a list of flat dicts), with where and how fast they ran."""

    where: str = "this process"
    wall_seconds: float = 0.0

    @property
    def runs_per_second(self) -> float | None:
        return round(len(self) / self.wall_seconds, 1) if self.wall_seconds else None


def sweep(path, vary: dict[str, list], workers: int | None = None, seed: int | None = None, overrides=(),
          scheduler: str | None = None, functions=None, progress=None, runner: Runner | None = None) -> Sweep:
    """One row per combination of the values in ``vary`` (keys are ``--set`` key paths).

    A row holds each varied key with its value (as given), then :func:`summarize`'s figures.
    ``runner``: an open :class:`Runner` to reuse (one cluster for many sweeps) instead of
    ``workers``/``scheduler``.
    """
    wall = time.perf_counter()
    keys = list(vary)
    combos = list(itertools.product(*(vary[k] for k in keys)))
    scenarios = load_variants(path, [[*overrides, *(f"{k}={v}" for k, v in zip(keys, combo))] for combo in combos],
                              seed, functions)
    with using(runner, workers, scheduler) as where:
        results = where.map(_run_chunk, functions, list(zip(scenarios, _references(scenarios, functions))), progress)
        where = where.where
    rows = Sweep({**dict(zip(keys, combo)), **r} for combo, r in zip(combos, results))
    rows.where, rows.wall_seconds = where, round(time.perf_counter() - wall, 3)
    return rows
