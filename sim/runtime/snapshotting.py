"""A task's side of checkpointing: forward the barrier, snapshot, acknowledge, react to notices.

Flink's order (SubtaskCheckpointCoordinatorImpl): on ``Trigger`` the task forwards the barrier
(after its queued output when aligned; ahead of it, persisting that output, when unaligned), takes
the synchronous snapshot (the task is blocked), starts the asynchronous upload, and acknowledges
once the upload is done and every barrier has arrived (unaligned checkpoints collect channel state
until then). Mixed into :class:`sim.runtime.task.Task`.
"""
from __future__ import annotations

from ..snapshot.handlers import Aligned, Barrier, CancelMarker
from .checkpointing import Progress
from .errors import TaskFailure

__all__ = ["CheckpointingMixin"]


class CheckpointingMixin:
    """Checkpoint methods of a task (uses the task's env, trace, op, outputs, attempt)."""

    def trigger(self, cid: int, unaligned: bool):
        """Forward the barrier, snapshot (sync, then async), acknowledge when aligned and uploaded."""
        attempt, env = self.attempt, self.env
        coordinator = attempt.coordinator
        now = env.now
        if cid in self.aborted or not coordinator.is_pending(cid):
            self.send_cancel(cid)
            return
        decline = attempt.faults.decline_phase(self.name, cid)
        if decline == "decline":
            self.send_cancel(cid)
            coordinator.decline(cid, self, "declined")
            return
        p = self.progress[cid] = Progress(cid, now, self.first_barrier.get(cid, now))
        created = coordinator.created(cid)
        outputs = self.outputs
        if unaligned:
            for ch, buf in outputs.pending():
                p.persist_out(ch.index, buf)
            for ch in outputs.channels:
                self._send_barrier(ch, Barrier(cid, created, True))
        else:
            outputs.flush()
            if outputs.ready:
                yield from self.send_ready()
            for ch in outputs.channels:
                self._send_barrier(ch, Barrier(cid, created, False))
        yield from self.snapshot_phase(p, decline)

    def snapshot_phase(self, p: Progress, decline):
        """Synchronous snapshot (the task is blocked), then the asynchronous upload."""
        attempt, env, trace, cid = self.attempt, self.env, self.trace, p.id
        p.state = self.op.snapshot(cid)
        backend = attempt.backend
        entries = self.op.state_entries()
        if trace.control:
            trace.emit(env.now, "snapshot_sync_start", self.name, checkpoint=cid, state=self.op.describe_state())
        if decline == "sync":
            raise TaskFailure(f"the synchronous phase of checkpoint {cid} failed")
        sync = backend.sync_time(entries)
        if sync:
            yield env.timeout(sync)
        p.sync_duration = sync
        p.state_bytes = entries * backend.record_bytes
        if trace.control:
            trace.emit(env.now, "snapshot_sync_end", self.name, checkpoint=cid, duration=sync)
        p.async_duration = backend.async_time(entries)
        env.timeout(p.async_duration).callbacks.append(lambda _e: self._async_done(cid, decline == "async"))
        early = self.early_aligned.pop(cid, None)
        if early is not None:
            self._aligned(p, early)
        elif not self.inputs:
            p.aligned = True                   # a source has no input channels to align

    def _send_barrier(self, ch, barrier: Barrier) -> None:
        arrival = ch.push(barrier, False, priority=barrier.unaligned)
        # kept at every trace level (a few per checkpoint): pictures of summary traces still show barriers
        self.trace.emit(self.env.now, "barrier_send", self.name, checkpoint=barrier.id, to=ch.spec.dst,
                        channel=ch.name, unaligned=barrier.unaligned, arrive=arrival)

    def send_cancel(self, cid: int) -> None:
        for ch in self.outputs.channels:
            ch.push(CancelMarker(cid), False, priority=True)

    def _async_done(self, cid: int, fail: bool) -> None:
        p = self.progress.get(cid)
        if self.dead or p is None:
            return
        if fail:
            self.progress.pop(cid, None)
            self.attempt.coordinator.decline(cid, self, "declined", async_failure=True)
            return
        p.async_done = True
        if self.trace.control:
            self.trace.emit(self.env.now, "snapshot_async_end", self.name, checkpoint=cid,
                            duration=p.async_duration, size=p.size(self.attempt.backend.record_bytes))
        self._maybe_ack(p)

    def on_aligned(self, a: Aligned) -> None:
        if self.trace.control and self.inputs:
            self.trace.emit(self.env.now, "alignment_end", self.name, checkpoint=a.id, duration=a.duration,
                            processed_bytes=a.processed_bytes * self.attempt.backend.record_bytes,
                            inputs=len(self.inputs))
        p = self.progress.get(a.id)
        if p is None:
            self.early_aligned[a.id] = a       # aligned mode: Aligned comes just before Trigger
            return
        self._aligned(p, a)

    def _aligned(self, p: Progress, a: Aligned) -> None:
        p.alignment_duration = a.duration
        p.processed_records = a.processed_bytes
        inflight = p.inflight_records()
        if inflight:
            upload = self.attempt.backend.upload_time(inflight)
            self.env.timeout(upload).callbacks.append(lambda _e: self._inflight_done(p))
        else:
            p.aligned = True
            self._maybe_ack(p)

    def _inflight_done(self, p: Progress) -> None:
        if not self.dead and self.progress.get(p.id) is p:
            p.aligned = True
            self._maybe_ack(p)

    def _maybe_ack(self, p: Progress) -> None:
        if p.async_done and p.aligned:
            self.progress.pop(p.id, None)
            self.attempt.coordinator.ack(p.id, self, p)

    def abort_local(self, cid: int, reason: str) -> None:
        """The handler aborted ``cid`` here: tell downstream (cancellation markers) and the coordinator."""
        if self.trace.control:
            self.trace.emit(self.env.now, "checkpoint_abort", self.name, checkpoint=cid, reason=reason)
        self.progress.pop(cid, None)
        self.send_cancel(cid)
        self.attempt.coordinator.decline(cid, self, reason)

    def notify_aborted(self, cid: int) -> None:
        """The coordinator aborted ``cid`` (each task is told once)."""
        self.aborted.add(cid)
        self.progress.pop(cid, None)

    def notify_complete(self, cid: int):
        """notify_checkpoint_complete(cid): the operator may commit side effects; returns what it did."""
        for old in [k for k in self.progress if k <= cid]:
            self.progress.pop(old)
        try:
            return self.op.notify_complete(cid)
        except TaskFailure as failure:            # e.g. a commit the broker refuses: fail over
            self.dead = True
            self.attempt.fail(self, failure.reason)
            return None


