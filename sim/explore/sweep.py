"""Parameter sweeps: one run per combination of ``--set`` values, compared row by row.

Each combination is validated once, here, before anything runs (bad input fails at once, with its
key); the workers get the validated scenarios and only simulate and judge them.
"""
from __future__ import annotations

import itertools
import time

from ..api import load_variants, run
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
            "restarts": report.get("restarts"), "checkpoints_completed": len(cps),
            "end_to_end_ms": mean("end_to_end_duration"), "alignment_ms": mean("alignment_duration"),
            "start_delay_ms": mean("start_delay"), "persisted_bytes": mean("persisted_in_flight"),
            "checkpointed_bytes": mean("checkpointed_size"),
            "mean_read_latency_ms": round(committed["mean"], 3) if committed else None,
            "sim_time_ms": report["stats"]["sim_time_ms"], "wall_seconds": report["stats"]["wall_seconds"]}


def _run_chunk(functions, chunk) -> list[dict]:
    """Worker side. A row needs no record hops: below ``full`` the same figures come out cheaper."""
    return [summarize(run(scenario, functions, "summary" if scenario.kind == "job" and scenario.run.trace == "summary"
                          else "control" if scenario.kind == "job" else None).report) for scenario in chunk]


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
        results = where.map(_run_chunk, functions, scenarios, progress)
        where = where.where
    rows = Sweep({**dict(zip(keys, combo)), **r} for combo, r in zip(combos, results))
    rows.where, rows.wall_seconds = where, round(time.perf_counter() - wall, 3)
    return rows
