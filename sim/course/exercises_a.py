"""Exercises of notebooks 1-3: alignment, crash and replay, two-phase commit.

Each ``truth`` runs the simulator; each ``holds`` lambda compares the student's keyword answer.
"""
from __future__ import annotations

from .. import api
from ..explore import sweep
from .checks import exercise, scenario

MY_GATE_LIMIT = """
kind: gate
name: my-gate-limit
channels: 2
alignment: buffer
max_buffered_bytes: 150
sequence: [B0, "BAR(1,0)", B0(100), B0(100), B1, "BAR(2,1)", B1, "BAR(2,0)"]
"""


def _near(a, b, rel=0.05, abs_=1.0) -> bool:
    return abs(float(a) - float(b)) <= max(abs_, rel * abs(float(b)))


@exercise("1.1", "Answer item=<index of the item that crosses the limit>, checkpoint1=<'completed' or "
          "'aborted'>.", "the limit counts the bytes held for blocked channels; add the sizes of the held "
          "buffers one by one and look for the gate_item whose actions abort.",
          lambda a, t: int(a["item"]) == t["item"] and a["checkpoint1"] == t["checkpoint1"],
          lambda t: f"item {t['item']} pushes the buffered bytes past 150: checkpoint 1 is {t['checkpoint1']} "
                    f"({t['reason']}), the held data is released and checkpoint 2 is triggered")
def _gate_limit():
    run = api.run(api.load_text(MY_GATE_LIMIT))
    aborts = [e for e in run.trace.of("gate_item") if any(a[0] == "abort" for a in e["actions"])]
    reason = dict(map(tuple, run.report["gate"]["aborted"])).get(1)
    return {"item": aborts[0]["index"] if aborts else None, "reason": reason,
            "checkpoint1": "aborted" if reason else "completed"}


@exercise("1.2", "Answer items=[indexes processed before the snapshot although they came after their "
          "channel's barrier].", "compare report['gate']['emitted'] with trigger_after: which emitted "
          "items came from channels 1 and 2 after their barriers (steps 2 and 3)?",
          lambda a, t: sorted(int(i) for i in a["items"]) == t, lambda t: f"items {t}")
def _at_least_once_items():
    run = api.run(api.load_scenario(scenario("gates/three_inputs_buffered"),
                                    ["handler=at_least_once", "alignment=block"]))
    barrier_at = {}
    for e in run.trace.of("gate_item"):
        if e["item"].startswith("BAR("):
            barrier_at.setdefault(e["channel"], e["index"])
    trigger = run.report["gate"]["trigger_after"][1]
    return sorted(e["index"] for e in run.trace.of("gate_item") if e["index"] < trigger and
                  any(a[0] == "emit" for a in e["actions"]) and e["index"] > barrier_at.get(e["channel"], 1e9))


def _latency_gap(processing: str) -> float:
    path = scenario("transactions/committed_latency")
    busy = ["checkpointing.interval=100ms", "input[0].generate.rate=400/s", f"job.processing_time.default={processing}"]
    mean = {}
    for mode in ("exactly_once", "stop_the_world"):
        run = api.run(api.load_scenario(path, [f"checkpointing.mode={mode}", *busy]))
        mean[mode] = run.report["latency"]["uncommitted"]["end_to_end_mean"]
    return mean["stop_the_world"] - mean["exactly_once"]


@exercise("1.3", "Answer gap_ms=<mean latency of stop_the_world minus exactly_once at 2.4ms>, "
          "grows=<True or False: is it larger than at 2ms?>.", "print both means at 2.4ms and subtract; "
          "a stalled pipeline that is nearly saturated cannot catch up between checkpoints.",
          lambda a, t: _near(a["gap_ms"], t["gap"], rel=0.1) and bool(a["grows"]) == t["grows"],
          lambda t: f"the gap is {t['gap']:.1f} ms at 2.4ms against {t['before']:.1f} ms at 2ms")
def _stop_the_world_gap():
    before, gap = _latency_gap("2ms"), _latency_gap("2.4ms")
    return {"gap": gap, "before": before, "grows": gap > before}


def _crash_run(overrides):
    return api.run(api.load_scenario(scenario("hello_world_crash"), overrides))


@exercise("2.1", "Answer lost=<how many values the committed reader lost>.", "the restarted source has "
          "no checkpoint to restore its offset from; where does start_from: latest put it?",
          lambda a, t: int(a["lost"]) == t, lambda t: f"{t} values lost: the source restarted at the end of "
          "the partition and never read the three records")
def _latest_before_checkpoint():
    run = _crash_run(["job.operators[0].start_from=latest", "faults=[{at: 120, crash: count}]"])
    return len(run.report["exactly_once"]["lost"])


@exercise("2.2", "Answer same=<True if the committed output is unchanged>.", "compare "
          "report['consumers']['committed'] of both runs; what does a restart restore?",
          lambda a, t: bool(a["same"]) == t, lambda t: "the committed output is " +
          ("the same, only later" if t else "different"))
def _slow_restart():
    fast, slow = _crash_run([]), _crash_run(["restart.delay=5s"])
    return fast.report["consumers"]["committed"] == slow.report["consumers"]["committed"]


@exercise("2.3", "Answer checkpoints=[checkpoint restored by the 1st restart, by the 2nd].", "read the "
          "'checkpoint' field of run.trace.of('job_restart').",
          lambda a, t: [int(c) for c in a["checkpoints"]] == t, lambda t: f"restores from checkpoints {t}")
def _two_crashes():
    run = _crash_run(["faults=[{at: 250, crash: split}, {at: 700, crash: sink}]"])
    return [e["checkpoint"] for e in run.trace.of("job_restart")]


@exercise("3.1", "Answer transaction=<id of the transaction committed on restore, e.g. 'sink[0]#1'>.",
          "crash at the first checkpoint_complete time + 20 ms and print report['transactions']: which "
          "one's cause is 'recovered on restore'?",
          lambda a, t: a["transaction"] in t, lambda t: f"{', '.join(t)} committed on restore")
def _commit_on_restore():
    path = scenario("transactions/isolation_levels")
    first = api.run(api.load_scenario(path, ["checkpointing.notify_delay=50ms"]))
    done = first.trace.of("checkpoint_complete")[0]["t"]
    run = api.run(api.load_scenario(path, ["checkpointing.notify_delay=50ms",
                                           f"faults=[{{at: {done + 20}, crash: sink}}]"]))
    return [t["id"] for t in run.report["transactions"] if t["cause"] == "recovered on restore"]


@exercise("3.2", "Answer committed=[the values the committed reader sees].", "an at-least-once sink "
          "writes without transactions: what does read_committed filter then?",
          lambda a, t: list(a["committed"]) == t, lambda t: f"{t}: the replayed hello:::2 appears twice")
def _at_least_once_sink():
    run = api.run(api.load_scenario(scenario("transactions/isolation_levels"),
                                    ["job.operators[4].semantic=at_least_once"]))
    return run.report["consumers"]["committed"]


@exercise("3.3", "Answer latency_ms=<mean read_committed latency at an 800ms interval>, "
          "closer_to='half' or 'whole' (interval).", "read the sweep's row for 800ms.",
          lambda a, t: _near(a["latency_ms"], t, rel=0.05) and
          a["closer_to"] == ("half" if abs(t - 400) < abs(t - 800) else "whole"),
          lambda t: f"{t:.1f} ms at 800ms")
def _latency_800():
    rows = sweep(scenario("transactions/committed_latency"), {"checkpointing.interval": ["800ms"]})
    return rows[0]["mean_read_latency_ms"]
