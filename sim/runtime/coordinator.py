"""The checkpoint coordinator (Flink's JobManager side of checkpointing).

Triggers checkpoints periodically. The period is ``interval`` raised to ``min_pause`` when it is
smaller; the first trigger after the job starts -- and after every failover -- comes after a random
delay drawn uniformly from [min_pause, period] with the run's RNG (``initial_delay`` pins it). At
most ``max_concurrent`` checkpoints are pending; ``min_pause`` drops a trigger that comes too soon
and reschedules it to the first allowed instant; checkpoints expire after ``timeout``. A checkpoint
completes when every task has acknowledged (subsuming older pending ones), then
``notify_checkpoint_complete`` goes to every task. A decline aborts the checkpoint and tells each
task once. Failures count against ``tolerable_failures`` by reason (docs/rules.md: the coordinator): a generic decline,
an asynchronous failure and -- from Flink 1.11 -- an expiry count; a subsumed checkpoint, a decline
caused by a cancellation marker, end of input and the alignment limit do not. One more consecutive
counted failure than tolerated fails the job over. ``stop_the_world`` mode pauses the sources,
waits until nothing is in flight, snapshots every task, and resumes.
"""
from __future__ import annotations

import math

from ..scenario.versions import release
from .checkpoint_store import CompletedCheckpoint, TaskSnapshot
from .mail import PauseInput, TriggerCheckpoint, TriggerSavepoint

__all__ = ["Coordinator", "PendingCheckpoint", "COUNTED"]

#: decline reasons that count against tolerable_failures (Flink's CheckpointFailureManager:
#: CHECKPOINT_DECLINED, CHECKPOINT_ASYNC_EXCEPTION; expiry is decided by the release)
COUNTED = frozenset({"declined", "async_failure"})


class PendingCheckpoint:
    """A triggered checkpoint: the acknowledgements so far and the tasks still to acknowledge."""
    __slots__ = ("id", "trigger_time", "acks", "waiting", "first_barrier", "stats", "savepoint", "stop")

    def __init__(self, cid: int, t: float, tasks, savepoint: str | None = None, stop: bool = False) -> None:
        self.id = cid
        self.savepoint = savepoint          # a savepoint's name (lifecycle), None for a periodic checkpoint
        self.stop = stop                    # stop-with-savepoint: the job finishes when it completes
        self.trigger_time = t
        self.acks: dict[str, object] = {}
        self.waiting = set(tasks)
        self.stats: dict[str, dict] = {}


class Coordinator:
    """One per job (it survives failovers); talks to the tasks of the current attempt."""

    def __init__(self, job) -> None:
        self.job = job
        self.env = job.env
        self.trace = job.trace
        self.spec = job.scenario.checkpointing
        self.period = self.spec.period
        self.release = release(job.scenario.flink_version)
        self.next_id = 1
        self.pending: dict[int, PendingCheckpoint] = {}
        self.created_at: dict[int, float] = {}
        self.completed: list[CompletedCheckpoint] = []      # retained, oldest first
        self.on_complete: list = []                          # hook(retained checkpoints) on each completion
        self.last_completion = None
        self.consecutive_failures = 0
        self.queued_trigger = False
        self.queued_savepoints: list = []                    # (name, stop, on_trigger) waiting for a slot
        self.generation = 0                                  # bumps at every (re)start of scheduling
        self.stw_active = None

    # --- scheduling ----------------------------------------------------------------------------
    def start(self) -> None:
        """(Re)start periodic triggering: the first trigger after the initial delay."""
        self.generation += 1
        if self.spec.interval is not None:
            delay = self.initial_delay()
            self.trace.emit(self.env.now, "checkpoint_schedule", "jobmanager", delay=delay, period=self.period)
            self._schedule(self.env.now + delay, self.generation)

    def initial_delay(self) -> float:
        """``initial_delay`` if pinned, else uniform in [min_pause, period] from the run's RNG.

        # NOTE: CheckpointCoordinator.getRandomInitDelay draws nextLong(minPause, baseInterval + 1):
        # whole milliseconds, both ends included.
        """
        if self.spec.initial_delay is not None:
            return self.spec.initial_delay
        low, high = self.spec.min_pause, self.period
        if math.ceil(low) <= math.floor(high):
            return float(self.job.rng.randint(math.ceil(low), math.floor(high)))
        return self.job.rng.uniform(low, high)

    def stop(self) -> None:
        """Stop periodic triggering (a later ``start`` resumes it)."""
        self.generation += 1

    def _schedule(self, at: float, generation: int) -> None:
        self.env.timeout(max(0.0, at - self.env.now)).callbacks.append(lambda _e: self._tick(generation))

    def _tick(self, generation: int) -> None:
        if generation != self.generation or not self.job.running():
            return
        now, spec = self.env.now, self.spec
        if len(self.pending) >= self.effective_max_concurrent() or self.stw_active is not None:
            self.queued_trigger = True
            self._schedule(now + self.period, generation)
            return
        if spec.min_pause and self.last_completion is not None and now < self.last_completion + spec.min_pause:
            self._schedule(self.last_completion + spec.min_pause, generation)    # dropped, rescheduled
            return
        self.trigger()
        self._schedule(now + self.period, generation)

    def effective_max_concurrent(self) -> int:
        """Pending checkpoints allowed at once: 1 whenever ``min_pause`` > 0 (CheckpointRequestDecider)."""
        return 1 if self.spec.min_pause > 0 else self.spec.max_concurrent

    def _after_finish(self) -> None:
        """A pending checkpoint ended: run a savepoint, else a trigger, that was queued behind it."""
        if self.job.attempt is None or self.job.attempt.stopping:
            return                             # a stop (or the final checkpoint) dropped the queue
        if self.queued_savepoints and len(self.pending) < self.effective_max_concurrent() and self.job.running():
            self._savepoint_now(*self.queued_savepoints.pop(0))
        if self.queued_trigger and len(self.pending) < self.effective_max_concurrent() and self.job.running():
            self.queued_trigger = False
            if self.spec.min_pause and self.last_completion is not None:
                at = self.last_completion + self.spec.min_pause
                if self.env.now < at:
                    generation = self.generation
                    self.env.timeout(at - self.env.now).callbacks.append(
                        lambda _e: self._run_queued(generation))
                    return
            self.trigger()

    def _run_queued(self, generation: int) -> None:
        if generation == self.generation and self.job.running() and \
                len(self.pending) < self.effective_max_concurrent():
            self.trigger()

    # --- triggering ----------------------------------------------------------------------------
    # NOTE: CheckpointCoordinator.triggerSavepoint (and triggerSynchronousSavepoint, for a stop) asks
    # for CheckpointProperties.forSavepoint(!unalignedCheckpointsEnabled): a savepoint is forced only
    # while unaligned checkpoints are off. CheckpointRequestDecider.chooseRequestToExecute runs a
    # forced request even with max_concurrent checkpoints pending and queues any other (savepoints
    # first, by checkpointTriggerRequestsComparator) until one ends; min_pause holds back periodic
    # requests only (``!isForce() && isPeriodic``), so a savepoint never waits for it.
    def request_savepoint(self, name: str, stop: bool, on_trigger) -> bool:
        """The user asks for savepoint ``name``: triggered now (True) or queued behind the pending
        checkpoints (False, unaligned checkpoints only); ``on_trigger()`` runs once it is triggered."""
        if self.savepoint_waits():
            self.queued_savepoints.append((name, stop, on_trigger))
            return False
        self._savepoint_now(name, stop, on_trigger)
        return True

    def savepoint_waits(self) -> bool:
        """Would a savepoint asked for now be queued (unaligned checkpoints, no free slot)?"""
        return self.spec.unaligned and (len(self.pending) >= self.effective_max_concurrent()
                                        or bool(self.queued_savepoints))

    # NOTE: SchedulerBase.stopWithSavepoint calls stopCheckpointScheduler() before it triggers the
    # stop's savepoint: CheckpointCoordinator.stopCheckpointScheduler aborts every pending checkpoint
    # with CHECKPOINT_COORDINATOR_SUSPEND (not counted by CheckpointFailureManager) and, from 1.12,
    # abortPendingAndQueuedCheckpoints also drops the queued savepoints and periodic requests
    # (CheckpointRequestDecider.abortAll). The stop's savepoint then finds no pending checkpoint and
    # is triggered at once, queued behind nothing.
    def suspend_for_stop(self) -> None:
        """A stop-with-savepoint: stop periodic triggering, drop every queued request and abort every
        pending checkpoint (``coordinator_suspend``, not counted), so the stop's savepoint runs now."""
        self.stop()
        self.queued_trigger = False
        self._drop_queued("coordinator_suspend")
        for cid in sorted(self.pending):
            self._final_lost(self.pending[cid])
            self.pending[cid].stop = False     # an earlier stop is superseded: no restart of scheduling
            self.abort(cid, "coordinator_suspend", counts=False)

    def _final_lost(self, pc: PendingCheckpoint) -> None:
        """``pc`` is aborted: if it was the final checkpoint after the end of bounded input, the job
        needs another one to finish, taken once the input has ended again (``Job._end_of_input``).

        NOTE: FLIP-147: finished tasks wait for a checkpoint completed after their end of input
        (StreamTask's ``finalCheckpointCompleted``); a failed one is followed by the next."""
        if pc.stop and pc.savepoint is None:
            self.job.input_ended = False

    def _drop_queued(self, reason: str) -> None:
        """Drop the savepoints queued for a slot; a lifecycle event says each was never taken."""
        for name, stop, _ in self.queued_savepoints:
            what = "stop-with-savepoint" if stop else "savepoint"
            self.trace.emit(self.env.now, "lifecycle", "jobmanager", action=what,
                            detail=f"{name}: dropped ({reason}) while queued behind a pending checkpoint: no savepoint",
                            savepoint=name)
        self.queued_savepoints.clear()

    def _savepoint_now(self, name: str, stop: bool, on_trigger) -> None:
        self.trigger(savepoint=name, stop=stop)
        on_trigger()

    def trigger(self, savepoint: str | None = None, stop: bool = False) -> int:
        """Start checkpoint ``next_id`` now (a savepoint when ``savepoint`` names one)."""
        cid, now = self.next_id, self.env.now
        self.next_id += 1
        attempt = self.job.attempt
        self.created_at[cid] = now
        pc = self.pending[cid] = PendingCheckpoint(cid, now, [t.name for t in attempt.tasks], savepoint, stop)
        if savepoint is None:
            self.trace.emit(now, "checkpoint_trigger", "jobmanager", checkpoint=cid)
        else:
            self.trace.emit(now, "checkpoint_trigger", "jobmanager", checkpoint=cid, savepoint=savepoint)
        generation = self.generation
        self.env.timeout(self.spec.timeout).callbacks.append(lambda _e: self._expire(cid, generation))
        if self.spec.mode == "stop_the_world":
            self.stw_active = cid
            for task in attempt.sources:
                task.post(PauseInput())
            attempt.when_quiet(lambda: self._stw_snapshot(pc))
        else:
            mail = TriggerCheckpoint if savepoint is None else TriggerSavepoint
            for task in attempt.sources:
                task.post(mail(cid))
        return cid

    def _stw_snapshot(self, pc: PendingCheckpoint) -> None:
        """Stop the world: nothing is in flight; every task snapshots at once."""
        if self.pending.get(pc.id) is not pc:
            return
        for task in self.job.attempt.tasks:
            task.snapshot_now(pc.id)

    def created(self, cid: int) -> float:
        """The trigger time of checkpoint ``cid`` (what its barriers carry)."""
        return self.created_at.get(cid, 0.0)

    def is_pending(self, cid: int) -> bool:
        """Is ``cid`` still pending (neither completed nor aborted)?"""
        return cid in self.pending

    def is_savepoint(self, cid: int) -> bool:
        """Is pending ``cid`` a savepoint (aligned with no timeout, whatever the configuration)?"""
        pc = self.pending.get(cid)
        return pc is not None and pc.savepoint is not None

    # --- acknowledgements ----------------------------------------------------------------------
    def ack(self, cid: int, task, progress) -> None:
        """``task`` acknowledged ``cid`` with its snapshot ``progress``; the last ack completes it."""
        pc = self.pending.get(cid)
        if pc is None or task.attempt is not self.job.attempt:
            return
        now = self.env.now
        size = progress.size(self.job.backend.record_bytes)
        pc.acks[task.name] = TaskSnapshot(progress.state, progress.inflight_in, progress.inflight_out)
        pc.stats[task.name] = {
            "ack_time": now, "sync_duration": progress.sync_duration, "async_duration": progress.async_duration,
            "alignment_duration": progress.alignment_duration, "start_delay": progress.first_barrier - pc.trigger_time,
            "processed_in_flight": progress.processed_records * self.job.backend.record_bytes,
            "persisted_in_flight": progress.inflight_records() * self.job.backend.record_bytes,
            "size": size,
        }
        pc.waiting.discard(task.name)
        self.trace.emit(now, "checkpoint_ack", task.name, checkpoint=cid, size=size)
        if not pc.waiting:
            self._complete(pc)

    def _complete(self, pc: PendingCheckpoint) -> None:
        now = self.env.now
        del self.pending[pc.id]
        for old in [k for k in self.pending if k < pc.id]:
            del self.pending[old]                           # subsumed: discarded without notice
        done = CompletedCheckpoint(pc.id, pc.trigger_time, now, pc.acks)
        self.completed.append(done)
        del self.completed[:-self.job.scenario.checkpointing.num_retained]
        for hook in self.on_complete:
            hook(self.completed)
        self.last_completion = now
        self.consecutive_failures = 0
        stats = _summarise(pc, now)
        self.trace.emit(now, "checkpoint_complete", "jobmanager", checkpoint=pc.id, stats=stats)
        if pc.savepoint is not None:
            self.job.savepoints[pc.savepoint] = done
            self.trace.emit(now, "savepoint_complete", "jobmanager", savepoint=pc.savepoint, checkpoint=pc.id)
        self.stw_active = None
        attempt = self.job.attempt
        attempt.resume_sources()
        self._after_finish()
        if self.spec.notify_delay > 0:
            self.env.timeout(self.spec.notify_delay).callbacks.append(lambda _e: self._notify(attempt, pc.id, pc))
        else:
            self._notify(attempt, pc.id, pc)

    def _notify(self, attempt, cid: int, pc=None) -> None:
        """notify_checkpoint_complete(cid) to every task of ``attempt`` (if it still runs); after a
        stop-with-savepoint's, the job finishes."""
        if attempt is not self.job.attempt or attempt.failing:
            return
        for task in attempt.tasks:
            if task.dead:
                continue                       # cancelled by a region failover: it is not running
            self.trace.emit(self.env.now, "checkpoint_notify", task.name, checkpoint=cid)
            task.notify_complete(cid)
            if attempt.failing:
                return
        if pc is not None and pc.stop:
            self.job.end("finished", savepoint=pc.savepoint)
        self.job.check_drained()

    # --- failures ------------------------------------------------------------------------------
    def decline(self, cid: int, task, reason: str, async_failure: bool = False) -> None:
        """``task`` declined ``cid``: abort it (an async failure counts against the tolerance)."""
        pc = self.pending.get(cid)
        if pc is None:
            return
        self.trace.emit(self.env.now, "checkpoint_decline", task.name, checkpoint=cid, reason=reason)
        self.abort(cid, reason, counts=async_failure or reason in COUNTED)

    def _expire(self, cid: int, generation: int) -> None:
        if cid in self.pending and generation == self.generation:
            self.abort(cid, "expired", counts=self.release.expiry_counts)

    def abort(self, cid: int, reason: str, counts: bool) -> None:
        """Abort a pending checkpoint; every task is told once."""
        pc = self.pending.pop(cid, None)
        if pc is None:
            return
        now = self.env.now
        self.trace.emit(now, "checkpoint_abort", "jobmanager", checkpoint=cid, reason=reason)
        if self.stw_active == cid:
            self.stw_active = None
        attempt = self.job.attempt
        for task in attempt.tasks:
            task.notify_aborted(cid)
        self._final_lost(pc)
        if pc.stop:                    # the stop failed: the job goes on (Flink's stop-with-savepoint)
            attempt.stopping = False
            self.start()
        if counts:
            self.consecutive_failures += 1
            if self.consecutive_failures > self.spec.tolerable_failures:
                self.consecutive_failures = 0
                attempt.fail(None, f"checkpoint {cid} {reason}: more than {self.spec.tolerable_failures} "
                                   "tolerable checkpoint failure(s)")
                return
        attempt.resume_sources()
        self._after_finish()
        if pc.savepoint is not None or pc.stop:
            self.job.check_drained()           # a drained run waited for this savepoint or stop

    def job_failed(self, reason: str = "job_failed") -> bool:
        """The attempt is failing (or the job ends): pending checkpoints are aborted (not counted).
        True when one of them was a stop's savepoint (or the final checkpoint): the stop failed."""
        for cid in sorted(self.pending):
            self.trace.emit(self.env.now, "checkpoint_abort", "jobmanager", checkpoint=cid, reason=reason)
        stopped = any(pc.stop for pc in self.pending.values())
        for pc in self.pending.values():
            self._final_lost(pc)
        self.pending.clear()
        self._drop_queued(reason)                        # Flink: abortPendingAndQueuedCheckpoints
        self.stw_active = None
        self.queued_trigger = False
        self.stop()
        return stopped

    def latest(self) -> CompletedCheckpoint | None:
        """The latest retained completed checkpoint, or None."""
        return self.completed[-1] if self.completed else None


def _summarise(pc: PendingCheckpoint, now: float) -> dict:
    s = pc.stats.values()
    return {
        "end_to_end_duration": now - pc.trigger_time,
        "sync_duration": max((x["sync_duration"] for x in s), default=0.0),
        "async_duration": max((x["async_duration"] for x in s), default=0.0),
        "alignment_duration": max((x["alignment_duration"] for x in s), default=0.0),
        "start_delay": max((x["start_delay"] for x in s), default=0.0),
        "checkpointed_size": sum(x["size"] for x in s),
        "processed_in_flight": sum(x["processed_in_flight"] for x in s),
        "persisted_in_flight": sum(x["persisted_in_flight"] for x in s),
        "tasks": {name: {k: v for k, v in x.items()} for name, x in sorted(pc.stats.items())},
    }
