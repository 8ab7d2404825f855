"""``lifecycle:`` at run time: savepoints, stop-with-savepoint, cancel, submit (docs/lifecycle.md).

:class:`Lifecycle` fires the scenario's actions at their times on the job:

* ``savepoint``: a checkpoint the user triggers, always aligned (no ``aligned_timeout``, never
  unaligned); it ignores ``min_pause``, and ``max_concurrent`` too unless unaligned checkpoints are
  on (then it waits for the pending checkpoint to end, as Flink's unforced savepoints do); kept
  under its name, never deleted; the job goes on.
* ``stop``: every pending checkpoint is aborted and every queued request dropped (Flink suspends
  the coordinator), then the savepoint is triggered at once; the sources inject its barrier and
  stop reading; when the savepoint
  completes, the sinks commit its transactions and the job finishes -- nothing is left open. A stop
  whose savepoint fails leaves the job running.
* ``cancel``: every task stops at once; open and pre-committed transactions stay open on the
  broker; retention decides which completed checkpoints the job leaves behind.
* ``submit``: a new run of the job from a savepoint, the latest retained checkpoint, or nothing,
  with an optional new default parallelism and transactional-id prefix. Checkpoint ids continue
  at the restored id + 1 (from 1 without state); state is redistributed when the tasks differ
  (:mod:`sim.runtime.rescale`).
"""
from __future__ import annotations

from .mail import PauseInput

__all__ = ["Lifecycle"]


class Lifecycle:
    """The scenario's lifecycle actions on one job; ``pending`` counts those still to come."""

    def __init__(self, job, actions) -> None:
        self.job = job
        self.env = job.env
        self.pending = len(actions)
        self.submissions = 0
        for action in actions:
            self.env.timeout(action.at).callbacks.append(lambda _e, a=action: self._fire(a))

    def _fire(self, action) -> None:
        self.pending -= 1
        job = self.job
        if hasattr(action, "savepoint"):
            self._savepoint(action.savepoint, stop=False)
        elif hasattr(action, "stop"):
            self._savepoint(action.stop.savepoint, stop=True)
        elif hasattr(action, "cancel"):
            self._cancel()
        else:
            self._submit(action.submit)
        job.check_drained()

    # --- savepoints and stop ---------------------------------------------------------------------
    def _savepoint(self, name: str, stop: bool) -> None:
        """The user asks for savepoint ``name`` (``stop``: then the job finishes): triggered now, or
        queued for a slot (Coordinator.request_savepoint), or refused if the job is not running."""
        job = self.job
        what = "stop-with-savepoint" if stop else "savepoint"
        if not job.running():
            job.trace.emit(self.env.now, "lifecycle", "jobmanager", action=what, detail=f"{name}: the job is not "
                           "running (failing over or failed): no savepoint", savepoint=name)
            return
        coordinator, attempt = job.coordinator, job.attempt
        detail = _queued_detail(name, coordinator) if coordinator.savepoint_waits() and not stop else name
        job.trace.emit(self.env.now, "lifecycle", "jobmanager", action=what, detail=detail, savepoint=name)
        if stop:
            attempt.stopping = True
            coordinator.suspend_for_stop()       # aborts the pending checkpoints: the stop runs now
        coordinator.request_savepoint(name, stop, lambda: self._triggered(attempt, stop))

    @staticmethod
    def _triggered(attempt, stop: bool) -> None:
        """The savepoint was triggered: a stop's sources read nothing more (after the barrier)."""
        if stop:
            for task in attempt.sources:
                task.post(PauseInput())

    # --- cancel ----------------------------------------------------------------------------------
    def _cancel(self) -> None:
        job = self.job
        job.trace.emit(self.env.now, "lifecycle", "jobmanager", action="cancel", detail="", savepoint=None)
        job.end("cancelled")

    # --- submit ----------------------------------------------------------------------------------
    def _submit(self, spec) -> None:
        job, now = self.job, self.env.now
        self.submissions += 1
        job.trace.emit(now, "lifecycle", "jobmanager", action="submit", detail=spec.from_, savepoint=None)
        checkpoint, error = self._source(spec.from_)
        if error is not None:
            job.trace.emit(now, "job_submit", "jobmanager", submission=self.submissions + 1, source=spec.from_,
                           checkpoint=None, parallelism=spec.parallelism, attempt=None, error=error)
            return
        job.resubmit(checkpoint, spec, self.submissions + 1)

    def _source(self, source: str):
        """(the checkpoint to restore or None, an error that prevents the submission or None)."""
        job = self.job
        if source == "none":
            return None, None
        if source == "latest_checkpoint":
            if not job.retained:
                why = ("retention keeps none after a cancellation (retention: retain_on_cancellation keeps them)"
                       if job.state == "cancelled" else "no checkpoint completed and was kept")
                return None, f"no retained checkpoint to submit from: {why}"
            return job.retained[-1], None
        savepoint = job.savepoints.get(source)
        if savepoint is None:
            return None, f"savepoint {source} never completed: there is nothing to submit from"
        return savepoint, None


def _queued_detail(name: str, coordinator) -> str:
    """The lifecycle detail of a savepoint that queues: behind a queued savepoint, else the pending checkpoint."""
    if coordinator.queued_savepoints:
        return (f"{name}: queued behind savepoint {coordinator.queued_savepoints[-1][0]}, itself waiting for a "
                "pending checkpoint to end (not forced: unaligned checkpoints)")
    return f"{name}: queued until a pending checkpoint ends (not forced: unaligned checkpoints)"


def resubmitted_scenario(scenario, spec):
    """The scenario of a new submission: the default parallelism and sink prefixes ``spec`` sets."""
    job = scenario.job
    update = {}
    if spec.parallelism is not None:
        update["parallelism"] = spec.parallelism
    if spec.transactional_id_prefix is not None:
        update["operators"] = [op.model_copy(update={"transactional_id_prefix": spec.transactional_id_prefix})
                               if op.type == "kafka_sink" else op for op in job.operators]
    return scenario.model_copy(update={"job": job.model_copy(update=update)}) if update else scenario
