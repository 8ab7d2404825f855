"""Failovers read from the trace: what failed, why, which tasks restarted, from which checkpoint.

One entry per ``job_failing`` event: ``{t, task, reason, restarted, restored_checkpoint, delay}``.
``task`` is the task whose failure started it (``None`` when the coordinator failed the job, e.g.
too many checkpoint failures); ``restarted`` the tasks cancelled and deployed again (the failed
task's pipelined region, or every task); ``restored_checkpoint`` and ``delay`` come from the
restart that followed (both ``None`` when the restart strategy gave up or the run ended first,
``restored_checkpoint`` also ``None`` when no checkpoint had completed).
"""
from __future__ import annotations

__all__ = ["failovers", "describe_failover"]


def failovers(trace) -> list[dict]:
    """Every failover of a job run, in time order."""
    start = trace.first("run_start")
    tasks = [t["name"] if isinstance(t, dict) else t for t in (start.get("tasks") if start else None) or []]
    out: list[dict] = []
    crash = None
    for e in trace.of("task_crash", "job_failing", "job_restart", "job_failed"):
        kind = e["kind"]
        if kind == "task_crash":
            crash = e
        elif kind == "job_failing":
            same = crash is not None and crash["t"] == e["t"] and crash.get("attempt") == e.get("attempt")
            out.append({"t": e["t"], "task": crash["task"] if same else None, "reason": e["reason"],
                        "restarted": list(e.get("restarted") or tasks), "restored_checkpoint": None,
                        "delay": None, "outcome": "pending"})
            crash = None
        elif kind == "job_restart" and out and out[-1]["outcome"] == "pending":
            out[-1].update(restored_checkpoint=e["checkpoint"], delay=e["delay"], outcome="restarted")
        elif kind == "job_failed" and out and out[-1]["outcome"] == "pending":
            out[-1].update(outcome="gave_up")
    for f in out:
        if f["outcome"] == "pending":
            f["outcome"] = "run_ended"        # the run ended before the restart delay passed
    return out


def describe_failover(f: dict) -> tuple[str, str]:
    """Two short lines: what failed and why; what happened next."""
    who = f"{f['task']} failed" if f["task"] else "the coordinator failed the job"
    n = len(f["restarted"])
    if f["outcome"] == "restarted":
        source = f"checkpoint {f['restored_checkpoint']}" if f["restored_checkpoint"] is not None \
            else "no checkpoint (start settings)"
        then = f"{n} task(s) restarted {f['delay']:g} ms later, from {source}"
    elif f["outcome"] == "gave_up":
        then = "the restart strategy gave up: the job failed for good"
    else:
        then = "the run ended before the restart"
    return f"{f['t']:g} ms: {who}: {f['reason']}", then
