"""Exercises of notebook 10 (the Kafka side: transactional ids, fencing, the last stable offset)."""
from __future__ import annotations

from .. import api
from .checks import exercise, scenario


@exercise("10.1", "Answer transactional_id=<the id sink[1]#3 uses>, epoch=<its epoch>.",
          "print the txn_begin events: transaction, transactional_id, epoch.",
          lambda a, t: (a["transactional_id"], int(a["epoch"])) == t,
          lambda t: f"sink[1]#3 uses {t[0]} at epoch {t[1]}")
def _txn_id():
    run = api.run(scenario("hello_world_crash"))
    e = next(e for e in run.trace.of("txn_begin") if e["txn"] == "sink[1]#3")
    return e["transactional_id"], e["epoch"]


@exercise("10.2", "Answer until_ms=<when the last stable offset of counts-0 moves past the lingering "
          "transaction>.", "step the player's state (Player(run.trace).text(t)) or find the broker's "
          "txn_timeout event.", lambda a, t: abs(float(a["until_ms"]) - t) <= 1,
          lambda t: f"the broker aborts the lingering transaction at {t:.0f} ms")
def _lingering():
    run = api.run(scenario("transactions/crash_before_notify_timed_out"))
    return run.trace.of("txn_timeout")[0]["t"]


@exercise("10.3", "Answer checkpoint=<the checkpoint whose commit is refused in seed_job>, "
          "fails_job=<True or False: does the refusal fail the job?>.",
          "print the producer_fenced events and the failovers around them.",
          lambda a, t: (int(a["checkpoint"]), bool(a["fails_job"])) == t,
          lambda t: f"checkpoint {t[0]}'s commit is refused; the job " + ("fails over" if t[1] else "keeps running"))
def _fenced_commit():
    run = api.run(scenario("seed_job"))
    fenced = run.trace.of("producer_fenced")[0]
    fails = any(abs(f["t"] - fenced["t"]) < 1e-6 for f in run.report["failovers"])
    return fenced["checkpoint"], fails


def retained(name: str, retention: str, overrides=()) -> dict:
    """How a run of shipped scenario ``name`` ends with ``retention``: reason and kept checkpoints."""
    run = api.run(api.load_scenario(scenario(name), [f"checkpointing.retention={retention}", *overrides,
                                                     "expect={}"]))
    end = run.trace.of("run_end")[0]
    return {"reason": end["reason"], "kept": end["retained_checkpoints"]}


@exercise("11.1", "Answer kept=[checkpoints kept when hello_world_crash fails for good under "
          "delete_on_cancellation].", "restart={strategy: none} makes the crash final; a failure is not "
          "a cancellation.", lambda a, t: [int(c) for c in a["kept"]] == t, lambda t: f"kept: {t}")
def _kept_after_failure():
    return retained("hello_world_crash", "delete_on_cancellation", ["restart={strategy: none}"])["kept"]


@exercise("11.2", "Answer kept=[checkpoints the seed job keeps when its 90 s are over].",
          "the end of a run counts as a cancellation; which retention does seed_job.yaml set?",
          lambda a, t: [int(c) for c in a["kept"]] == t, lambda t: f"kept: {t}")
def _kept_by_seed_job():
    run = api.run(scenario("seed_job"))
    return run.trace.of("run_end")[0]["retained_checkpoints"]
