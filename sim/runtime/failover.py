"""Region failover: a failed task restarts its pipelined region only (Flink >= 1.10's default).

``job.failover: region`` (the default from 1.10) restarts the region of the failed task -- the
tasks joined to it by channels (:mod:`sim.dataflow.regions`); ``full`` (Flink <= 1.9) restarts
every task. A job with a keyBy, rebalance or broadcast edge is one region, so both strategies
restart everything; a forward-only job has one region per parallel pipeline.

A region failover cancels the region's tasks and drops the data in its channels (a region's
channels never leave it), while the other tasks keep running and keep their open and
pre-committed transactions. The coordinator aborts its pending checkpoints and triggers none
while a region is down (Flink declines them: not all tasks are running). After the restart
strategy's delay the region's tasks are deployed again from the latest completed checkpoint --
state, source offsets, sink transactions, persisted in-flight data of its channels -- under a new
attempt number, and checkpointing restarts. A failure the coordinator raises (too many checkpoint
failures) is a global failover: every task restarts.
"""
from __future__ import annotations

from .channel import Channel
from .task import IDLE

__all__ = ["RegionFailoverMixin"]


class RegionFailoverMixin:
    """Region restarts for :class:`sim.runtime.job.Attempt` (uses its tasks and channels)."""

    def region_to_restart(self, task) -> set[str] | None:
        """The names of the tasks a failure of ``task`` restarts, or None for all of them."""
        if task is None or self.job.scenario.job.failover == "full":
            return None
        region = next(set(r) for r in self.job.regions if task.name in r)
        return None if len(region) == len(self.tasks) else region

    def fail_region(self, task, names: set[str], reason: str) -> None:
        """Cancel the tasks of one region and drop its in-flight data; the rest keeps running."""
        now = self.env.now
        doomed = [t for t in self.tasks if t.name in names]
        channels = [ch for ch in self.channels if ch.spec.dst in names]
        self.trace.emit(now, "task_crash", task.name, reason=reason, attempt=task.number)
        self.trace.emit(now, "job_failing", "jobmanager", attempt=task.number, reason=reason,
                        dropped_in_flight=sum(len(ch.queue) for ch in channels),
                        restarted=[t.name for t in doomed])
        self.job.hops_of_failed_attempts += sum(t.hops for t in doomed)
        for t in doomed:
            if t.state != IDLE:
                self.active -= 1             # the attempt counts the tasks that are not idle
            t.cancel()
        for sink in self.sinks:
            if sink.task_name in names:
                sink.dead = True             # its producer's batch dies with it
        for ch in channels:
            ch.queue.clear()
        self.down |= names
        self.job.on_region_failure(self, names, reason)

    def redeploy_region(self, names: set[str], checkpoint, number: int) -> None:
        """Deploy the region's tasks again, restored from ``checkpoint`` (None: start settings)."""
        self.number, self.checkpoint = number, checkpoint
        net = self.job.scenario.job.network
        specs = [c for c in self.job.plan.channels if c.dst in names]
        for spec in specs:
            self.channels[spec.index] = Channel(self.env, spec, net.latency, net.capacity)
        self.sources = [t for t in self.sources if t.name not in names]
        self.sinks = [s for s in self.sinks if s.task_name not in names]
        fresh = []
        for i, spec in enumerate(self.job.plan.tasks):
            if spec.name in names:
                self.tasks[i] = self._build(spec)
                fresh.append(self.tasks[i])
        for t in fresh:
            for ch in t.gate.channels:
                ch.receiver = t
        self.restore_inflight(checkpoint, {s.index for s in specs})
        self.active += len(fresh)
        self.down -= names
        self.job.faults.install(fresh)
        self.start(fresh)
