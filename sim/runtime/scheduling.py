"""Scheduling helpers on SimPy's public API: late callbacks, counted runs, the end of an instant.

``call_later``: SimPy cannot take back a scheduled timeout. A timer set by a task (an upload finishing, a flush,
a handler timer, partition discovery, a producer batch) may come due after the task was cancelled
by a failover; the callback must then do nothing, or a dead attempt would touch the new one.

``run_counted`` runs an environment and counts the events it processed (SimPy keeps its own
counter private; for a plain environment its loop is SimPy's ``step`` inlined); ``call_after_instant`` calls back once every other event of an instant has run.
"""
from __future__ import annotations

from heapq import heappop
from typing import Callable

import simpy
from simpy.core import EmptySchedule

__all__ = ["call_later", "run_counted", "call_after_instant"]


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
    if type(env) is simpy.Environment:
        return _run_inline(env, until)
    step, n = env.step, 0
    try:
        if until is None:
            while True:
                step()
                n += 1
        while until.callbacks is not None:       # SimPy sets an event's callbacks to None once processed
            step()
            n += 1
    except EmptySchedule:
        pass
    return n


def _run_inline(env, until) -> int:
    """:func:`run_counted` for a plain environment, with ``Environment.step`` inlined.

    NOTE: SimPy's ``step`` (simpy/core.py, 4.x) is one method call per event, about a tenth of an
    event's cost; this loop does the very same -- pop the earliest (time, priority, id) entry, run
    its callbacks, crash on a failed event nobody defused -- on the environment's queue. Nothing in
    a run raises ``StopSimulation`` (``step``'s other branch): the run stops on ``until``.
    """
    queue, now_of = env._queue, heappop
    n = 0
    while until is None or until.callbacks is not None:
        if not queue:
            break
        env._now, _, _, event = now_of(queue)
        callbacks, event.callbacks = event.callbacks, None
        for callback in callbacks:
            callback(event)
        n += 1
        if not event._ok and not hasattr(event, "_defused"):
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc
    return n


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
