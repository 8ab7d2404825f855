"""The report of a run: the ``--json`` object of DESIGN.md, computed from traces only."""
from __future__ import annotations

from .checker import check
from .failovers import failovers
from .expect import evaluate
from .gate import gate_result
from .lso import lso_holds
from .metrics import (checker_consumer, checkpoints, consumer_summaries, consumer_values, final_counts,
                      read_latency, restarts, transactions)

__all__ = ["build_report"]


def tasks(trace) -> list[dict]:
    """``[{name, operators, subtask, parallelism}]``: the (chained) tasks, from ``run_start``."""
    start = trace.first("run_start") or {}
    return [dict(t) for t in start.get("tasks") or [] if isinstance(t, dict)]


def build_report(scenario, trace, stats: dict, reference_trace=None) -> dict:
    """The JSON-ready report of a run (``reference_trace``: the fault-free run, for jobs)."""
    report = {"scenario": scenario.name, "kind": scenario.kind, "seed": scenario.seed, "ok": True,
              "failures": [], "description": " ".join(scenario.description.split())}
    if scenario.kind == "job":
        judged = checker_consumer(trace)
        values = consumer_values(trace, hidden=True)
        summaries = consumer_summaries(trace)
        failed = trace.first("job_failed")
        end = trace.first("run_end")
        report.update({
            "exactly_once": check(trace, reference_trace if reference_trace is not None else trace),
            "final_counts": summaries[judged]["final_counts"] if judged in summaries
            else final_counts(values.get(judged, [])),
            "consumers": {k: v for k, v in values.items() if not k.startswith("_")},
            "checkpoints": checkpoints(trace),
            "restarts": restarts(trace),
            "failovers": failovers(trace),
            "tasks": tasks(trace),
            "transactions": transactions(trace),
            "lso_holds": lso_holds(trace),
            "savepoints": [{"name": e["savepoint"], "checkpoint": e["checkpoint"], "t": e["t"]}
                           for e in trace.of("savepoint_complete")],
            "submissions": [{"t": e["t"], "from": e["source"], "parallelism": e["parallelism"],
                             "checkpoint": e["checkpoint"], "error": e["error"]} for e in trace.of("job_submit")],
            "job_failed": failed["reason"] if failed else None,
            "run_end": end["reason"] if end else None,
            "latency": read_latency(trace),
            "consumer_counts": {name: e["count"] for name, e in summaries.items() if not name.startswith("_")}
            or {name: len(v) for name, v in values.items() if not name.startswith("_")},
        })
    elif scenario.kind == "gate":
        report["gate"] = gate_result(trace)
    elif scenario.kind == "chandy_lamport":
        from .snapshots import snapshots
        report["snapshots"] = snapshots(trace)
    report["stats"] = {k: stats.get(k) for k in ("sim_time_ms", "wall_seconds", "events", "record_hops")}
    report["failures"] = evaluate(scenario, report)
    report["ok"] = not report["failures"]
    return _rounded(report)


def _rounded(value):
    """Floats rounded to the trace's resolution (1e-9 ms), so sums print as 100.3, not 100.30000000000001."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value] if value and not isinstance(value[0], str) else value
    return value
