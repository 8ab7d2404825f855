"""What a crash did: one outcome per run, and the windows of crash times that share one.

Outcomes, from harmless to worst: ``exactly_once``, ``duplicate``, ``overcount``, ``loss``,
``job_failed``. A run with several kinds of damage takes the worst for its colour and names all
of them in its detail ("loses hello:::2; duplicates world:::1").
"""
from __future__ import annotations

from ..analysis.metrics import parse_count

__all__ = ["OUTCOMES", "classify", "merge_windows", "context", "sentence"]

#: outcome -> how the map and the text name it, from harmless to worst
OUTCOMES = {"exactly_once": "exactly once", "duplicate": "duplicate", "overcount": "over-count",
            "loss": "loss", "job_failed": "job failed"}


def _values(items) -> str:
    names = [i["value"] for i in items]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _overcounts(items) -> str:
    parts = []
    for i in items:
        parsed = parse_count(i["value"])
        parts.append(f"{parsed[0]} by {parsed[1] - i['reference_final']}" if parsed else i["value"])
    return ", ".join(dict.fromkeys(parts))


def classify(report: dict) -> dict:
    """The outcome of one judged run, with the figures a row keeps."""
    eo = report["exactly_once"]
    parts, worst = [], "exactly_once"
    if report.get("job_failed"):
        parts.append("makes the job fail for good")
        worst = "job_failed"
    if eo["lost"]:
        parts.append("loses " + _values(eo["lost"]))
        worst = "loss" if worst == "exactly_once" else worst
    if eo["overcounted"]:
        parts.append("over-counts " + _overcounts(eo["overcounted"]))
        worst = "overcount" if worst in ("exactly_once", "duplicate") else worst
    if eo["duplicates"]:
        parts.append("duplicates " + _values(eo["duplicates"]))
        worst = "duplicate" if worst == "exactly_once" else worst
    if not eo["ok"] and not parts:            # a summary trace: counts and digests only
        summary = eo.get("summary", {})
        more = summary.get("count", 0) > summary.get("reference_count", 0)
        parts.append("reads " + ("more" if more else "other") + " values than the reference")
        worst = "duplicate" if more else "loss"
    cps = [c for c in report["checkpoints"] if c["status"] == "completed"]
    return {"outcome": worst, "detail": "; ".join(parts) or "stays exactly once", "exactly_once": eo["ok"],
            "duplicates": len(eo["duplicates"]), "lost": len(eo["lost"]), "overcounted": len(eo["overcounted"]),
            "restarts": report["restarts"], "checkpoints_completed": len(cps), "job_failed": report.get("job_failed"),
            "wall_seconds": report["stats"]["wall_seconds"]}


def merge_windows(rows: list[dict]) -> list[dict]:
    """Consecutive windows of one task with the same outcome, joined: ``{task, start, end, outcome, detail}``."""
    merged: list[dict] = []
    for row in sorted(rows, key=lambda r: (r["task"], r["window_start"])):
        last = merged[-1] if merged else None
        if (last and last["task"] == row["task"] and last["end"] == row["window_start"]
                and (last["outcome"], last["detail"]) == (row["outcome"], row["detail"])):
            last["end"] = row["window_end"]
        else:
            merged.append({"task": row["task"], "start": row["window_start"], "end": row["window_end"],
                           "outcome": row["outcome"], "detail": row["detail"]})
    return merged


def _phase(k: int, ids: list[int]) -> str:
    if not ids:
        return "no checkpoint ever completes"
    if k == 0:
        return f"before checkpoint {ids[0]} completed"
    if k == len(ids):
        return f"after checkpoint {ids[-1]} completed (the last)"
    return f"after checkpoint {ids[k - 1]} completed, before {ids[k]}"


def context(start: float, end: float, completions: list[tuple[float, int]], down) -> str:
    """Where a window lies in the baseline's life: between which checkpoint completions."""
    if any(a <= start and end <= b for a, b in down):
        return "while the job is down (the crash has no effect)"
    ids = [cid for _, cid in completions]
    first = sum(1 for t, _ in completions if t <= start)
    last = sum(1 for t, _ in completions if t < end)
    if first == last:
        return _phase(first, ids)
    return f"from {_phase(first, ids)} until after checkpoint {ids[last - 1]} completed"


def sentence(window: dict, who: str, completions, down) -> str:
    """"a crash of count[0] in [1203, 1450) ms over-counts hello by 1: after checkpoint 1 completed, before 2"."""
    return (f"a crash of {who} in [{window['start']:g}, {window['end']:g}) ms {window['detail']}: "
            f"{context(window['start'], window['end'], completions, down)}")
