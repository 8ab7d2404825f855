"""What a back-pressured task still does: a mixin of :class:`~sim.runtime.task.StreamTask`.

A task waiting for a credit (its output full) is BLOCKED. An *urgent* task (its handler takes
priority events: unaligned checkpoints, ``aligned_timeout``) still runs urgent mail (a handler
timer that switches to unaligned) and takes priority barriers meanwhile, as Flink's mailbox runs
mail while the default action is suspended on an unavailable output (``StreamTask.processInput``).
Also the task's states, which the channels and the failover read.
"""
from __future__ import annotations

import simpy

from .input_gate import INF

__all__ = ["Backpressure", "IDLE", "SLEEP", "BUSY", "BLOCKED", "WAKE", "CANCEL"]

#: BLOCKED: waiting for a credit (backpressure); only the states below BUSY hear notify (Channel.push)
IDLE, SLEEP, BUSY, BLOCKED = 0, 1, 2, 3
WAKE, CANCEL = "wake", "cancel"


class Backpressure:
    """Waiting for credits, and the urgent work done meanwhile (mixed into ``StreamTask``)."""

    def notify_priority(self, arrival: float) -> None:
        """A priority event (unaligned barrier) arrives at ``arrival``: a back-pressured task still
        takes it then (Flink's mailbox runs it while the task waits for output buffers)."""
        if self.urgent:
            self.later(arrival - self.env.now, self._priority_due)

    def announce(self, barrier, arrival: float) -> None:
        """An aligned ``barrier`` arrives at ``arrival``: a task waiting for credits then is woken
        when the barrier may overtake (its timeout), to take it as a priority event.

        NOTE: Flink announces a timeoutable aligned barrier as soon as it reaches a remote input
        channel (RemoteInputChannel.onBuffer: ``requiresAnnouncement`` -> a priority announcement;
        LocalInputChannel announces nothing; snapsim models every channel as remote); the
        handler's timer (SingleCheckpointBarrierHandler.registerAlignmentTimer, due at the barrier's
        timestamp + aligned timeout) then turns the queued barriers into priority events, which the
        mailbox takes even while the task is back-pressured. A snapsim task that is not waiting for
        credits finds such a barrier at its next read (``InputGate.poll``). The handler hears of it
        first (Flink 1.13 counts the timeout from the first arrival: ``Aligner.on_announce``)."""
        handler = self.handler
        handler.on_announce(barrier, arrival)
        due = handler.priority_from(barrier)
        if due < INF:
            self.later(max(arrival, due) - self.env.now, self._priority_due)

    def _priority_due(self) -> None:
        """A priority barrier may be taken now: wake the credit wait, or have the next one take it first."""
        if self.state == BLOCKED:
            self._unblock_urgent()
        else:
            self.priority_due = True

    def _unblock_urgent(self) -> None:
        if self.state == BLOCKED and not self.dead:
            self.state = BUSY
            self.process.interrupt(WAKE)

    def stop_sending(self) -> None:
        """Make the :meth:`send_ready` that waits for a credit return (urgent tasks: aligned_timeout)."""
        self.stop_send = True
        self._unblock_urgent()

    def _wait_credit(self, ch):
        """Backpressure: wait for a credit, handling urgent work meanwhile (an urgent task)."""
        if (self.priority_due or self.mailbox or not self.handler.fast) and self._urgent_pending():
            # NOTE: urgent work that came while the task was busy is done first, as Flink's
            # mailbox runs its mail (priority events, timers) once the output is unavailable
            # (StreamTask.processInput suspends the default action); then the credit is checked again
            yield from self.urgent_work()
            return
        self.state = BLOCKED
        try:
            yield ch.wait_credit()
        except simpy.Interrupt as intr:
            if intr.cause != WAKE:
                raise
            self.state = BUSY
            if not self.stop_only:
                yield from self.urgent_work()
        self.state = BUSY

    def _urgent_pending(self) -> bool:
        """Urgent mail, or an arrived priority barrier, waits (see :meth:`urgent_work`)."""
        # NOTE: a barrier of a new checkpoint that may overtake came with a call to _priority_due;
        # while a checkpoint is under way (the handler is not fast) one of it may become wanted later
        return not self.stop_only and (self.priority_due or any(type(m) in self.URGENT for m in self.mailbox)
                                       or not self.handler.fast and self.gate.has_priority(self.env.now))

    def urgent_work(self):
        """While back-pressured: urgent mail, and unaligned barriers that arrived (never data)."""
        self.priority_due = False
        for message in [m for m in self.mailbox if type(m) in self.URGENT]:
            self.mailbox.remove(message)
            step = self.mail_step(message)
            if step is not None:
                yield from step
        now = self.env.now
        found = self.gate.poll_priority(now)
        while found is not None:
            ch, barrier, overtaken = found
            self.checkpointer.barrier_received(barrier.id, now)
            if self.trace.control:
                self.trace.emit(now, "barrier_receive", self.name, checkpoint=barrier.id, channel=ch.name,
                                unaligned=barrier.unaligned)
            yield from self.apply(self.gate.dispatch(ch, barrier, now, overtaken))
            found = self.gate.poll_priority(now)
