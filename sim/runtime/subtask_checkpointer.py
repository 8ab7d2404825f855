"""A task's side of checkpointing, as an object the task owns (Flink's SubtaskCheckpointCoordinatorImpl).

Flink's order: on ``Trigger`` the task forwards the barrier (after its queued output when aligned;
ahead of it, persisting that output, when unaligned, or when aligned but still queued there as
``aligned_timeout`` passes, from Flink 1.16), takes the synchronous snapshot of its whole
operator chain (the task is blocked), starts the asynchronous upload, and acknowledges once the
upload is done and every barrier has arrived (unaligned checkpoints collect channel state until
then). A task that declines, or whose handler aborts, sends cancellation markers downstream.
"""
from __future__ import annotations

from ..snapshot.actions import Aligned, Barrier, CancelMarker, Persist
from .chain import show
from .checkpoint_store import Progress
from .errors import TaskFailure
from .mail import Flush

__all__ = ["SubtaskCheckpointer"]


def _sends_at_once(outputs) -> bool:
    """Would every ready buffer find a credit at once (``StreamTask.send_ready`` would not wait)?"""
    need: dict = {}
    for ch, buf in outputs.ready:
        if type(buf) is list:            # a cancellation marker needs no credit
            need[ch] = need.get(ch, 0) + 1
    return all(ch.n_data + n <= ch.capacity for ch, n in need.items())


class SubtaskCheckpointer:
    """Progress of one task on each checkpoint; snapshots its chain and acknowledges."""

    def __init__(self, task) -> None:
        self.task = task
        self.env = task.env
        self.trace = task.trace
        self.attempt = task.attempt
        self.progress: dict[int, Progress] = {}
        self.first_barrier: dict[int, float] = {}
        self.aborted: set[int] = set()
        self.early_aligned: dict[int, Aligned] = {}

    # --- barriers ------------------------------------------------------------------------------
    def barrier_received(self, cid: int, now: float) -> None:
        """Remember when the first barrier of ``cid`` reached the task (for ``start_delay``)."""
        self.first_barrier.setdefault(cid, now)

    def trigger(self, cid: int, unaligned: bool):
        """Forward the barrier, snapshot (sync, then async), acknowledge when aligned and uploaded."""
        task, attempt = self.task, self.attempt
        coordinator = attempt.coordinator
        if cid in self.aborted or not coordinator.is_pending(cid):
            self.send_cancel(cid)
            return
        decline = attempt.faults.decline_phase(task, cid)
        if decline == "decline":
            self.send_cancel(cid)
            coordinator.decline(cid, task, "declined")
            return
        now = self.env.now
        p = self.progress[cid] = Progress(cid, now, self.first_barrier.get(cid, now))
        created = coordinator.created(cid)
        # NOTE: a savepoint is aligned with no timeout (CheckpointOptions.forConfig: alignedNoTimeout):
        # a source does not inject it unaligned, and its barrier waits for the queued output here
        savepoint = coordinator.is_savepoint(cid)
        unaligned = unaligned and not savepoint
        outputs = task.outputs
        timed_out = False
        if unaligned:
            for ch, buf in outputs.pending():
                self._persist_out(p, ch, buf)
        else:
            outputs.flush()
            if outputs.ready:
                if self.attempt.output_timeout and not savepoint:
                    timed_out = yield from self._send_before(cid, created + self.attempt.output_timeout)
                else:
                    yield from task.send_ready()
        if timed_out:
            self._overtake(p, created)
        else:
            for ch in outputs.channels:
                self._send_barrier(ch, Barrier(cid, created, unaligned, savepoint))
        yield from self.snapshot_phase(p, decline)
        if timed_out and outputs.ready:       # the overtaken buffers still go out, as credits come
            yield from task.send_ready()

    # NOTE: the output side of aligned_timeout (Flink >= 1.16, FLINK-27251), read in apache/flink:
    # SubtaskCheckpointCoordinatorImpl.checkpointState puts the aligned barrier at the tail of every
    # output subpartition, then registerAlignmentTimer sets ONE timer per task, due at the barrier's
    # timestamp + aligned timeout (BarrierAlignmentUtil.getTimerDelay: max(0, ...)). When it fires,
    # BufferWritingResultPartition.alignedBarrierTimeout asks every subpartition; in
    # PipelinedSubpartition.alignedBarrierTimeout a subpartition whose barrier is still queued copies
    # the data buffers ahead of it as the checkpoint's output channel state and moves the barrier,
    # now unaligned (barrier.asUnaligned()), to the head as a priority event; a subpartition whose
    # barrier already left (pollBuffer -> completeTimeoutableCheckpointBarrier) keeps it aligned,
    # with no output state. So: one deadline per task, the switch decided per channel.
    # snapsim's sender keeps one queue of ready buffers for all its channels (a buffer waiting for a
    # credit holds back the ones behind it), and the barrier of every channel waits behind all of
    # them; at the deadline a channel with buffers still queued gets the unaligned barrier, the
    # others the aligned one they would already have sent.
    # A later checkpoint's barrier taken during the wait (a priority event: StreamTask.urgent_work)
    # triggers unaligned: its barrier goes ahead of the waiting one and the whole queue is its
    # output state, as PipelinedSubpartition.processPriorityBuffer puts a priority barrier ahead of
    # every non-priority element and copies every data buffer behind the priority ones. Only before
    # 1.16 can that happen: from 1.16 the wait ends at this barrier's deadline, before any later
    # barrier's (so Flink's cancelAlignmentTimer at the later trigger, in registerAlignmentTimer,
    # has nothing left to cancel here).
    def _send_before(self, cid: int, deadline: float):
        """Send the ready buffers ahead of the barrier; True when some still wait at ``deadline``."""
        task, now = self.task, self.env.now
        if now >= deadline:
            return True
        if _sends_at_once(task.outputs):
            yield from task.send_ready()         # no credit wait: no deadline to set
            return False
        # NOTE: only an urgent task's credit wait can be woken; a source is urgent only when
        # unaligned. Made urgent just for this wait, it runs no mail meanwhile (``stop_only``): a
        # later checkpoint's trigger would otherwise send its barrier ahead of this one, where
        # Flink queues barrier n before any later trigger can (SubtaskCheckpointCoordinatorImpl)
        urgent, task.urgent, task.stop_only = task.urgent, True, not task.urgent
        # NOTE: SimPy cannot take back a timeout: when the queue drains first, the deadline's
        # callback is taken off it (``Event.callbacks``), so the timeout passes doing nothing
        timer = self.env.timeout(deadline - now)
        timer.callbacks.append(self._deadline)
        try:
            yield from task.send_ready()
        finally:
            task.urgent, task.stop_only = urgent, False
            if timer.callbacks is not None:      # not yet due (SimPy sets None once processed)
                timer.callbacks.remove(self._deadline)
        return bool(task.outputs.ready)

    def _deadline(self, _timer) -> None:
        self.task.stop_sending()

    def _overtake(self, p: Progress, created: float) -> None:
        """The barrier timed out in the output queue: it overtakes each channel's queued buffers,
        which become the checkpoint's output channel state; this task's checkpoint is unaligned."""
        queued: dict = {}
        for ch, buf in self.task.outputs.pending():
            queued.setdefault(ch, []).append(buf)
            self._persist_out(p, ch, buf)
        for ch in self.task.outputs.channels:
            bufs = queued.get(ch)
            self._send_barrier(ch, Barrier(p.id, created, bool(bufs)),
                               overtook=sum(len(b) for b in bufs) if bufs else None)

    def _persist_out(self, p: Progress, ch, buf: list) -> None:
        """An output buffer the barrier overtakes becomes channel state of ``p`` (traced: the sender keeps it)."""
        p.persist_out(ch.index, buf)
        trace = self.trace
        if trace.control:
            trace.emit(self.env.now, "output_persisted", self.task.name, checkpoint=p.id, channel=ch.name,
                       n=len(buf), values=[show(r[0]) for r in buf] if trace.full else None)

    def snapshot_now(self, cid: int):
        """Stop the world: snapshot without a barrier; nothing is in flight, so it is aligned."""
        now = self.env.now
        p = self.progress[cid] = Progress(cid, now, now)
        p.aligned = True
        yield from self.snapshot_phase(p, None)

    def snapshot_phase(self, p: Progress, decline):
        """Synchronous snapshot of the chain (the task is blocked), then the asynchronous upload."""
        task, env, trace, cid = self.task, self.env, self.trace, p.id
        chain, backend = task.chain, self.attempt.backend
        p.state = chain.snapshot(cid)
        entries = chain.state_entries()
        if trace.control:
            trace.emit(env.now, "snapshot_sync_start", task.name, checkpoint=cid, state=chain.describe_state())
        if decline == "sync":
            raise TaskFailure(f"the synchronous phase of checkpoint {cid} failed")
        sync = backend.sync_time(entries)
        if sync:
            yield env.timeout(sync)
        p.sync_duration = sync
        p.state_bytes = entries * backend.record_bytes
        if trace.control:
            trace.emit(env.now, "snapshot_sync_end", task.name, checkpoint=cid, duration=sync)
        p.async_duration = backend.async_time(entries)
        task.later(p.async_duration, self._async_done, cid, decline == "async")
        early = self.early_aligned.pop(cid, None)
        if early is not None:
            self._aligned(p, early)
        elif not task.gate.channels:
            # a source has no input to align; the output buffers its barrier overtook are still uploaded
            self._aligned(p, Aligned(cid, 0.0, 0))

    def _send_barrier(self, ch, barrier: Barrier, overtook: int | None = None) -> None:
        """Put ``barrier`` on ``ch`` (a priority event if unaligned; ``overtook``: output buffers it
        went ahead of) and tell the receiver: wake it for a priority barrier, announce an aligned one."""
        arrival = ch.push(barrier, False, priority=barrier.unaligned)
        # NOTE: only a barrier is a priority event for a back-pressured receiver; a cancellation
        # marker (send_cancel) is not one: the receiver takes it in channel order, at its next read
        if barrier.unaligned:
            ch.receiver.notify_priority(arrival)
        else:
            ch.receiver.announce(barrier, arrival)
        # kept at every trace level (a few per checkpoint): pictures of summary traces still show barriers;
        # NOTE: two literal calls, not **fields: tests/test_trace_kinds.py checks each call's fields statically
        if overtook is None:
            self.trace.emit(self.env.now, "barrier_send", self.task.name, checkpoint=barrier.id, to=ch.spec.dst,
                            channel=ch.name, unaligned=barrier.unaligned, arrive=arrival)
        else:         # the output side of aligned_timeout turned it unaligned in this sender
            self.trace.emit(self.env.now, "barrier_send", self.task.name, checkpoint=barrier.id, to=ch.spec.dst,
                            channel=ch.name, unaligned=barrier.unaligned, arrive=arrival, overtook=overtook)

    def send_cancel(self, cid: int) -> None:
        """Cancellation markers on every output channel, behind this task's queued output: its partial
        buffers become ready, and the markers go out, with no credit, once the buffers ahead are sent.

        NOTE: Flink's SubtaskCheckpointCoordinatorImpl (abortCheckpointOnBarrier, and checkpointState
        # for a checkpoint already aborted) calls OperatorChain.broadcastEvent(marker), i.e.
        # broadcastEvent(marker, false): not a priority event, so BufferWritingResultPartition.broadcastEvent
        # finishes the partial buffers and adds the marker behind every buffer queued in each subpartition.
        # An event needs no credit (apache/flink CreditBasedSequenceNumberingViewReader.getNextDataType:
        # credits > 0 or the next buffer is an event; getNextBuffer takes a credit only for a buffer),
        # but it leaves only from the head of its queue. snapsim's one ready queue holds the markers as
        # (channel, CancelMarker) entries: StreamTask.send_ready puts them on the wire without credit.
        """
        task = self.task
        outputs = task.outputs
        outputs.flush()
        if not outputs.ready:                # nothing queued: on the wire at once
            for ch in outputs.channels:
                ch.push(CancelMarker(cid), False)
            return
        outputs.ready.extend([(ch, CancelMarker(cid)) for ch in outputs.channels])
        # NOTE: a task must not go idle with markers queued (a receiver aligning would wait forever):
        # the Flush mail sends them (and any buffer ahead) when the task is not already sending
        task.post(Flush())

    def _async_done(self, cid: int, fail: bool) -> None:
        p = self.progress.get(cid)
        if p is None:
            return
        if fail:
            self.progress.pop(cid, None)
            self.attempt.coordinator.decline(cid, self.task, "declined", async_failure=True)
            return
        p.async_done = True
        if self.trace.control:
            self.trace.emit(self.env.now, "snapshot_async_end", self.task.name, checkpoint=cid,
                            duration=p.async_duration, size=p.size(self.attempt.backend.record_bytes))
        self._maybe_ack(p)

    # --- alignment and channel state -------------------------------------------------------------
    def persist(self, a: Persist, channel) -> None:
        """Record an input buffer as channel state of ``a.id`` (unaligned)."""
        p = self.progress.get(a.id)
        if p is None:
            return
        p.persist_in(channel.index, a.item)
        trace = self.trace
        if trace.control:
            trace.emit(self.env.now, "buffer_persisted", self.task.name, checkpoint=a.id, channel=channel.name,
                       n=len(a.item), values=[show(r[0]) for r in a.item] if trace.full else None)

    def on_aligned(self, a: Aligned) -> None:
        """Every open channel delivered the barrier (``Aligned`` may come just before ``Trigger``)."""
        task = self.task
        if self.trace.control and task.gate.channels:
            self.trace.emit(self.env.now, "alignment_end", task.name, checkpoint=a.id, duration=a.duration,
                            processed_bytes=a.processed_bytes * self.attempt.backend.record_bytes,
                            inputs=len(task.gate.channels))
        p = self.progress.get(a.id)
        if p is None:
            self.early_aligned[a.id] = a
            return
        self._aligned(p, a)

    def _aligned(self, p: Progress, a: Aligned) -> None:
        p.alignment_duration = a.duration
        p.processed_records = a.processed_bytes
        inflight = p.inflight_records()
        if inflight:     # persisted in-flight buffers are uploaded too: they lengthen the checkpoint
            self.task.later(self.attempt.backend.upload_time(inflight), self._inflight_done, p)
        else:
            p.aligned = True
            self._maybe_ack(p)

    def _inflight_done(self, p: Progress) -> None:
        if self.progress.get(p.id) is p:
            p.aligned = True
            self._maybe_ack(p)

    def _maybe_ack(self, p: Progress) -> None:
        if p.async_done and p.aligned:
            self.progress.pop(p.id, None)
            self.attempt.coordinator.ack(p.id, self.task, p)

    # --- aborts and notices ----------------------------------------------------------------------
    def abort_local(self, cid: int, reason: str) -> None:
        """The handler aborted ``cid`` here: tell downstream (cancellation markers) and the coordinator."""
        # NOTE: kept at every level, as KINDS says (summary): a summary trace names the task that aborted
        self.trace.emit(self.env.now, "checkpoint_abort", self.task.name, checkpoint=cid, reason=reason)
        self.progress.pop(cid, None)
        self.send_cancel(cid)
        self.attempt.coordinator.decline(cid, self.task, reason)

    def notify_aborted(self, cid: int) -> None:
        """The coordinator aborted ``cid`` (each task is told once)."""
        self.aborted.add(cid)
        self.progress.pop(cid, None)

    def notify_complete(self, cid: int) -> dict:
        """Checkpoint ``cid`` completed: forget older progress, tell every operator of the chain."""
        for old in [k for k in self.progress if k <= cid]:
            self.progress.pop(old)
        return self.task.chain.notify_complete(cid)

