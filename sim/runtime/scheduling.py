"""Scheduling helpers: late callbacks, counted runs, the end of an instant; timeouts folded or inlined.

``call_later``: SimPy cannot take back a scheduled timeout. A timer set by a task (an upload finishing, a flush,
a handler timer, partition discovery, a producer batch) may come due after the task was cancelled
by a failover; the callback must then do nothing, or a dead attempt would touch the new one.

``run_counted`` runs an environment and counts the events it processed (SimPy keeps its own
counter private); ``call_after_instant`` calls back once every other event of an instant has run.

NOTE: ``call_later`` and ``call_after_instant`` use only SimPy's public API. ``run_counted`` does
what ``Environment.step`` does, inlined over the environment's private ``_queue`` (an environment
with a ``step`` of its own, ``engine._InstantEnvironment``, is stepped through it): pop, set
``_now``, take the callbacks, call them, crash on a failed event nobody defused, and on
``StopSimulation`` leave the rest of the callbacks rescheduled first. A :class:`Tick` is an event
only one task's process waits on (its processing time, below; its sleep, ``sleep_event``; its
wake-up when idle; the credit it waits for, ``Channel.wait_credit``): once processed it has at
most one callback, that process's ``_resume``, put there when the task yielded it. The loop does
that resume itself, as ``Process._resume`` does it for an event that succeeded (``_active_proc``
set, the generator sent the event's value, the next target registered; an end or an exception of
the generator scheduled as the process's outcome; a target already processed handed to
``_resume``, which goes on exactly there). A Tick whose callback an interrupt removed (``cancel``,
a wake from a sleep) has none, and is passed over as SimPy would. Both read SimPy's private
attributes for about 2 % of a ``buffer_size: 1`` run (valgrind; inlining ``step`` alone was
measured at 1 % of the time in the third round and not kept then). The task loop's timeouts below
read ``Environment._now``, ``_queue`` and ``_eid`` (SimPy 4, pinned by pyproject.toml and by
``tests/test_fold.py``): most of a ``buffer_size: 1`` run's SimPy events are those timeouts.

*Folding* a timeout (the task loop's processing time and its sleep until the head of its queues,
``StreamTask.run`` and ``StreamTask.wait``; on when the engine sets ``env.fold``): a task that would
``yield env.timeout(delay)`` when SimPy's queue holds nothing at or before ``now + delay`` (``not
env._queue or env._queue[0][0] > env._now + delay``) sets ``env._now = env._now + delay`` itself and
goes on in the same resume. NOTE: the same run, because that timeout is certainly the next event:
SimPy would pop it (``step``: ``_now`` becomes its time, the very sum ``Environment.schedule`` makes)
and resume this process with nothing run in between, and that resume does what the folded code does.
* strict ``>``: an event already queued at that time came first (smaller ``eid``, or ``URGENT``);
* whatever this process scheduled while running (a succeeded event, a timeout of 0, an interrupt,
  a channel's wake-up of a receiver) is in the queue, so the test sees it; so is the run's end
  (``run_counted``'s ``until``: the engine's stop event once succeeded, and its ``max_time`` timeout);
* events scheduled later get other ``eid``s, but ``eid``s are compared only among queued events
  with equal times and priorities, whose order the skipped ones do not change;
* the event that resumed the task has no other callback waiting to run at the old time: a task
  waits only on events of its own (its timeouts, its wake event, its credit waiter, interrupts);
* nothing reads the clock between steps: ``run_counted`` only counts steps (the ``events``
  statistic is smaller when timeouts are folded), and the engine turns folding off for
  ``_InstantEnvironment``, which notes the time of every step (``sim.explore``'s crash points).
A timeout the task loop cannot fold is inlined: ``timeout_event`` makes one event per task, reused
for every processing time, and the loop schedules it as ``Timeout.__init__`` and
``Environment.schedule`` do (``callbacks = []``, then ``(now + delay, NORMAL, next(eid), event)``
pushed on the queue). NOTE: the same queue entry as ``env.timeout(delay)``, without its two calls
and a new object (a SimPy timeout with its process resumed costs about 0.4 µs, the inlined one
0.24 µs). Reusing the event is safe: the loop waits on it only (nothing else keeps it), and
yields it again only after SimPy processed it. An interrupt while it is queued (a task waits for
processing time BUSY: only ``cancel``'s) ends the process, so the entry left queued resumes nobody.
The loop reads ``env._queue[0]`` without testing for an empty queue: while a job runs, the run's
``max_time`` (or ``until``) timeout stays queued (``engine._run_job``).
``tests/test_fold.py`` runs generated jobs folded and inlined, and with neither, and finds the same traces.
"""
from __future__ import annotations

from heapq import heappop, heappush
from itertools import count
from typing import Callable

from simpy.core import EmptySchedule, Environment, StopSimulation
from simpy.events import NORMAL, PENDING, Event, EventPriority

__all__ = ["call_later", "run_counted", "call_after_instant", "timeout_event", "sleep_event", "own_event", "Tick"]


def call_later(env, delay: float, alive: Callable[[], bool], fn: Callable, *args) -> None:
    """Run ``fn(*args)`` ``delay`` ms from now, unless ``alive()`` is false by then."""
    def fire(_event) -> None:
        if alive():
            fn(*args)
    env.timeout(max(0.0, delay)).callbacks.append(fire)


def run_counted(env, until=None) -> int:
    """Run ``env`` until the event ``until`` was processed (None: until nothing is scheduled).

    Returns the number of events processed: the run's ``events`` statistic.
    """
    # NOTE: as SimPy's own ``run``: ``until`` ends the loop by raising StopSimulation from its last
    # callback, so the loop itself tests nothing per event
    if until is not None:
        if until.callbacks is None:              # SimPy sets an event's callbacks to None once processed
            return 0
        until.callbacks.append(StopSimulation.callback)
    if type(env).step is not Environment.step:   # a subclass's own step (the engine's _InstantEnvironment)
        return _run_stepping(env)
    return _run_inline(env)


def _run_inline(env) -> int:
    """``run_counted``'s loop with ``Environment.step`` inlined, and ``Process._resume`` for a task's
    :class:`Tick` (see the module's NOTE on both)."""
    queue, n = env._queue, 0
    try:
        while queue:                             # step(): an empty queue is its EmptySchedule
            env._now, _, _, event = heappop(queue)
            n += 1
            callbacks, event.callbacks = event.callbacks, None
            # NOTE: only [its task's _resume], the task waiting on it (a Tick is its task's own; anything
            # else, e.g. a Condition or a second process waiting too, goes SimPy's way below)
            if type(event) is Tick and event._ok and len(callbacks) == 1 and event.process._target is event:
                proc = event.process
                env._active_proc = proc
                try:
                    target = proc._generator.send(event._value)
                except BaseException as exc:
                    _ended(env, proc, exc)
                    continue
                if target.callbacks is None:         # processed already: _resume sends its value at once
                    proc._resume(target)
                else:
                    target.callbacks.append(event.resume)
                    proc._target = target
                    env._active_proc = None
                continue
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                _crash(event)
    except StopSimulation:
        _stopped(env, event, callbacks, callback)
    return n


def _run_stepping(env) -> int:
    """``run_counted``'s loop over ``env.step()``, for an environment with a step of its own."""
    step, n = env.step, 0
    try:
        for n in count(1):                       # ``n`` counts the step under way
            step()
    except StopSimulation:
        return n
    except EmptySchedule:
        return n - 1                             # the last call found nothing to process


def _ended(env, proc, exc: BaseException) -> None:
    """The task's generator ended (returned or raised) in a resume by a Tick: as ``Process._resume``
    ends a process, the process event is scheduled with the outcome."""
    proc._target = None
    if isinstance(exc, StopIteration):
        proc._ok = True
        proc._value = exc.args[0] if len(exc.args) else None
    else:
        proc._ok = False
        exc.__traceback__ = exc.__traceback__.tb_next     # run_counted's frame, as _resume strips its own
        proc._value = exc
    env.schedule(proc)
    env._active_proc = None


def _crash(event) -> None:
    """A failed event nobody defused crashes the run, as in ``Environment.step``."""
    exc = type(event._value)(*event._value.args)
    exc.__cause__ = event._value
    raise exc


def _stopped(env, event, callbacks: list, callback) -> None:
    """``callback`` of ``event`` stopped the run: the rest of its callbacks stay with it, rescheduled
    as ``Environment.step`` reschedules them (at once, first), for a later run of ``env``."""
    event.callbacks = callbacks[callbacks.index(callback) + 1:]
    env.schedule(event, EventPriority(-1))


def call_after_instant(env, delay: float, fn: Callable) -> None:
    """Call ``fn()`` ``delay`` ms from now, once every other event of that instant has run.

    Keep at most one such call pending per instant: two would keep deferring to each other.
    """
    def fire(_event) -> None:
        if env.peek() == env.now:
            env.timeout(0).callbacks.append(fire)
        else:
            fn()
    env.timeout(max(0.0, delay)).callbacks.append(fire)


class Tick(Event):
    """An event only its task's ``process`` waits on (processing time, a sleep, a wake-up, a credit):
    ``run_counted`` resumes that process itself (see the module's NOTE)."""

    def __init__(self, env, process, value=PENDING) -> None:
        self.env = env                       # NOTE: what Event.__init__ sets, without its call
        self.callbacks = []
        self.process = process               # the task's process: the only one that waits on it
        # NOTE: its ``_resume`` made once: a bound method equals any other of the same function and
        # process, so an interrupt's ``callbacks.remove(process._resume)`` finds it as before
        self.resume = process._resume
        if value is not PENDING:             # succeeded already (a timeout's None), else by succeed()
            self._ok, self._value = True, value


def timeout_event(env, process) -> Tick:
    """An event to schedule as a timeout again and again: ``callbacks = []``, then push ``(env._now + delay,
    NORMAL, next(env._eid), event)`` on ``env._queue`` (what ``env.timeout(delay)`` does; see the module's NOTE).
    Only ``process`` may wait on it."""
    assert NORMAL == 1                           # the task loop pushes the priority as a constant
    return Tick(env, process, None)              # as a Timeout: it succeeds with the value None


def own_event(env) -> Event:
    """A pending event only the running process will wait on: a :class:`Tick` of it (an Event outside
    any process, where a caller could hand it to anyone)."""
    process = env.active_process
    return Event(env) if process is None else Tick(env, process)


def sleep_event(env, process, delay: float) -> Tick:
    """``env.timeout(delay)`` for ``process`` alone: a new :class:`Tick` each time (an interrupted sleep
    leaves its entry queued; with its callback removed it resumes nobody)."""
    tick = Tick(env, process, None)
    heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), tick))
    return tick
