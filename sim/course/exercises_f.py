"""Exercises of notebook 11's lifecycle part and notebook 10's two sinks (issue 15's scenarios)."""
from __future__ import annotations

from .. import api
from .checks import exercise, scenario


@exercise("11.3", "Answer held_ms=<how long the cancelled job's pre-committed transaction held the last "
          "stable offset in cancel_resubmit_beyond_timeout>.", "report['lso_holds'] lists each hold with "
          "its start and end.", lambda a, t: abs(float(a["held_ms"]) - t) <= 10,
          lambda t: f"{t:.1f} ms, until the broker's timeout aborted it")
def _lso_hold():
    hold = api.run(scenario("lifecycle/cancel_resubmit_beyond_timeout")).report["lso_holds"][0]
    return hold["end"] - hold["start"]


@exercise("11.4", "Answer duplicates=[the values committed twice in resubmit_older_savepoint].",
          "report['exactly_once']['duplicates'] has one entry per value.",
          lambda a, t: sorted(a["duplicates"]) == t, lambda t: f"{t}")
def _older_savepoint():
    report = api.run(scenario("lifecycle/resubmit_older_savepoint")).report
    return sorted(d["value"] for d in report["exactly_once"]["duplicates"])


@exercise("11.5", "Answer submissions=[(savepoint, parallelism) of each submission in stop_and_rescale].",
          "report['submissions'].", lambda a, t: [tuple(x) for x in a["submissions"]] == t,
          lambda t: f"{t}")
def _rescales():
    report = api.run(scenario("lifecycle/stop_and_rescale")).report
    return [(s["from"], s["parallelism"]) for s in report["submissions"]]


@exercise("10.4", "Answer legacy_restarts=<restarts of checkpoints_wider_than_timeout (FlinkKafkaProducer)>, "
          "kafkasink_restarts=<of kafka_sink_discards_commit (KafkaSink)>.", "report['restarts'] of each.",
          lambda a, t: (int(a["legacy_restarts"]), int(a["kafkasink_restarts"])) == t,
          lambda t: f"{t[0]} restart(s) with FlinkKafkaProducer, {t[1]} with KafkaSink")
def _two_sinks():
    return tuple(api.run(scenario(n)).report["restarts"] for n in
                 ("transactions/checkpoints_wider_than_timeout", "connectors/kafka_sink_discards_commit"))
