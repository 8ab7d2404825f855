"""Restart strategies: how long after a failure the job restarts, and when it gives up.

* ``none``: never restart.
* ``fixed_delay``: ``attempts`` restarts (unlimited if absent, Flink's default with checkpointing
  before 1.19), each ``delay`` (default 1 s) after the failure.
* ``failure_rate``: restart after ``delay`` unless more than ``max_failures`` failures fell within
  the last ``interval``.
* ``exponential_delay`` (Flink >= 1.19's default): ``initial_backoff`` (1 s), times ``multiplier``
  (1.5) after each failure up to ``max_backoff`` (1 min), with +-``jitter`` (10 %) drawn from the
  run's RNG; back to the initial backoff after ``reset_after`` (1 h) without failure.
"""
from __future__ import annotations

__all__ = ["RestartStrategy"]


class RestartStrategy:
    """Decides the delay before each restart (None: give up)."""

    def __init__(self, spec, rng) -> None:
        self.spec = spec
        self.rng = rng
        self.failures: list[float] = []
        self.restarts = 0
        self.backoff = spec.initial_backoff
        self.last_failure: float | None = None

    def next_delay(self, now: float) -> float | None:
        """Delay before restarting after a failure at ``now``; None: give up."""
        spec = self.spec
        self.failures.append(now)
        kind = spec.strategy
        if kind == "none":
            return None
        if kind == "fixed_delay":
            if spec.attempts is not None and self.restarts >= spec.attempts:
                return None
            self.restarts += 1
            return 1000.0 if spec.delay is None else spec.delay
        if kind == "failure_rate":
            recent = [t for t in self.failures if t > now - spec.interval]
            if len(recent) > spec.max_failures:
                return None
            self.restarts += 1
            return 1000.0 if spec.delay is None else spec.delay
        # exponential_delay
        if self.last_failure is not None and now - self.last_failure >= spec.reset_after:
            self.backoff = spec.initial_backoff
        elif self.last_failure is not None:
            self.backoff = min(self.backoff * spec.multiplier, spec.max_backoff)
        self.last_failure = now
        if spec.attempts is not None and self.restarts >= spec.attempts:
            return None
        self.restarts += 1
        jitter = self.backoff * spec.jitter
        return self.backoff + (self.rng.uniform(-jitter, jitter) if jitter else 0.0)
