"""Exercises of notebooks 8 (failover and restart strategies) and 9 (one crash across Flink versions)."""
from __future__ import annotations

from .. import api
from ..dataflow import JobGraph
from ..dataflow.regions import pipelined_regions
from ..explore import sweep
from .checks import exercise, scenario

RANDOM_FAILURES = "recovery/seed_random_failures"
SEEDS = list(range(1, 21))


def strategy_rows(restart: str, seeds=SEEDS) -> list[dict]:
    """One sweep row per seed of the random-failure job under ``restart`` (a YAML mapping)."""
    return sweep(scenario(RANDOM_FAILURES), {"seed": list(seeds)}, overrides=[f"restart={restart}", "expect={}"])


def regions(path_or_text, overrides=()) -> list[list[str]]:
    """The pipelined regions of a job scenario (a path or YAML text)."""
    text = str(path_or_text)
    load = api.load_text if "\n" in text else api.load_scenario
    plan = JobGraph.build(load(path_or_text, overrides=list(overrides))).expand()
    return pipelined_regions([t.name for t in plan.tasks], [(c.src, c.dst) for c in plan.channels])


@exercise("8.1", "Answer failed=<seeds out of 20 whose job fails for good with fixed_delay, 5 attempts>.",
          "strategy_rows('{strategy: fixed_delay, attempts: 5, delay: 100ms}') and count row['job_failed'].",
          lambda a, t: int(a["failed"]) == t, lambda t: f"{t} of 20 seeds fail for good")
def _five_attempts():
    return sum(r["job_failed"] for r in strategy_rows("{strategy: fixed_delay, attempts: 5, delay: 100ms}"))


#: a forward-only job: each source subtask feeds its own map and sink subtask, nothing is shuffled
PIPELINES = """
kind: job
name: parallel-pipelines
seed: 1
kafka: {topics: {lines: {partitions: 2}, out: {partitions: 2}}}
input:
  - generate: {topic: lines, rate: 100/s, duration: 1s, words: [a, b, c], words_per_line: 1}
job:
  parallelism: 2
  operators:
    - {name: source, type: kafka_source, implementation: FlinkKafkaConsumer, topic: lines, start_from: earliest}
    - {name: clean, type: map, function: lower}
    - {name: sink, type: kafka_sink, implementation: FlinkKafkaProducer, topic: out, transaction_timeout: 1min}
checkpointing: {interval: 200ms, initial_delay: 200ms}
restart: {strategy: fixed_delay, delay: 300ms}
faults:
  - {at: 500, crash: "clean[0]"}
consumers:
  - {name: committed, topic: out, isolation: read_committed}
"""


@exercise("8.2", "Answer forward=<regions of PIPELINES at parallelism 3 (3 partitions each)>, "
          "hash=<regions once its clean -> sink edge is a hash edge>.",
          "regions(PIPELINES, overrides=[...]); a hash edge joins every sender to every receiver.",
          lambda a, t: (int(a["forward"]), int(a["hash"])) == t, lambda t: f"{t[0]} regions, then {t[1]}")
def _regions_by_edge():
    wider = ["job.parallelism=3", "kafka.topics.lines.partitions=3", "kafka.topics.out.partitions=3"]
    shuffled = wider + ["job.edges=[{from: source, to: clean}, {from: clean, to: sink, partitioner: hash}]"]
    return len(regions(PIPELINES, wider)), len(regions(PIPELINES, shuffled))


RELEASES = ["1.9", "1.10", "1.11", "1.13", "1.15", "1.20"]


def on_release(name: str, release: str, overrides=()) -> "api.Run":
    """Run a shipped scenario as release ``release`` would, with its release-dependent keys removed.

    # NOTE: a scenario pins keys (``restart``, ``alignment``, ...) so that its worked-out times hold;
    # left in, they would hide the release's defaults, which are what this comparison is about.
    """
    import re
    text = scenario(name).read_text()
    text = re.sub(r"^(flink_version|restart|alignment|end_of_partition):.*$", "", text, flags=re.M)
    text = re.sub(r",\s*implementation: \w+", "", text)       # the Kafka connectors are the release's too
    return api.run(api.load_text(f'flink_version: "{release}"\n' + text,
                                 overrides=["expect={}", *overrides]))


@exercise("9.1", "Answer first_release=<the first release in RELEASES whose job restarts when checkpoint "
          "1 expires with tolerable_failures=0>.", "from which release does an expired checkpoint count as "
          "a failure? Print report['restarts'] per release.",
          lambda a, t: str(a["first_release"]) == t, lambda t: f"from {t} on an expiry fails the job over")
def _expiry_counts():
    for release in RELEASES:
        run = on_release("recovery/expired_checkpoint", release, ["checkpointing.tolerable_failures=0"])
        if run.report["restarts"]:
            return release
    return None


@exercise("9.2", "Answer old=<restarts of timeout_above_broker_max in its 60 s on 1.13>, new=<on 1.20>.",
          "the default restart strategy changed in 1.19: print the failovers' delays.",
          lambda a, t: (int(a["old"]), int(a["new"])) == t, lambda t: f"{t[0]} restarts on 1.13, {t[1]} on 1.20")
def _restart_loop():
    return tuple(on_release("transactions/timeout_above_broker_max", r).report["restarts"] for r in ("1.13", "1.20"))
