"""Exercises of notebook 0 (Chandy-Lamport) and the capstone (notebook 12)."""
from __future__ import annotations

import re

from .. import api
from ..explore import explore
from .checks import exercise, scenario


def _snapshots(name: str, overrides=()):
    return api.run(api.load_scenario(scenario(f"chandy_lamport/{name}"), list(overrides))).report["snapshots"]


def _recorded(snapshot: dict) -> int:
    return sum(snapshot["nodes"].values()) + sum(sum(v) for v in snapshot["channels"].values())


@exercise("0.1", "Answer where=<'N1', 'N2' or a channel such as 'N1->N2'>: where is the token "
          "recorded when N1 starts the snapshot?", "N1 records its state before the send or after it? "
          "The send and the snapshot are both at time 0; look at the cl_record and cl_send events.",
          lambda a, t: a["where"] == t, lambda t: f"the token is recorded in {t}")
def _who_has_the_token():
    snap = _snapshots("two_processes_in_flight", ["events[1].snapshot=N1"])[0]
    holders = [n for n, tokens in snap["nodes"].items() if tokens] + [c for c, v in snap["channels"].items() if v]
    return holders[0] if len(holders) == 1 else holders


@exercise("0.2", "Answer totals=[tokens recorded by each snapshot of eight_processes_sequential].",
          "add the nodes' tokens and every channel's recorded tokens of each snapshot; nothing is ever "
          "created or destroyed.", lambda a, t: [int(x) for x in a["totals"]] == t,
          lambda t: f"{t}: every snapshot records every token once")
def _conservation():
    return [_recorded(s) for s in _snapshots("eight_processes_sequential")]


@exercise("0.3", "Answer aligned={checkpoint: [items]} persisted by the aligned handler, unaligned=... "
          "by the unaligned one (report['gate']['persisted']).", "aligned barriers hold the channels back, "
          "so nothing is in flight between the recording and the marker.",
          lambda a, t: {int(k): list(v) for k, v in a["aligned"].items()} == t["aligned"] and
          {int(k): list(v) for k, v in a["unaligned"].items()} == t["unaligned"],
          lambda t: f"aligned persists {t['aligned']}, unaligned {t['unaligned']}")
def _channel_state():
    out = {}
    for handler in ("aligned", "unaligned"):
        run = api.run(api.load_scenario(scenario("gates/three_inputs_buffered"),
                                        [f"handler={handler}", "alignment=block"]))
        out[handler] = {int(k): list(v) for k, v in run.report["gate"]["persisted"].items()}
    return out


FIXABLE = ("job.", "checkpointing.", "restart.", "kafka.", "state_backend.", "flink_version")


def _capstone_holds(answer: dict) -> dict:
    """Explore the seed job with the student's overrides, its own random failures kept.

    # NOTE: only the job's configuration may change: the input, the failures, the readers and the
    # run stay the tutorial's, or emptying the input would "fix" it.
    """
    world = [o for o in answer["overrides"] if not o.startswith(FIXABLE)]
    if world:
        raise ValueError(f"change the job's configuration only, not {world}")
    found = explore(api.load_scenario(scenario("seed_job"), list(answer["overrides"])))
    return {"ok": found.ok and not found.baseline.get("job_failed"), "points": len(found.rows),
            "violations": found.violations, "baseline": found.baseline}


@exercise("12.1", "Answer overrides=[the --set values that fix seed_job.yaml].", "two things lose data: "
          "transactions that outlive their timeout, and a source that restarts from latest when no "
          "checkpoint exists yet. Read the exploration's violations after each change.",
          lambda a, t: t(a)["ok"], lambda t: "every crash point of the fixed job stays exactly once")
def _capstone():
    return _capstone_holds


@exercise("7.1", "Answer completed_ms=<when checkpoint 1 of hello_world_crash completes, read off the "
          "picture to the nearest 10 ms>.", "find the ✓1 mark and the dotted line under it.",
          lambda a, t: abs(float(a["completed_ms"]) - t) <= 10, lambda t: f"checkpoint 1 completes at {t:.1f} ms")
def _completion_time():
    return api.run(scenario("hello_world_crash")).trace.of("checkpoint_complete")[0]["t"]


def _trace_id(name: str) -> str:
    """``'T2 of sink[1]'`` (how the pictures and the report name a transaction) -> ``'sink[1]#2'`` (its
    trace id); a trace id stays as it is."""
    m = re.fullmatch(r"\s*T(\d+) of (\S+)\s*", str(name))
    return f"{m[2]}#{m[1]}" if m else str(name)


@exercise("7.2", "Answer aborted=[the transactions whose bars end aborted, as the report names them, "
          "e.g. 'T2 of sink[0]' (or their trace ids, 'sink[0]#2')].",
          "each sink lane has a bar per transaction, labelled T1, T2, ... ; the legend names the mark "
          "that ends an aborted one.", lambda a, t: sorted(map(_trace_id, a["aborted"])) == t,
          lambda t: f"{', '.join('T{1} of {0}'.format(*x.rsplit('#', 1)) for x in t)} were aborted (trace ids {t})")
def _aborted_bars():
    run = api.run(scenario("hello_world_crash"))
    return sorted(t["id"] for t in run.report["transactions"] if t["status"] == "aborted")


@exercise("7.3", "Answer after_item=<the index of the arrival after which the gate of "
          "three_inputs_buffered snapshots>.", "look for the trigger mark on the gate diagram's time axis.",
          lambda a, t: int(a["after_item"]) == t, lambda t: f"the snapshot follows item {t}")
def _gate_trigger():
    return api.run(scenario("gates/three_inputs_buffered")).report["gate"]["trigger_after"][1]
