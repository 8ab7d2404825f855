"""The effects of a barrier handler's actions and of mailbox messages: a mixin of
:class:`~sim.runtime.task.StreamTask`.

The handler (:mod:`sim.snapshot.handlers`) answers an input item with actions (emit, trigger,
block, persist, ...); :func:`~sim.runtime.input_gate.interpret` applies each through
``StreamTask.effects``, and mail (:mod:`sim.runtime.mail`) through ``StreamTask.on_mail``: the
methods here. Each returns None or a step (a generator the task runs, taking simulated time).
"""
from __future__ import annotations

from ..snapshot.actions import Abort, Block, Emit, Persist, SetTimer, Store, Trigger, Unblock
from .mail import Flush, HandlerTimer, SnapshotNow, Stall

__all__ = ["HandlerEffects"]


class HandlerEffects:
    """What the handler's actions and the mailbox's messages do to a task (mixed into ``StreamTask``)."""

    def _emit(self, a: Emit):
        if type(a.item) is list:
            return self.process_buffer(a.item, a.replay)
        if self.trace.control:
            self.trace.emit(self.env.now, "end_of_partition", self.name, channel=self.gate.channels[a.channel].name)
        return None

    def _trigger(self, a: Trigger):
        return self.checkpointer.trigger(a.id, a.unaligned)

    def _abort(self, a: Abort) -> None:
        self.checkpointer.abort_local(a.id, a.reason)

    def _persist(self, a: Persist) -> None:
        self.checkpointer.persist(a, self.gate.channels[a.channel])

    def _block(self, a: Block) -> None:
        trace = self.trace
        if trace.control:
            channel, now = self.gate.channels[a.channel].name, self.env.now
            if a.id not in self.checkpointer.progress and len(self.handler.blocked) == 1:
                trace.emit(now, "alignment_start", self.name, checkpoint=a.id, channel=channel)
            trace.emit(now, "channel_block", self.name, channel=channel, checkpoint=a.id)

    def _unblock(self, a: Unblock) -> None:
        if self.trace.control:
            self.trace.emit(self.env.now, "channel_unblock", self.name, channel=self.gate.channels[a.channel].name)

    def _store(self, a: Store) -> None:
        if self.trace.control:
            n = len(a.item) if type(a.item) is list else 0
            self.trace.emit(self.env.now, "record_buffered", self.name, channel=self.gate.channels[a.channel].name,
                            n=n, checkpoint=a.id)

    def _set_timer(self, a: SetTimer) -> None:
        self.later(a.at - self.env.now, self.post, HandlerTimer(a.id))

    # --- mailbox actions -------------------------------------------------------------------------
    def _flush(self, _m: Flush):
        self.outputs.flush()
        return self.send_ready()

    def _handler_timer(self, m: HandlerTimer):
        return self.apply(self.handler.on_timer(m.checkpoint, self.env.now))

    def _stall(self, m: Stall):
        yield self.env.timeout(m.duration)

    def _snapshot_now(self, m: SnapshotNow):
        return self.checkpointer.snapshot_now(m.checkpoint)
