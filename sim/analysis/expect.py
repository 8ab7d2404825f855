"""``expect:`` blocks: compare a report with what the scenario promises, one sentence per miss."""
from __future__ import annotations

from ..scenario.common import compare

__all__ = ["evaluate"]


def _cmp(name: str, actual: int, comparison, failures: list) -> None:
    if comparison is not None and not compare(actual, comparison):
        failures.append(f"{name}: expected {comparison.replace('== ', '')}, got {actual}")


def _eq(name: str, actual, expected, failures: list) -> None:
    if expected is not None and actual != expected:
        failures.append(f"{name}: expected {expected}, got {actual}")


def _verdict(exp, eo: dict, job_failed, failures: list) -> None:
    """exactly_once and job_failed: stated, or by default exactly once and not failed for good.

    Without an ``expect:`` block a job must be exactly once; whatever the block says, a job that
    failed for good fails the run unless it states ``job_failed``. A verdict that could not be
    reached (the ideal run cannot finish in time) fails every expectation about it.
    """
    # NOTE: the keys the block states, read as attributes: model_dump would build the model's own
    # serializer (models defer their build: sim/scenario/common.py), a start-up cost of every run
    stated = {key for key, value in exp if value is not None}
    exactly_once = exp.exactly_once if exp.exactly_once is not None else (True if not stated else None)
    about_verdict = exactly_once is not None or any(k in stated for k in ("duplicates", "lost", "overcounted"))
    if not eo.get("judged", True) and about_verdict:
        failures.append(f"exactly_once: {eo['explanation'][0]}")
    elif exactly_once is not None and eo["ok"] != exactly_once:
        why = "; ".join(eo["explanation"][:3])
        failures.append(f"exactly_once: expected {str(exactly_once).lower()}, got {str(eo['ok']).lower()} ({why})")
    if exp.job_failed is None and job_failed:
        failures.append(f"job_failed: the job failed for good ({job_failed}); a scenario that means it to "
                        f"fail says expect: {{job_failed: true}}")


def evaluate(scenario, report: dict) -> list[str]:
    """The failed expectations of ``scenario.expect`` against ``report`` (empty: all hold)."""
    failures: list[str] = []
    check = {"job": _job, "gate": _gate, "chandy_lamport": _chandy_lamport}.get(scenario.kind)
    if check is not None:
        check(scenario.expect, report, failures)
    return failures


def _job(exp, report: dict, failures: list) -> None:
    """A job's expectations."""
    eo = report["exactly_once"]
    _verdict(exp, eo, report["job_failed"], failures)
    _eq("final_counts", report["final_counts"], exp.final_counts, failures)
    for name, values in (exp.consumers or {}).items():
        got = report["consumers"].get(name)
        if got is None and name in report.get("consumer_counts", {}):
            failures.append(f"consumers.{name}: a summary trace keeps no values (use trace: control)")
        elif got is None:
            failures.append(f"consumers.{name}: no such consumer read anything")
        elif got != values:
            failures.append(f"consumers.{name}: expected {values}, got {got}")
    statuses = [c["status"] for c in report["checkpoints"]]
    _cmp("checkpoints_completed", statuses.count("completed"), exp.checkpoints_completed, failures)
    _cmp("checkpoints_aborted", sum(s not in ("completed", "pending") for s in statuses),
         exp.checkpoints_aborted, failures)
    _cmp("restarts", report["restarts"], exp.restarts, failures)
    _cmp("restarted_tasks", sum(len(f["restarted"]) for f in report.get("failovers", [])),
         exp.restarted_tasks, failures)
    _cmp("duplicates", len(eo["duplicates"]), exp.duplicates, failures)
    _cmp("lost", len(eo["lost"]), exp.lost, failures)
    _cmp("overcounted", len(eo["overcounted"]), exp.overcounted, failures)
    _cmp("transactions_timed_out", sum(1 for t in report["transactions"] if t.get("timed_out")),
         exp.transactions_timed_out, failures)
    _cmp("lso_holds", len(report.get("lso_holds") or []), exp.lso_holds, failures)
    _eq("savepoints", [sp["name"] for sp in report.get("savepoints", [])], exp.savepoints, failures)
    _cmp("commits_discarded", sum(1 for t in report["transactions"] if t.get("discarded") is not None),
         exp.commits_discarded, failures)
    if exp.job_failed is not None and bool(report["job_failed"]) != exp.job_failed:
        failures.append(f"job_failed: expected {str(exp.job_failed).lower()}, got "
                        f"{str(bool(report['job_failed'])).lower()} ({report['job_failed'] or 'it kept running'})")
    _job_details(exp, report, failures)


def _job_details(exp, report: dict, failures: list) -> None:
    """A job's expectations about checkpoints, latency and explanations."""
    eo = report["exactly_once"]
    statuses_by_id = {c["id"]: c["status"] for c in report["checkpoints"]}
    for cid, status in (exp.checkpoint_status or {}).items():
        if statuses_by_id.get(cid) != status:
            failures.append(f"checkpoint_status: expected checkpoint {cid} {status}, got "
                            f"{statuses_by_id.get(cid, 'never triggered')}")
    persisted = sum(c.get("persisted_in_flight") or 0 for c in report["checkpoints"] if c["status"] == "completed")
    _cmp("persisted_in_flight", persisted, exp.persisted_in_flight, failures)
    for name, comparison in (exp.max_latency or {}).items():
        lat = report["latency"].get(name)
        read = (report.get("consumer_counts") or {}).get(name)
        if lat is None and read:
            # NOTE: a summary trace keeps a count per reader, not the times of its reads
            failures.append(f"max_latency.{name}: the consumer read {read} record(s), but the trace holds no "
                            "times of reads (a summary trace): no latency to compare")
        elif lat is None:
            failures.append(f"max_latency.{name}: the consumer read nothing")
        else:
            _cmp(f"max_latency.{name}", round(lat["max"]), comparison, failures)
    for text in exp.explanation_mentions or []:
        if not any(text in sentence for sentence in eo["explanation"] + eo.get("details", [])):
            failures.append(f"explanation_mentions: no sentence mentions {text!r}")


def _gate(exp, report: dict, failures: list) -> None:
    """A gate's expectations."""
    gate = report["gate"]
    for key in ("emitted", "triggered", "blocked_after"):
        _eq(key, gate[key], getattr(exp, key), failures)
    if exp.aborted is not None:
        _eq("aborted", gate["aborted"], [list(a) for a in exp.aborted], failures)
    if exp.persisted is not None:
        _eq("persisted", {int(k): v for k, v in gate["persisted"].items()}, dict(exp.persisted), failures)


def _chandy_lamport(exp, report: dict, failures: list) -> None:
    """A Chandy-Lamport run's expectations."""
    got = {s["id"]: s for s in report["snapshots"]}
    for want in exp.snapshots or []:
        have = got.get(want.id)
        if have is None:
            failures.append(f"snapshots: snapshot {want.id} was never taken")
            continue
        _eq(f"snapshots[{want.id}].nodes", have["nodes"], dict(want.nodes), failures)
        channels = {k: v for k, v in have["channels"].items() if v}
        _eq(f"snapshots[{want.id}].channels", channels, {k: v for k, v in want.channels.items() if v}, failures)
    if exp.total_tokens is not None:
        for s in report["snapshots"]:
            total = sum(s["nodes"].values()) + sum(sum(v) for v in s["channels"].values())
            _eq(f"snapshots[{s['id']}] total tokens", total, exp.total_tokens, failures)
