"""The job across its attempts, and one attempt (a deployment of every subtask).

``Job`` owns what survives a failover: the Kafka cluster, the checkpoint coordinator, the fault
plan and the restart strategy. ``Attempt`` builds the channels and tasks of one deployment,
restoring the latest completed checkpoint into every task (keyed state, source offsets, sink
transactions, in-flight buffers for unaligned checkpoints). A task failure restarts its pipelined
region (``job.failover: region``, :mod:`sim.runtime.failover`) or, when that region is the whole
job or the strategy is ``full``, fails the whole attempt (global failover): every task is
cancelled, everything in flight is dropped, and the restart strategy decides when the next
attempt starts.
"""
from __future__ import annotations

from ..dataflow.regions import pipelined_regions
from ..scenario.versions import release
from ..snapshot.handlers import make_handler
from .chain import OperatorChain
from .channel import Channel
from .checkpoint_store import StateBackend
from .coordinator import Coordinator
from .faults import FaultPlan
from .keygroups import DEFAULT_MAX_PARALLELISM
from .lifecycle import Lifecycle
from .mail import ResumeInput
from .operators import bare_records, build_operator, gives_pairs, gives_words
from .outputs import Outputs
from .errors import TaskFailure
from .failover import RegionFailoverMixin
from .rescale import restored_state
from .restart_strategy import RestartStrategy
from .sink import TwoPhaseCommitSink
from .source import SourceStreamTask
from .task import StreamTask

__all__ = ["Job", "Attempt"]


class Job:
    """The job across its attempts: cluster, coordinator, fault plan, restart strategy."""
    def __init__(self, env, scenario, plan, functions, rng, trace, cluster, stop_event) -> None:
        self.env = env
        self.scenario = scenario
        self.plan = plan
        self.functions = functions
        self.rng = rng
        self.numerals: list = []          # str(i) at [i]: the run's keyed sums of words share it (operators.KeyedSum)
        self.trace = trace
        self.cluster = cluster
        self.stop_event = stop_event
        self.backend = StateBackend.from_spec(scenario.state_backend)
        self.coordinator = Coordinator(self)
        self.faults = FaultPlan(self, scenario.faults, rng)
        self.restart = RestartStrategy(scenario.restart, rng)
        self.attempt: Attempt | None = None
        self.attempt_number = 0
        self.restarts = 0
        self.failed_for_good = None
        self.txn_counter: dict[str, int] = {}
        self.restart_pending = False
        self.stopped_reason = None
        self.hops_of_failed_attempts = 0
        #: summary counts of RECORD_KINDS kept by every task of every attempt; engine adds them to the trace
        self.record_tally = [0, 0, 0]
        self.regions = pipelined_regions([t.name for t in plan.tasks], [(c.src, c.dst) for c in plan.channels])
        self.tasks_by_name = {t.name: t for t in plan.tasks}
        self.reshaped = False                # the restored checkpoint was taken by tasks of another shape
        self.input_producers = None          # the scenario's transactional input (inputs.InputProducers)
        self.state = "running"               # running | finished (stop-with-savepoint) | cancelled | failed
        self.savepoints: dict = {}           # name -> CompletedCheckpoint (never deleted)
        self.retained: list = []             # what a cancelled or finished job leaves to submit from
        self.lifecycle = Lifecycle(self, scenario.lifecycle)
        self.bounded_stops: dict = {}        # bounded source -> {partition: stopping offset}
        self.input_ended = False             # every bounded source has read to its stopping offsets

    def start(self) -> None:
        """Install the fault plan and deploy the first attempt."""
        self.faults.start()
        self.deploy(None)

    def running(self) -> bool:
        """Every task runs: no failover is in progress (checkpoints may be triggered)."""
        return self.attempt is not None and not self.attempt.failing and not self.attempt.down

    def deploy(self, checkpoint) -> None:
        """Deploy a new attempt restored from ``checkpoint`` (None: fresh) and start checkpointing."""
        self.attempt_number += 1
        self.restart_pending = False
        self.attempt = Attempt(self, self.attempt_number, checkpoint)
        self.faults.install(self.attempt.tasks)
        self.attempt.start()
        self.coordinator.start()

    def on_failure(self, reason: str) -> None:
        """The current attempt failed: restart per the strategy, or give up."""
        self.coordinator.job_failed()
        delay = self.restart.next_delay(self.env.now)
        if delay is None:
            self.give_up(f"{reason}; the restart strategy '{self.scenario.restart.strategy}' gives up")
            return
        self.restart_pending = True
        number = self.attempt_number

        def restart(_event):
            if self.attempt_number != number or self.stop_event.triggered or self.state != "running":
                return
            self.restarts += 1
            latest = self.coordinator.latest()
            self.trace.emit(self.env.now, "job_restart", "jobmanager", attempt=self.attempt_number + 1,
                            checkpoint=latest.id if latest else None, delay=delay)
            self.deploy(latest)

        self.env.timeout(delay).callbacks.append(restart)

    def on_region_failure(self, attempt, names: set[str], reason: str) -> None:
        """A region of ``attempt`` failed: restart it after the strategy's delay, or give up."""
        if self.coordinator.job_failed():
            # NOTE: the failover aborts the stop's savepoint, so the stop fails and the job goes on: the
            # surviving sources leave the synchronous savepoint and read again (Flink:
            # StopWithSavepointTerminationHandlerImpl restarts the checkpoint scheduler on a failed
            # savepoint; StreamTask.notifyCheckpointAbortAsync ends a source's synchronous savepoint).
            attempt.stopping = False
            attempt.resume_sources()
        delay = self.restart.next_delay(self.env.now)
        if delay is None:
            self.give_up(f"{reason}; the restart strategy '{self.scenario.restart.strategy}' gives up")
            return

        def restart(_event):
            if self.attempt is not attempt or attempt.failing or self.stop_event.triggered or self.state != "running":
                return                           # a global failover or the run's end came first
            self.restarts += 1
            self.attempt_number += 1
            latest = self.coordinator.latest()
            self.trace.emit(self.env.now, "job_restart", "jobmanager", attempt=self.attempt_number,
                            checkpoint=latest.id if latest else None, delay=delay, tasks=sorted(names))
            attempt.redeploy_region(names, latest, self.attempt_number)
            self.coordinator.start()

        self.env.timeout(delay).callbacks.append(restart)

    # --- the job's end and a new submission (lifecycle) ----------------------------------------------
    def end(self, state: str, savepoint=None, close_cause: str = "closed: the job finished") -> None:
        """The job is cancelled, or finished after a stop-with-savepoint: every task stops now."""
        now, attempt = self.env.now, self.attempt
        self.coordinator.job_failed(reason="job_" + state)
        self.state = state
        if attempt is not None and not attempt.failing:
            attempt.shut_down(close_sinks=state == "finished", close_cause=close_cause)
        self.attempt = None
        self.restart_pending = False
        cp = self.scenario.checkpointing
        keep = state == "finished" or cp.retention == "retain_on_cancellation"
        self.retained = list(self.coordinator.completed) if keep else []
        open_txns = sorted(t.id for t in self.cluster.transactions.ongoing.values() if t.first_write is not None)
        if state == "finished":
            self.trace.emit(now, "job_finished", "jobmanager", savepoint=savepoint, open_transactions=open_txns)
        else:
            self.trace.emit(now, "job_cancelled", "jobmanager", retained_checkpoints=[c.id for c in self.retained],
                            open_transactions=open_txns)

    def resubmit(self, checkpoint, spec, submission: int) -> None:
        """Run the job again (docs/lifecycle.md): a new coordinator whose ids continue after ``checkpoint``."""
        from ..dataflow import JobGraph
        from .lifecycle import resubmitted_scenario
        self.scenario = resubmitted_scenario(self.scenario, spec)
        self.plan = JobGraph.build(self.scenario, self.functions).expand()
        self.tasks_by_name = {t.name: t for t in self.plan.tasks}
        self.regions = pipelined_regions([t.name for t in self.plan.tasks],
                                         [(c.src, c.dst) for c in self.plan.channels])
        self.reshaped = checkpoint is not None and set(checkpoint.tasks) != set(self.tasks_by_name)
        self.coordinator = Coordinator(self)
        self.coordinator.next_id = checkpoint.id + 1 if checkpoint is not None else 1
        self.coordinator.completed = [checkpoint] if checkpoint is not None else []
        self.restart = RestartStrategy(self.scenario.restart, self.rng)
        self.state = "running"
        self.trace.emit(self.env.now, "job_submit", "jobmanager", submission=submission, source=spec.from_,
                        checkpoint=checkpoint.id if checkpoint is not None else None,
                        parallelism=self.scenario.job.parallelism, attempt=self.attempt_number + 1, error=None)
        self.deploy(checkpoint)

    def _end_of_input(self) -> None:
        """Bounded input read to its end: the tasks finish (docs/rules.md: the release table, FLIP-147). From 1.15 a final
        checkpoint commits the last transaction first; before, the job finishes without one and the
        sinks' last transaction is never committed (it is aborted when the sink closes)."""
        attempt = self.attempt
        if (self.input_ended or self.state != "running" or not self.bounded_stops or attempt is None
                or attempt.failing or attempt.down or self.restart_pending or not attempt.quiet()
                or not all(t.reader.exhausted() for t in attempt.sources)):
            return
        self.input_ended = True
        final = release(self.scenario.flink_version).final_checkpoint
        self.trace.emit(self.env.now, "lifecycle", "jobmanager", action="end of input",
                        detail="a final checkpoint, then the job finishes" if final else
                        "the job finishes without a final checkpoint (before Flink 1.15)", savepoint=None)
        if final:
            attempt.stopping = True
            self.coordinator.stop()
            self.coordinator.trigger(stop=True)
        else:
            self.end("finished", close_cause="closed when the input ended: no final checkpoint before Flink 1.15")

    def give_up(self, reason: str) -> None:
        """The job failed for good: record why and stop the run."""
        self.state = "failed"
        self.failed_for_good = reason
        self.trace.emit(self.env.now, "job_failed", "jobmanager", reason=reason)
        self.stop("job_failed")

    def stop(self, reason: str) -> None:
        """Stop the run (once) with ``reason``."""
        if not self.stop_event.triggered:
            self.stopped_reason = reason
            self.stop_event.succeed(reason)

    def check_drained(self) -> None:
        """Stop a ``until: drained`` run once input is consumed and all output committed."""
        self._end_of_input()
        if self.scenario.run.until != "drained" or self.stop_event.triggered or self.lifecycle.pending \
                or self.coordinator.queued_savepoints:
            return
        # a pending savepoint, stop or final checkpoint is still to end the job or to be kept
        if any(pc.savepoint is not None or pc.stop for pc in self.coordinator.pending.values()):
            return
        if self.input_producers is not None and self.input_producers.pending:
            return
        # a transaction with records still open on the broker (a cancelled job's, an old prefix's) holds
        # back read_committed readers: the run is drained only once the broker has ended it
        if any(t.first_write is not None for t in self.cluster.transactions.ongoing.values()):
            return
        if self.state in ("finished", "cancelled"):
            self.stop(self.state)
            return
        attempt = self.attempt
        if attempt is None or attempt.failing or attempt.down or attempt.stopping or self.restart_pending \
                or self.faults.pending_timed:
            return
        if not attempt.quiet() or not all(t.reader.exhausted() for t in attempt.sources):
            return
        if any(sink.batch for sink in attempt.sinks):
            return
        if self.scenario.checkpointing.interval is not None and any(sink.uncommitted() for sink in attempt.sinks):
            return
        self.stop("drained")


class Attempt(RegionFailoverMixin):
    """One deployment of the job: channels and tasks, restored from a checkpoint or fresh."""

    def __init__(self, job: Job, number: int, checkpoint) -> None:
        self.job = job
        self.env = job.env
        self.trace = job.trace
        self.number = number
        self.coordinator = job.coordinator
        self.backend = job.backend
        self.faults = job.faults
        self.failing = False
        self.down: set[str] = set()          # tasks of regions waiting for their restart
        self.init_failures: list = []        # (task name, reason): tasks that fail while they start
        self.stopping = False                # stop-with-savepoint: the sources stay paused
        self.active = 0                      # tasks not idle
        self.quiet_callbacks: list = []
        s = job.scenario
        net = s.job.network
        self.buffer_size = net.buffer_size
        self.buffer_timeout = net.buffer_timeout
        cp = s.checkpointing
        self.unaligned_from_source = cp.unaligned and cp.aligned_timeout <= 0
        #: > 0: a barrier still queued behind output buffers this long after its trigger turns unaligned
        #: in the sender (the output side of aligned_timeout, Flink >= 1.16); 0: it waits for credits
        rel = release(s.flink_version)
        self.output_timeout = cp.aligned_timeout if cp.unaligned and cp.aligned_timeout > 0 and \
            rel.aligned_timeout_output else 0.0
        #: Flink 1.13: the aligned timeout counts from the first barrier's arrival at each task
        self.timeout_from_arrival = not rel.aligned_timeout_from_trigger
        self.checkpoint = checkpoint
        self.channels = [Channel(self.env, spec, net.latency, net.capacity)
                         for spec in job.plan.channels]
        self.tasks: list[StreamTask] = []
        self.sources: list[SourceStreamTask] = []
        self.sinks: list[TwoPhaseCommitSink] = []
        for spec in job.plan.tasks:
            self.tasks.append(self._build(spec))
        for task in self.tasks:
            for ch in task.gate.channels:
                ch.receiver = task
        self.restore_inflight(checkpoint)
        self.active = len(self.tasks)

    def restore_inflight(self, checkpoint, indexes=None) -> None:
        """Put the checkpoint's persisted in-flight buffers back into the channels (``indexes``: only those)."""
        # NOTE: in-flight data (unaligned) is put back only into the same channels; a reshaped job drops it
        if checkpoint is None or self.job.reshaped:
            return
        for index, buffers in sorted(checkpoint.inflight().items()):
            if indexes is None or index in indexes:
                self.channels[index].restore(buffers)
                self.trace.emit(self.env.now, "inflight_restore", self.channels[index].spec.dst,
                                checkpoint=checkpoint.id, channel=self.channels[index].name,
                                n=sum(len(b) for b in buffers))

    def _build(self, spec) -> StreamTask:
        job = self.job
        restored = restored_state(self.checkpoint, spec, job.reshaped)
        outputs = Outputs([([self.channels[c.index] for c in chs], chs[0].partitioner if chs else "forward",
                            self._max_parallelism(chs)) for chs in spec.outputs], self.buffer_size, job.rng,
                          bare_records(self.trace), gives_pairs(spec.ops[-1], job.functions),
                          gives_words(self, spec, spec.ops[-1]))
        inputs = [self.channels[c.index] for c in spec.inputs]
        ops = [build_operator(self, spec, op_spec, restored.get(op_spec.name) if restored else None)
               for op_spec in spec.ops]
        chain = OperatorChain(list(spec.operators), ops, [self._ptime(op_spec) for op_spec in spec.ops])
        if restored is not None and self.trace.control and spec.head.type != "kafka_source":
            self.trace.emit(self.env.now, "state_restore", spec.name, checkpoint=self.checkpoint.id,
                            state=chain.describe_state())
        cls = SourceStreamTask if spec.head.type == "kafka_source" else StreamTask
        task = cls(self, spec, chain, self._handler(len(inputs)), inputs, outputs)
        if cls is SourceStreamTask:
            self.sources.append(task)
        return task

    def _max_parallelism(self, chs) -> int:
        """The key groups of the operator an out-edge feeds (128 unless it is a keyed_sum that sets them)."""
        if not chs:
            return DEFAULT_MAX_PARALLELISM
        head = self.job.tasks_by_name[chs[0].dst].head
        return getattr(head, "max_parallelism", DEFAULT_MAX_PARALLELISM)

    def _ptime(self, op_spec) -> float:
        if op_spec.processing_time is not None:
            return op_spec.processing_time
        ptimes = self.job.scenario.job.processing_time
        return ptimes.get(op_spec.name, ptimes.get("default", 0.1))

    def _handler(self, channels: int):
        cp = self.job.scenario.checkpointing
        n = max(channels, 1)
        if cp.mode == "at_least_once":
            return make_handler("at_least_once", n, end_of_partition=cp.end_of_partition)
        if cp.unaligned:
            kind = "alternating" if cp.aligned_timeout > 0 else "unaligned"
            return make_handler(kind, n, end_of_partition=cp.end_of_partition, aligned_timeout=cp.aligned_timeout,
                                size_of=len, timeout_from_arrival=self.timeout_from_arrival)
        return make_handler("aligned", n, alignment=cp.alignment, end_of_partition=cp.end_of_partition, size_of=len)

    def alive(self) -> bool:
        """False once the attempt fails (for callbacks scheduled by its parts)."""
        return not self.failing

    def start(self, tasks=None) -> None:
        """Start the processes of ``tasks`` (default: every task)."""
        for task in self.tasks if tasks is None else tasks:
            task.start()
        if self.init_failures:
            # tasks that failed while initialising their state: ordinary failures, right after deployment
            failures, self.init_failures = self.init_failures, []
            self.env.timeout(0).callbacks.append(lambda _e: self._fail_init(failures))

    def _fail_init(self, failures: list) -> None:
        for name, reason in failures:
            task = next(t for t in self.tasks if t.name == name)
            if not task.dead and not self.failing:
                task.dead = True
                self.fail(task, reason)

    # --- failure ---------------------------------------------------------------------------------
    def fail(self, task, reason: str) -> None:
        """A task failed (or the coordinator gave up): restart its region, or cancel everything."""
        if self.failing:
            return
        region = self.region_to_restart(task)
        if region is not None:
            self.fail_region(task, region, reason)
            return
        self.failing = True
        now = self.env.now
        if task is not None:
            self.trace.emit(now, "task_crash", task.name, reason=reason, attempt=task.number)
        in_flight = sum(len(ch.queue) for ch in self.channels)
        self.trace.emit(now, "job_failing", "jobmanager", attempt=task.number if task else self.number, reason=reason,
                        dropped_in_flight=in_flight, restarted=[t.name for t in self.tasks])
        # NOTE: the tasks of a region that is down were counted by fail_region already
        self.job.hops_of_failed_attempts += sum(t.hops for t in self.tasks if not t.cancelled)
        for t in self.tasks:
            t.cancel()
        for ch in self.channels:
            ch.queue.clear()
        self.job.on_failure(reason)

    def shut_down(self, close_sinks: bool, close_cause: str = "closed: the job finished") -> None:
        """Stop every task without a failover (cancel, or the end of a stop-with-savepoint).

        ``close_sinks``: the job finished, so each sink's ``close()`` runs (FlinkKafkaProducer aborts
        its current, empty transaction); a cancelled job's tasks stop at once and leave every
        transaction open on the broker (docs/lifecycle.md).
        """
        self.failing = True
        if close_sinks:
            for sink in self.sinks:
                sink.close(close_cause)
        # NOTE: the tasks of a region that is down were counted by fail_region already
        self.job.hops_of_failed_attempts += sum(t.hops for t in self.tasks if not t.cancelled)
        for t in self.tasks:
            t.cancel()
        for ch in self.channels:
            ch.queue.clear()

    # --- quiescence (stop the world, drained) ------------------------------------------------------
    def went_idle(self, task) -> None:
        """``task`` has nothing to do; when every task is idle and nothing is in flight, the job is quiet."""
        self.active -= 1
        if self.active == 0 and not self.in_flight():
            if self.quiet_callbacks and self.quiet():
                callbacks, self.quiet_callbacks = self.quiet_callbacks, []
                for cb in callbacks:
                    cb()
            self.job.check_drained()

    def quiet(self) -> bool:
        """Nothing in flight, no task busy, no partial output buffer."""
        return self.active == 0 and not self.in_flight() and not any(t.outputs.dirty for t in self.tasks)

    def in_flight(self) -> bool:
        """Some item is in a channel (in flight or queued at its receiver).

        NOTE: asked only when no task is busy; a count kept per push and take cost about 1 % of a
        ``buffer_size: 1`` run. A failed attempt clears its channels; a region's are cleared before
        they are replaced."""
        return any(ch.queue for ch in self.channels)

    def when_quiet(self, callback) -> None:
        """Call ``callback`` once the attempt is quiet (stop-the-world checkpoints)."""
        self.quiet_callbacks.append(callback)

    def resume_sources(self) -> None:
        """Let paused sources read again (not while a stop-with-savepoint holds them)."""
        if self.stopping:
            return
        for task in self.sources:
            if task.paused:
                task.post(ResumeInput())
