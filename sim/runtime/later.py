"""Callbacks that may fire after their attempt has failed: one helper for all of them.

SimPy cannot take back a scheduled timeout. A timer set by a task (an upload finishing, a flush,
a handler timer, partition discovery, a producer batch) may come due after the task was cancelled
by a failover; the callback must then do nothing, or a dead attempt would touch the new one.
"""
from __future__ import annotations

from typing import Callable

__all__ = ["call_later"]


def call_later(env, delay: float, alive: Callable[[], bool], fn: Callable, *args) -> None:
    """Run ``fn(*args)`` ``delay`` ms from now, unless ``alive()`` is false by then."""
    def fire(_event) -> None:
        if alive():
            fn(*args)
    env.timeout(max(0.0, delay)).callbacks.append(fire)
