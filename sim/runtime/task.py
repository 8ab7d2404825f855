"""One (chained) subtask as a SimPy process, shaped like Flink's ``StreamTask``.

How a record and a barrier pass through a task::

    channels -> InputGate -> barrier handler -> OperatorChain -> Outputs (record writers) -> channels
                   ^                                   |
                   +---- mailbox (typed messages) -----+---- SubtaskCheckpointer (snapshots, acks)

The loop takes mail first (timers, flushes, triggers, stalls), then one item from the input gate
(:mod:`sim.runtime.input_gate`). A data buffer goes straight to the chain while the handler is on
its fast path; otherwise the handler answers with actions (emit, block, trigger, persist, ...)
that :func:`~sim.runtime.input_gate.interpret` applies through :attr:`StreamTask.effects`. The
chain processes the buffer (``processing_time`` per record and operator), the outputs partition
the results into network buffers and the task sends them, waiting for credits when a channel is
full (backpressure). With nothing to read the task sleeps until the head of its queues arrives,
or, with empty queues, until a sender or the mailbox wakes it: a busy pipeline costs about one
SimPy event per buffer. Checkpointing is the :class:`SubtaskCheckpointer` the task owns.
"""
from __future__ import annotations

from collections import deque
from heapq import heappush

import simpy

from ..snapshot.actions import Abort, Aligned, Barrier, Block, CancelMarker, Emit, Persist, SetTimer, Store, Trigger, \
    Unblock
from .backpressure import BLOCKED, BUSY, CANCEL, IDLE, SLEEP, WAKE, Backpressure
from .chain import show
from .errors import TaskFailure
from .input_gate import INF, InputGate, interpret
from .scheduling import call_later, own_event, sleep_event, timeout_event
from .mail import Flush, HandlerTimer, SnapshotNow, Stall
from .subtask_checkpointer import SubtaskCheckpointer
from .task_effects import HandlerEffects

__all__ = ["StreamTask", "TaskFailure", "WAKE", "CANCEL", "RECORD_KINDS", "IDLE", "SLEEP", "BUSY", "BLOCKED"]

RECORD_KINDS = ("record_receive", "record_process", "record_send")     # StreamTask.tally's order
#: a queue whose head is always due first: the task loop's stand-in for SimPy's when it folds nothing
_NEVER = ((-INF,),)


class StreamTask(Backpressure, HandlerEffects):
    """A running (chained) subtask of one job attempt (waiting for credits: :mod:`sim.runtime.backpressure`;
    what the handler's actions and the mail do: :mod:`sim.runtime.task_effects`)."""

    #: mail a back-pressured task handles at once: a timer that switches to unaligned
    URGENT: frozenset = frozenset({HandlerTimer})

    def __init__(self, attempt, spec, chain, handler, inputs, outputs) -> None:
        self.attempt = attempt
        self.env = attempt.env
        self.trace = attempt.trace
        # NOTE: below trace full, RECORD_KINDS are tallied in a list the job shares and added to the
        # trace's counters at the end (a Counter update per buffer cost 8 % of a buffer_size 1 run)
        self.tally = attempt.job.record_tally
        self.name = spec.name
        self.number = attempt.number       # the attempt that deployed this task (region restarts renumber)
        self.spec = spec
        self.chain = chain
        self.handler = handler
        self.gate = InputGate(inputs, handler)
        self.outputs = outputs
        self.mailbox: deque = deque()
        self.state = BUSY
        self.wake = None
        self.sleep_until = INF
        self.dead = False
        self.cancelled = False             # cancel() ran: a second cancel (the job's, its region down) is a no-op
        self.hops = 0                      # items taken from channels or read from Kafka (this attempt)
        self.crash_now = None              # a reason armed by a per-record fault check
        self.flush_each = attempt.buffer_timeout <= 0
        self.flush_timer = False
        self.process = None
        #: handles unaligned barriers and urgent mail even while waiting for credits
        self.urgent = handler.uses_priority
        self.stop_send = False             # set by stop_sending: send_ready returns after its credit wait
        #: urgent only so that stop_sending can wake its credit wait: no mail runs meanwhile
        self.stop_only = False
        self.priority_due = False          # a priority barrier came while the task was busy (_priority_due)
        self.checkpointer = SubtaskCheckpointer(self)
        self.direct_credit = False         # see start() and send_on_credit()
        #: run on instead of waiting for a timeout certainly next (see sim.runtime.scheduling)
        self.fold = getattr(self.env, "fold", False)
        for ch in outputs.channels:
            ch.sender = self
        self.effects = {Emit: self._emit, Trigger: self._trigger, Abort: self._abort, Aligned: self.checkpointer.on_aligned,
                        Persist: self._persist, Block: self._block, Unblock: self._unblock, Store: self._store,
                        SetTimer: self._set_timer}
        self.on_mail = {Flush: self._flush, HandlerTimer: self._handler_timer, Stall: self._stall,
                        SnapshotNow: self._snapshot_now}

    def __repr__(self) -> str:
        return f"StreamTask({self.name})"

    def later(self, delay: float, fn, *args) -> None:
        """Run ``fn(*args)`` after ``delay`` unless the task has died by then."""
        call_later(self.env, delay, self.alive, fn, *args)

    def alive(self) -> bool:
        """False once the task was cancelled or failed."""
        return not self.dead

    # --- waking ------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the task's SimPy process."""
        chain = self.chain
        # A data buffer this task takes from a channel goes, while its handler is fast, straight
        # into the chain, whose first operator takes time: the task then waits (a timeout) before it
        # does anything else. Then a credit it frees may be granted at once (send_on_credit).
        self.direct_credit = (not self.trace.full and not self.handler.uses_priority and not chain.checked
                              and chain.steps[0][1] > 0)
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

    def post(self, message) -> None:
        """Put a typed message (:mod:`sim.runtime.mail`) in the mailbox; it runs between input items."""
        self.mailbox.append(message)
        if self.state == IDLE:
            self.state = BUSY
            self.attempt.active += 1
            self.wake.succeed()
        elif self.state == SLEEP:
            self.state = BUSY
            self.process.interrupt(WAKE)
        elif self.state == BLOCKED and self.urgent and not self.stop_only and type(message) in self.URGENT:
            self._unblock_urgent()

    def snapshot_now(self, cid: int) -> None:
        """Stop the world: snapshot without a barrier (everything is quiet)."""
        self.post(SnapshotNow(cid))

    def wait(self, until: float = INF):
        """The step that waits for a sender or the mailbox (``until`` INF) or until ``until`` (mail
        wakes early); None when the sleep was folded (see :mod:`sim.runtime.scheduling`): the
        clock is at its end, and the task goes on in this resume."""
        if until < INF:
            env = self.env
            if until < env._now:                    # as SimPy's Timeout: the folded and inlined sleeps would not say
                raise ValueError(f"Negative delay {until - env._now}")
            at = env._now + (until - env._now)      # NOTE: SimPy's own sum (Environment.schedule)
            q = env._queue                          # NOTE: the fold's test, see sim.runtime.scheduling
            if self.fold and (not q or q[0][0] > at):
                env._now = at                       # nothing can post or notify meanwhile: no SLEEP
                return None
        return self._wait(until)

    def _wait(self, until: float):
        if self.dead:                              # cancelled from its own process: it ends, never goes idle
            raise simpy.Interrupt(CANCEL)
        if until == INF:
            self.state = IDLE
            self.wake = event = own_event(self.env)
            self.attempt.went_idle(self)
        else:
            self.state = SLEEP
            self.sleep_until = until
            env = self.env
            event = sleep_event(env, env.active_process, until - env._now)     # NOTE: env.now, see Channel.push
        try:
            yield event
        except simpy.Interrupt as intr:
            if intr.cause != WAKE:
                raise
        self.state = BUSY

    def cancel(self) -> None:
        """Cancel the task (failover): its process ends, its in-flight work is dropped; a second cancel does nothing.

        NOTE: Flink's Execution.cancel() returns at once when the execution is already CANCELING or CANCELED
        ("already taken care of, no need to cancel again"; flink-runtime .../executiongraph/Execution.java): a job
        cancelled while a region is down (its tasks cancelled by the failover) cancels those tasks only once."""
        if self.cancelled:
            return
        failed = self.dead                         # it failed itself (fail()): its process ends of its own accord
        self.cancelled = self.dead = True
        # NOTE: neither idle nor asleep from now on, so a sender's push (a marker into a cleared channel) or a post
        # no longer wakes it, nor counts it busy in the attempt's ``active`` (fail_region took it out of the count)
        self.state = BUSY
        process = self.process
        if process is not None and process.is_alive:
            if process is not self.env.active_process:
                process.interrupt(CANCEL)
            elif not failed:
                # cancelled from its own process by another task's failure (a sink's commit failing in the notice
                # of the checkpoint its ack completed): it stops at its next yield
                self.env.timeout(0).callbacks.append(self._stop)

    def _stop(self, _event) -> None:
        if self.process.is_alive:
            self.process.interrupt(CANCEL)

    # --- the mailbox loop --------------------------------------------------------------------
    def run(self):
        """The process: mail first, then input (Flink's ``MailboxProcessor.runMailboxLoop``) until cancelled; a
        TaskFailure fails the job over. Each turn asks for one *step*: a generator to run (it takes simulated time),
        None, or a data buffer for a chain without fault checks. NOTE: that hot path is :meth:`process_buffer` and
        :meth:`input_step`'s fast path inlined (no generator per buffer, a frame less per resume), its timeouts folded."""
        (mailbox, mail_step, input_step, env, inf, steps, advance, ready, tally, n, watch, handler, channels, fold,
         queue, eid, tick, pure, first, inline) = self._loop_locals()
        try:
            while True:
                if mailbox:
                    step = mail_step(mailbox.popleft())
                elif inline and handler.fast:
                    ch, head = None, inf          # input_step's fast path (see there), below trace full
                    for c in channels:
                        q = c.queue
                        if q and (h := q[0][0]) < head:
                            ch, head = c, h
                    if head > env._now:        # NOTE: env.now, see Channel.push
                        step = self.wait(head)
                    elif type(step := ch.queue.popleft()[1]) is list:   # NOTE: Channel.take and .grant inlined
                        ch.n_data -= 1
                        if (w := ch.credit_waiter) is not None:     # (handler.fast here, the receiver is self)
                            ch.credit_waiter = None
                            if not (self.direct_credit and ch.sender.send_on_credit(w)):
                                w.succeed()
                        self.hops += len(step)
                        tally[0] += 1
                    else:
                        step = self.item_step(ch, step, env._now, None)
                else:
                    step = input_step()
                if type(step) is list:
                    out, due = step, 0.0
                    for process, ptime, after in pure:
                        due += ptime * len(out)
                        out = process(out)
                        if not out:
                            break
                        due += after * len(out)
                    k = first if out else n
                    while True:                   # an external operator (k < n) acts at its own time
                        due += steps[k][1] * len(out) if k < n else 0.0
                        if due:                   # NOTE: the timeout, folded or inlined (sim.runtime.scheduling)
                            if queue[0][0] > (at := env._now + due):
                                env._now = at
                            elif fold:
                                tick.callbacks = []
                                heappush(queue, (at, 1, next(eid), tick))
                                yield tick
                            else:
                                yield env.timeout(due)
                            due = 0.0
                        if k >= n or not (out := steps[k][0](out)):
                            break
                        out, due, k = advance(out, k + 1, 0.0)
                    if out or watch:
                        self._processed(step, out, False)
                    else:                         # NOTE: _processed's whole work here (a chain ending in a sink)
                        tally[1] += 1
                    if ready:
                        yield from self.send_ready()
                elif step is not None:
                    yield from step
        except simpy.Interrupt as intr:
            if intr.cause != CANCEL:
                raise
        except TaskFailure as failure:
            self.fail(failure.reason)

    def _loop_locals(self) -> tuple:
        """What :meth:`run` reads per turn, as locals (see there)."""
        mailbox, mail_step, input_step, env, chain = self.mailbox, self.mail_step, self.input_step, self.env, self.chain
        steps, advance, ready, tally, handler = chain.steps, chain.advance, self.outputs.ready, self.tally, self.handler
        n, full, channels, fold = len(steps), self.trace.full, self.gate.channels, self.fold
        queue, eid, tick = env._queue if fold else _NEVER, env._eid, timeout_event(env, self.process)  # scheduling.py
        pure, first = chain.pure_prefix()       # NOTE: chain.advance from step 0 inlined (no fault checks here)
        # NOTE: fault checks are put in the chain before its task starts (Job.start, redeploy_region)
        inline = type(self).input_step is StreamTask.input_step and not full and not handler.uses_priority \
            and not chain.checked
        # NOTE: else _processed only tallies: no out-edge and buffers of one record (never ``dirty``: Outputs.add)
        watch = full or bool(self.outputs.edges) or self.outputs.size > 1
        return (mailbox, mail_step, input_step, env, INF, steps, advance, ready, tally, n, watch, handler, channels,
                fold, queue, eid, tick, pure, first, inline)

    def fail(self, reason: str) -> None:
        """This task failed: the job fails over."""
        self.dead = True
        self.attempt.fail(self, reason)

    def mail_step(self, message):
        """The step of one message, found by its type in :attr:`on_mail`."""
        action = self.on_mail.get(type(message))
        if action is None:
            raise TypeError(f"{self.name}: no mailbox action for {message!r}")
        return action(message)

    def input_step(self):
        """Take one item from the input gate; the step that handles it or waits (a buffer: see :meth:`run`)."""
        now = self.env.now
        handler = self.handler
        if handler.fast and not handler.uses_priority:
            # NOTE: InputGate.poll's fast path inlined (one call less per buffer): the earliest head
            ch, head = None, INF
            for c in self.gate.channels:
                q = c.queue
                if q and q[0][0] < head:
                    ch, head = c, q[0][0]
            if head > now:
                return self.wait(head)
            item, overtaken = ch.take(), None
        else:
            ch, item, overtaken = self.gate.poll(now)
            if ch is None:
                return self.wait(item)            # nothing readable before ``item`` (a time)
        if type(item) is list:
            self.hops += len(item)
            if self.trace.full:
                self.trace.emit(now, "record_receive", self.name, channel=ch.name, n=len(item))
            else:
                self.tally[0] += 1
            if self.handler.fast:
                return item if not self.chain.checked else self.process_buffer(item, False)
            return self.apply(self.handler.on_buffer(ch.gate_index, item, now))
        return self.item_step(ch, item, now, overtaken)

    def item_step(self, ch, item, now: float, overtaken):
        """The step of an event ``item`` (barrier, cancellation marker, end of partition) taken from ``ch``."""
        if type(item) is Barrier:
            self.checkpointer.barrier_received(item.id, now)
            if self.trace.control:
                self.trace.emit(now, "barrier_receive", self.name, checkpoint=item.id, channel=ch.name,
                                unaligned=item.unaligned)
        elif type(item) is CancelMarker and self.trace.control:
            self.trace.emit(now, "cancel_marker", self.name, checkpoint=item.id, channel=ch.name)
        return self.apply(self.gate.dispatch(ch, item, now, overtaken))

    def apply(self, actions: list):
        """Apply the barrier handler's actions through :attr:`effects`."""
        return interpret(actions, self.effects)

    # --- records -----------------------------------------------------------------------------
    def process_buffer(self, records: list, replay: bool):
        """Process one buffer through the chain, then to the outputs. The time pure operators take
        (``chain.advance``) is waited for before a fault check, before an external operator and at the end."""
        env, chain = self.env, self.chain
        steps = chain.steps
        taken = None if steps[0][2] is not None else records      # what the trace says was processed
        out, due, k = chain.advance(records, 0, 0.0)
        while k < len(steps):            # a fault check or an external operator: the clock first
            process, ptime, check, external = steps[k]
            if check is not None:
                if due:
                    yield env.timeout(due)
                    due = 0.0
                out = check(self, out)       # may cut the buffer and arm the crash
                if taken is None:
                    taken = out
            due += ptime * len(out)
            if external and due:
                yield env.timeout(due)
                due = 0.0
            out = process(out)
            if not out:
                break
            out, due, k = chain.advance(out, k + 1, due)
        if due:
            yield env.timeout(due)
        self._processed(taken, out, replay)
        if self.outputs.ready:
            yield from self.send_ready()
        if self.crash_now is not None:
            reason, self.crash_now = self.crash_now, None
            raise TaskFailure(reason)

    def _processed(self, taken: list, out: list, replay: bool) -> None:
        """After the chain: the trace, then the results into buffers (flushed now or by the timer)."""
        if self.trace.full:
            self.trace.emit(self.env.now, "record_process", self.name, n=len(taken),
                            values=[show(r[0]) for r in taken], replay=replay)
        else:
            self.tally[1] += 1
        outputs = self.outputs
        if out:
            outputs.add(out)
        if outputs.dirty:
            if self.flush_each:
                outputs.flush()
            elif not self.flush_timer:
                self.flush_timer = True
                self.later(self.attempt.buffer_timeout, self._flush_due)

    def send_ready(self):
        """Send the ready output buffers in order, waiting for a credit when a channel is full."""
        ready, trace, name = self.outputs.ready, self.trace, self.name
        while ready:
            ch, buf = ready[0]
            if type(buf) is not list:        # a cancellation marker (send_cancel): no credit needed
                ready.popleft()
                ch.push(buf, False)          # in channel order, as data (not a priority event)
                continue
            if ch.n_data >= ch.capacity:
                if self.urgent:
                    yield from self._wait_credit(ch)
                    if self.stop_send:       # the barrier behind these buffers timed out (stop_sending)
                        self.stop_send = False
                        return
                else:                        # NOTE: inlined (no generator) for the common case
                    yield ch.wait_credit()
                continue
            ready.popleft()
            arrival = ch.push(buf, True)
            if trace.full:
                trace.emit(self.env.now, "record_send", name, to=ch.spec.dst, channel=ch.name, n=len(buf),
                           values=[show(r[0]) for r in buf], arrive=arrival)
            else:
                self.tally[2] += 1

    def send_on_credit(self, waiter) -> bool:
        """A receiver freed a credit of the channel this task waits on (``waiter``, its event): send
        now, with no SimPy event, and True; or False, and nothing was done (the waiter must fire).

        Granting with an event, this task would resume after every other event of this instant and
        the rest of the receiver's step. Sending at once gives the same run when nothing can see the
        difference: no other event is due at this instant (``peek``), the receiver's rest of step
        touches nothing (``direct_credit``: it waits for processing time next), the trace does not
        record sends one by one (below ``full``), no urgent mail can interrupt this task, and this
        task is still blocked afterwards (then it would have done nothing but send). The sends are
        those it would have made: here the head buffer, when the next one's channel is full (the
        common case; else its process sends); the same ``waiter`` then waits on that channel. SimPy events of a busy pipeline at
        ``buffer_size: 1``: 1.79 per hop before, see README's Performance section.
        """
        ready = self.outputs.ready
        if len(ready) < 2 or self.urgent or self.dead:
            return False                     # its last buffer: then it goes on with other work
        ch, buf = ready[0]
        if type(buf) is not list or type(ready[1][1]) is not list:
            return False                     # a cancellation marker goes next: its process sends it
        if ch.n_data >= ch.capacity:         # still full (more data than credits was restored)
            ch.credit_waiter = waiter
            return True
        nxt = ready[1][0]
        if nxt.n_data + (nxt is ch) < nxt.capacity:
            return False                     # it would send more: its process does
        env = self.env
        if env._queue and env._queue[0][0] <= env._now:     # NOTE: env.peek(), read as the fold reads it
            return False
        ready.popleft()
        ch.push(buf, True)
        self.tally[2] += 1                   # record_send, tallied (the trace is below full)
        nxt.credit_waiter = waiter
        return True

    def _flush_due(self) -> None:
        self.flush_timer = False
        self.post(Flush())

    # --- the coordinator's notices -------------------------------------------------------------
    def notify_aborted(self, cid: int) -> None:
        """The coordinator aborted ``cid``."""
        self.checkpointer.notify_aborted(cid)

    def notify_complete(self, cid: int):
        """notify_checkpoint_complete(cid): the chain may commit side effects; returns what it did."""
        try:
            return self.checkpointer.notify_complete(cid)
        except TaskFailure as failure:            # e.g. a commit the broker refuses: fail over
            self.fail(failure.reason)
            return None
