"""One subtask as a SimPy process: input gate -> barrier handler -> operator -> outputs.

The task takes the earliest-arrived item among the channels it may read, lets the barrier
handler decide (data is usually passed straight through: ``handler.fast``), processes buffers
(``processing_time`` per record), and sends output buffers, waiting for credits when a channel
is full. When nothing has arrived it sleeps until the head of its queues arrives, or, with empty
queues, until a sender or the mailbox wakes it. A busy pipeline therefore costs about one SimPy
event per buffer.

Checkpointing follows Flink's order: on ``Trigger`` the task forwards the barrier (after its
queued output when aligned; ahead of it, persisting it, when unaligned), takes the synchronous
snapshot (the task is blocked), starts the asynchronous upload, and acknowledges once the upload
is done and every barrier has arrived.
"""
from __future__ import annotations

from collections import deque

import simpy

from ..snapshot.handlers import (Abort, Aligned, Barrier, Block, CancelMarker, Emit, Persist, SetTimer, Store,
                                 Trigger, Unblock)
from .checkpointing import Progress
from .errors import TaskFailure
from .snapshotting import CheckpointingMixin

__all__ = ["Task", "TaskFailure", "WAKE", "CANCEL"]

IDLE, SLEEP, BUSY, BLOCKED = 0, 1, 2, 3      # BLOCKED: waiting for a credit (backpressure)
WAKE, CANCEL = "wake", "cancel"
INF = float("inf")


class Task(CheckpointingMixin):
    """A running subtask of one job attempt."""

    def __init__(self, attempt, spec, op, handler, inputs, outputs, ptime: float) -> None:
        self.attempt = attempt
        self.env = attempt.env
        self.trace = attempt.trace
        self.counts = attempt.trace.counters
        self.name = spec.name
        self.spec = spec
        self.op = op
        self.handler = handler
        self.inputs = inputs
        self.outputs = outputs
        self.ptime = ptime
        self.mailbox: deque = deque()
        self.state = BUSY
        self.wake = None
        self.sleep_until = INF
        self.dead = False
        self.hops = 0
        self.processed = 0                 # records processed by the operator (this attempt)
        self.progress: dict[int, Progress] = {}
        self.first_barrier: dict[int, float] = {}
        self.aborted: set[int] = set()
        self.early_aligned: dict[int, Aligned] = {}
        self.fault = None                  # set by the fault plan: a per-record crash check
        self.flush_each = attempt.buffer_timeout <= 0
        self.flush_timer = False
        self.process = None
        #: handles unaligned barriers and triggers even while waiting for credits
        self.urgent = handler.uses_priority
        self.priority_due = 0

    def __repr__(self) -> str:
        return f"Task({self.name})"

    # --- waking ------------------------------------------------------------------------------
    def start(self) -> None:
        self.process = self.env.process(self.run())

    def notify(self, arrival: float) -> None:
        """A sender put an item that arrives at ``arrival``."""
        if self.state == IDLE:
            self.state = BUSY
            self.attempt.active += 1
            self.wake.succeed()
        elif self.state == SLEEP and arrival < self.sleep_until:
            self.state = BUSY
            self.process.interrupt(WAKE)

    def notify_priority(self, arrival: float) -> None:
        """A priority event (unaligned barrier) arrives at ``arrival``: a back-pressured task still
        takes it then (Flink's mailbox runs it while the task waits for output buffers)."""
        if self.urgent:
            self.env.timeout(arrival - self.env.now).callbacks.append(lambda _e: self._priority_arrived())

    def _priority_arrived(self) -> None:
        self.priority_due += 1            # the loop looks past queued data until it is taken
        self._unblock_urgent()

    def _unblock_urgent(self) -> None:
        if self.state == BLOCKED and not self.dead:
            self.state = BUSY
            self.process.interrupt(WAKE)

    def post(self, message) -> None:
        """Put a message in the mailbox (handled between buffers, like Flink's mailbox)."""
        self.mailbox.append(message)
        if self.state == IDLE:
            self.state = BUSY
            self.attempt.active += 1
            self.wake.succeed()
        elif self.state == SLEEP:
            self.state = BUSY
            self.process.interrupt(WAKE)
        elif self.state == BLOCKED and self.urgent and self.is_urgent(message):
            self._unblock_urgent()

    def is_urgent(self, message) -> bool:
        """Mail that a back-pressured task handles at once: a timer switching to unaligned."""
        return message[0] == "timer"

    def snapshot_now(self, cid: int) -> None:
        """Stop the world: snapshot without a barrier (everything is quiet)."""
        self.post(("stw", cid))

    def _idle(self):
        self.state = IDLE
        self.wake = self.env.event()
        self.attempt.went_idle(self)
        return self.wake

    def _sleep(self, until: float):
        self.state = SLEEP
        self.sleep_until = until
        return self.env.timeout(until - self.env.now)

    def wait(self, until: float | None = None):
        """Wait for a sender or the mailbox (``until`` None) or until ``until``; mail wakes early."""
        try:
            yield self._idle() if until is None else self._sleep(until)
        except simpy.Interrupt as intr:
            if intr.cause != WAKE:
                raise
        self.state = BUSY

    def cancel(self) -> None:
        """Cancel the task (failover): its process ends, its in-flight work is dropped."""
        self.dead = True
        if self.process is not None and self.process.is_alive and self.process is not self.env.active_process:
            self.process.interrupt(CANCEL)

    # --- main loop ---------------------------------------------------------------------------
    def run(self):
        try:
            yield from self.loop()
        except simpy.Interrupt as intr:
            if intr.cause != CANCEL:
                raise
        except TaskFailure as failure:
            self.dead = True
            self.attempt.fail(self, failure.reason)

    def loop(self):
        env, handler, inputs = self.env, self.handler, self.inputs
        while True:
            if self.mailbox:
                yield from self.handle_mail(self.mailbox.popleft())
                continue
            now = env.now
            if handler.fast and not self.priority_due:
                best, best_t = None, INF
                for ch in inputs:
                    q = ch.queue
                    if q and q[0][0] < best_t:
                        best, best_t = ch, q[0][0]
            else:
                best, best_t = self.pick_slow(now)
            if best is None:
                try:
                    yield self._idle()
                except simpy.Interrupt as intr:   # pragma: no cover - IDLE is woken by events
                    if intr.cause != WAKE:
                        raise
                self.state = BUSY
                continue
            if best_t > now:
                try:
                    yield self._sleep(best_t)
                except simpy.Interrupt as intr:
                    if intr.cause != WAKE:
                        raise
                self.state = BUSY
                continue
            if best_t < 0:                        # a priority barrier found by pick_slow
                pos, overtaken = self._priority
                item = best.take(pos)
                yield from self.apply(self.on_barrier(best.gate_index, item, now, overtaken))
                continue
            item = best.take()
            if type(item) is list:
                self.hops += len(item)
                if handler.fast:
                    yield from self.process_buffer(item, False)
                else:
                    yield from self.apply(handler.on_buffer(best.gate_index, item, now))
            elif type(item) is Barrier:
                yield from self.apply(self.on_barrier(best.gate_index, item, now, ()))
            else:
                if type(item) is CancelMarker and self.trace.control:
                    self.trace.emit(now, "cancel_marker", self.name, checkpoint=item.id, channel=best.name)
                yield from self.apply(handler.on_item(best.gate_index, item, now))

    def pick_slow(self, now: float):
        """The next channel while an alignment or replay is in progress (respects blocking)."""
        handler = self.handler
        if handler.uses_priority:
            for ch in self.inputs:
                for pos, entry in enumerate(ch.queue):
                    if entry[0] > now:
                        break
                    item = entry[1]
                    if type(item) is Barrier and handler.wants_priority(item, now):
                        overtaken = [e[1] for e in list(ch.queue)[:pos] if type(e[1]) is list]
                        self._priority = (pos, overtaken)
                        self.priority_due = max(0, self.priority_due - 1)
                        return ch, -1.0
            self.priority_due = 0
        blocked, reads_blocked = handler.blocked, handler.reads_blocked
        best, best_t = None, INF
        for ch in self.inputs:
            q = ch.queue
            if q and q[0][0] < best_t and (reads_blocked or ch.gate_index not in blocked):
                best, best_t = ch, q[0][0]
        return best, best_t

    def urgent_work(self):
        """While back-pressured: urgent mail, and unaligned barriers that arrived (never data)."""
        for message in [m for m in self.mailbox if self.is_urgent(m)]:
            self.mailbox.remove(message)
            yield from self.handle_mail(message)
        now, handler = self.env.now, self.handler
        for ch in self.inputs:
            for pos, entry in enumerate(ch.queue):
                if entry[0] > now:
                    break
                if type(entry[1]) is Barrier and handler.wants_priority(entry[1], now):
                    overtaken = [e[1] for e in list(ch.queue)[:pos] if type(e[1]) is list]
                    barrier = ch.take(pos)
                    self.priority_due = max(0, self.priority_due - 1)
                    yield from self.apply(self.on_barrier(ch.gate_index, barrier, now, overtaken))
                    break

    def on_barrier(self, gate_index: int, barrier: Barrier, now: float, overtaken) -> list:
        if barrier.id not in self.first_barrier:
            self.first_barrier[barrier.id] = now
        if self.trace.control:
            self.trace.emit(now, "barrier_receive", self.name, checkpoint=barrier.id,
                            channel=self.inputs[gate_index].name, unaligned=barrier.unaligned)
        return self.handler.on_barrier(gate_index, barrier, now, overtaken)

    # --- records -----------------------------------------------------------------------------
    def process_buffer(self, records: list, replay: bool):
        """Process one buffer: processing time, operator, outputs (waiting for credits)."""
        env = self.env
        if self.fault is not None:
            records = self.fault(self, records)      # may cut the buffer and schedule a failure
        dt = self.ptime * len(records)
        if dt:
            yield env.timeout(dt)
        out = self.op.process(records)
        self.processed += len(records)
        if self.trace.full:
            self.trace.emit(env.now, "record_process", self.name, n=len(records),
                            values=[_show(r[0]) for r in records], replay=replay)
        else:
            self.counts["record_process"] += 1
        outputs = self.outputs
        if out:
            outputs.add(out)
        if outputs.dirty:
            if self.flush_each:
                outputs.flush()
            elif not self.flush_timer:
                self.flush_timer = True
                env.timeout(self.attempt.buffer_timeout).callbacks.append(self._flush_due)
        if outputs.ready:
            yield from self.send_ready()
        if self.fault is not None and getattr(self, "crash_now", None):
            reason, self.crash_now = self.crash_now, None
            raise TaskFailure(reason)

    def send_ready(self):
        ready, trace, name = self.outputs.ready, self.trace, self.name
        while ready:
            ch, buf = ready[0]
            if ch.n_data >= ch.capacity:
                if not self.urgent:
                    yield ch.wait_credit()
                    continue
                self.state = BLOCKED
                try:
                    yield ch.wait_credit()
                except simpy.Interrupt as intr:
                    if intr.cause != WAKE:
                        raise
                    self.state = BUSY
                    yield from self.urgent_work()
                self.state = BUSY
                continue
            ready.popleft()
            arrival = ch.push(buf, True)
            if trace.full:
                trace.emit(self.env.now, "record_send", name, to=ch.spec.dst, channel=ch.name, n=len(buf),
                           values=[_show(r[0]) for r in buf], arrive=arrival)
            else:
                self.counts["record_send"] += 1

    def _flush_due(self, _event) -> None:
        self.flush_timer = False
        if not self.dead:
            self.post(("flush",))

    # --- actions of the barrier handler ------------------------------------------------------
    def apply(self, actions: list):
        trace, now = self.trace, self.env.now
        for a in actions:
            kind = type(a)
            if kind is Emit:
                if type(a.item) is list:
                    yield from self.process_buffer(a.item, a.replay)
                elif trace.control:
                    trace.emit(self.env.now, "end_of_partition", self.name, channel=self.inputs[a.channel].name)
            elif kind is Trigger:
                yield from self.trigger(a.id, a.unaligned)
            elif kind is Abort:
                self.abort_local(a.id, a.reason)
            elif kind is Aligned:
                self.on_aligned(a)
            elif kind is Persist:
                p = self.progress.get(a.id)
                if p is not None:
                    p.persist_in(self.inputs[a.channel].index, a.item)
                    if trace.control:
                        trace.emit(now, "buffer_persisted", self.name, checkpoint=a.id,
                                   channel=self.inputs[a.channel].name, n=len(a.item),
                                   values=[_show(r[0]) for r in a.item] if trace.full else None)
            elif kind is Block:
                if trace.control:
                    if a.id not in self.progress and len(self.handler.blocked) == 1:
                        trace.emit(now, "alignment_start", self.name, checkpoint=a.id,
                                   channel=self.inputs[a.channel].name)
                    trace.emit(now, "channel_block", self.name, channel=self.inputs[a.channel].name, checkpoint=a.id)
            elif kind is Unblock:
                if trace.control:
                    trace.emit(now, "channel_unblock", self.name, channel=self.inputs[a.channel].name)
            elif kind is Store:
                if trace.control:
                    n = len(a.item) if type(a.item) is list else 0
                    trace.emit(now, "record_buffered", self.name, channel=self.inputs[a.channel].name, n=n,
                               checkpoint=a.id)
            elif kind is SetTimer:
                self.env.timeout(max(0.0, a.at - now)).callbacks.append(lambda _e, cid=a.id: self._timer(cid))

    def _timer(self, cid: int) -> None:
        if not self.dead:
            self.post(("timer", cid))

    def handle_mail(self, message):
        kind = message[0]
        if kind == "flush":
            self.outputs.flush()
            yield from self.send_ready()
        elif kind == "timer":
            yield from self.apply(self.handler.on_timer(message[1], self.env.now))
        elif kind == "stall":
            yield self.env.timeout(message[1])
        elif kind == "stw":
            p = self.progress[message[1]] = Progress(message[1], self.env.now, self.env.now)
            p.aligned = True                       # stop the world: nothing is in flight
            yield from self.snapshot_phase(p, None)
        else:
            yield from self.handle_other(message)

    def handle_other(self, message):
        raise ValueError(f"{self.name}: unknown mail {message!r}")
        yield  # pragma: no cover

def _show(payload):
    """A JSON-friendly form of a record payload for the trace."""
    if type(payload) is tuple:
        return list(payload)
    return payload
