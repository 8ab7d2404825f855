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
