"""``simulate(scenario) -> Result``: build the environment, wire, run, collect.

One run owns its ``simpy.Environment``, its ``random.Random(seed)`` and its Trace; nothing is
global, so the same scenario and seed give a byte-identical trace.
"""
from __future__ import annotations

import gc
import random
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING

import simpy

from ..dataflow import FunctionRegistry, JobGraph
from ..kafka import KafkaCluster
from ..trace import Trace
from ..values import Record
from .inputs import InputProducers, SharedInput, input_rng, trim_inputs, write_inputs
from .readers import attach_consumers, consumer_specs
from .scheduling import run_counted

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = ["simulate", "Result", "gc_paused"]


class Result(Record):
    """What a run produced: the scenario, its trace, and run statistics."""

    __slots__ = ("scenario", "trace", "stats")

    def __init__(self, scenario: Scenario, trace: Trace, stats: dict | None = None) -> None:
        self.scenario = scenario
        self.trace = trace
        self.stats = {} if stats is None else stats


class _InstantEnvironment(simpy.Environment):
    """An environment that notes every simulated instant at which it processed an event.

    A crash can only change what happens next at an event, so these instants bound the crash
    points worth trying (``sim.explore``). Not every event writes a trace event (a buffer reaching
    a channel's queue does not), which is why they are taken here and not from the trace.
    """

    def __init__(self, instants: set) -> None:
        super().__init__()
        self.instants = instants

    def step(self) -> None:
        try:
            super().step()
        finally:
            self.instants.add(self.now)


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector for a run (reference counting still frees everything).

    NOTE: a run allocates millions of long-lived container objects (trace events, log entries)
    and few reference cycles; with the collector on, its passes over the ever-growing old
    generation took about half of a ``trace: control`` run. Cycles a run leaves behind (SimPy
    processes, interrupted generators) are collected once the collector is back on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def simulate(scenario: Scenario, functions: FunctionRegistry | None = None, trace_level: str | None = None,
             instants: set | None = None, shared: SharedInput | None = None, *, _fold: bool = True) -> Result:
    """Run a scenario of any kind and return its Result (``shared``: the generated input lines
    its ideal reference drew, see :class:`~sim.runtime.inputs.SharedInput`).

    For jobs, a read_committed reader named ``_checker`` is added on every sink topic that no
    declared read_committed consumer reads (the checker judges what such a reader saw against the
    ideal reference of ``sim.ideal``). ``_fold=False`` (for tests) makes a job's tasks wait for every
    timeout with SimPy, even one certainly next (:mod:`sim.runtime.scheduling`): the same run.
    """
    with gc_paused():
        return _simulate(scenario, functions, trace_level, instants, shared, _fold)


def _simulate(scenario, functions, trace_level, instants, shared=None, fold=True) -> Result:
    wall = time.perf_counter()
    if scenario.kind == "gate":
        from .gate_driver import run_gate
        trace = Trace("full")
        trace.emit(0.0, "run_start", None, scenario=scenario.name, seed=scenario.seed, level="full")
        run_gate(scenario, trace)
        end = trace.events[-1]["t"] if trace.events else 0.0
        stats = {"sim_time_ms": end, "events": 0, "record_hops": 0}
    elif scenario.kind == "chandy_lamport":
        from .chandy_lamport_run import run_chandy_lamport
        level = trace_level or scenario.run.get("trace", "full")
        trace = Trace(level)
        trace.emit(0.0, "run_start", None, scenario=scenario.name, seed=scenario.seed, level=level)
        stats = run_chandy_lamport(scenario, trace)
    else:
        trace, stats = _run_job(scenario, functions or FunctionRegistry(), trace_level, instants, shared, fold)
    stats["wall_seconds"] = round(time.perf_counter() - wall, 6)
    trace.close(stats.get("sim_time_ms", 0.0))
    return Result(scenario, trace, stats)


def _run_job(scenario, functions, trace_level, instants=None, shared=None, fold=True):
    from .job import Job
    from .task import RECORD_KINDS

    level = trace_level or scenario.run.trace
    trace = Trace(level)
    rng = random.Random(scenario.seed)
    env = simpy.Environment() if instants is None else _InstantEnvironment(instants)
    # NOTE: a folded timeout is an event SimPy never processes: not with instants noted per event
    env.fold = fold and instants is None
    specs = consumer_specs(scenario)
    graph = JobGraph.build(scenario, functions)
    plan = graph.expand()
    ops = scenario.job.operators
    trace.emit(0.0, "run_start", None, scenario=scenario.name, seed=scenario.seed, level=level,
               consumers=[{"name": n, "topic": t, "isolation": i} for n, t, i in specs],
               tasks=plan.describe(), connectors=_connectors(ops),
               topics={"input": sorted({op.topic for op in ops if op.type == "kafka_source"}),
                       "output": sorted({op.topic for op in ops if op.type == "kafka_sink"})})
    cluster = _cluster(scenario, input_rng(rng), shared)
    readers = attach_consumers(specs, cluster, trace, env)
    stop = env.event()
    job = Job(env, scenario, plan, functions, rng, trace, cluster, stop)
    job.input_producers = InputProducers(env, scenario, cluster, trace, job.check_drained)
    # input that no restore can ask for again is forgotten: memory stays bounded by the checkpoints.
    # NOTE: not with lifecycle actions: a submission may restore an older savepoint or start from nothing
    if not scenario.lifecycle:
        job.coordinator.on_complete.append(lambda retained: trim_inputs(cluster, plan, retained))
    env.process(_abort_scanner(env, cluster, trace, stop, job))
    job.start()
    until = scenario.run.until
    limit = scenario.run.max_time if until == "drained" else until
    # NOTE: load-bearing for the task loop: this timeout (or, once it fired, the stop it ends) stays queued
    # while tasks run, so they read env._queue[0] without testing for an empty queue (sim.runtime.scheduling)
    events = run_counted(env, simpy.AnyOf(env, [stop, env.timeout(limit)]))
    reason = job.stopped_reason or ("until" if until != "drained" else "max_time")
    for kind, n in zip(RECORD_KINDS, job.record_tally):
        if n:
            trace.counters[kind] += n
    readers.close(env.now)
    _run_end(scenario, job, trace, env.now, reason)
    hops = sum(t.hops for t in job.attempt.tasks) if job.attempt else 0
    stats = {"sim_time_ms": env.now, "events": events,
             "record_hops": hops + job.hops_of_failed_attempts}
    return trace, stats


def _connectors(ops) -> list[dict]:
    """The Kafka operators for ``run_start``: which implementation, which topic, which isolation."""
    out = []
    for op in ops:
        if op.type in ("kafka_source", "kafka_sink"):
            entry = {"operator": op.name, "type": op.type, "topic": op.topic, "implementation": op.implementation}
            if op.type == "kafka_source":
                entry["isolation"] = op.isolation
            out.append(entry)
    return out


def _cluster(scenario, rng, shared=None) -> KafkaCluster:
    """The Kafka cluster with the scenario's topics (partitions added by ``grow`` at their times) and input."""
    cluster = KafkaCluster({n: t.total() for n, t in scenario.kafka.topics.items()},
                           scenario.kafka.transaction_max_timeout, scenario.kafka.abort_scan_interval)
    for name, spec in scenario.kafka.topics.items():
        for partition in cluster.topics[name].partitions:
            partition.created = spec.created(partition.index)
    sink_topics = {op.topic for op in scenario.job.operators if op.type == "kafka_sink"}
    write_inputs(scenario, cluster, rng, set(scenario.kafka.topics) - sink_topics, shared)
    return cluster


def _run_end(scenario, job, trace, now: float, reason: str) -> None:
    """The ``run_end`` event. The run's end cancels the job (docs/rules.md: the coordinator): retention none (Flink's
    default) deletes the checkpoints in every case, also after a failure for good;
    delete_on_cancellation keeps them only after a failure; retain_on_cancellation always keeps them."""
    kept = [c.id for c in job.coordinator.completed]
    retention = scenario.checkpointing.retention
    if retention == "none" or (retention == "delete_on_cancellation" and job.failed_for_good is None):
        kept = []
    if job.state in ("cancelled", "finished"):
        kept = [c.id for c in job.retained]          # what the lifecycle's cancel or stop left
    trace.emit(now, "run_end", None, reason=reason, restarts=job.restarts, attempts=job.attempt_number,
               failed=job.failed_for_good, retained_checkpoints=kept)


def _abort_scanner(env, cluster, trace, stop, job):
    """The broker's periodic scan that aborts transactions older than their timeout."""
    interval = cluster.abort_scan_interval
    while not stop.triggered:
        yield env.timeout(interval)
        expired = cluster.transactions.expire(env.now)
        for txn in expired:
            trace.emit(env.now, "txn_timeout", None, txn=txn.id, age=env.now - txn.first_write,
                       timeout=txn.timeout, records=txn.records, checkpoint=txn.checkpoint)
        if expired:
            job.check_drained()            # a cancelled job's last open transaction may be gone
