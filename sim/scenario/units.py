"""Units in scenario files: durations (milliseconds) and rates (records per millisecond)."""
from __future__ import annotations

import math
import re

__all__ = ["parse_duration", "parse_rate", "format_ms"]

_UNITS_MS = {"ms": 1.0, "s": 1000.0, "sec": 1000.0, "min": 60_000.0, "m": 60_000.0, "h": 3_600_000.0}
_NUMBER = r"((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
_DURATION = re.compile(rf"^\s*{_NUMBER}\s*(ms|s|sec|min|m|h)?\s*$")
_RATE = re.compile(rf"^\s*{_NUMBER}\s*/\s*(ms|s|sec|min|m|h)\s*$")


MAX_DURATION = 31_536_000_000.0     # 365 days, in ms (sim.scenario.limits states every limit)


def _finite(ms: float, value, what: str) -> float:
    if not math.isfinite(ms) or ms > MAX_DURATION:
        raise ValueError(f"{what} must be a finite number of at most 365 days, got {_show(value)}")
    return ms


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_duration(value) -> float:
    """``250`` / ``"250ms"`` / ``"10s"`` / ``"1.5min"`` / ``"1h"`` -> milliseconds (float, >= 0, finite)."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 250ms, 10s, 1.5min or a number of milliseconds")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"a duration cannot be negative, got {_show(value)}")
        try:
            return _finite(float(value), value, "a duration")
        except OverflowError:
            return _finite(math.inf, value, "a duration")
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return _finite(float(m.group(1)) * _UNITS_MS[m.group(2) or "ms"], value, "a duration")
    raise ValueError(f"expected a duration such as 250ms, 10s, 1.5min or a number of milliseconds, "
                     f"got {_show(value)}")


def parse_rate(value) -> float:
    """``"1000/s"`` / ``"5/ms"`` / ``200`` (per second) -> records per millisecond (> 0)."""
    if isinstance(value, bool):
        raise ValueError("expected a rate such as 1000/s")
    try:
        if isinstance(value, (int, float)):
            per_ms = float(value) / 1000.0
        elif isinstance(value, str) and (m := _RATE.match(value)):
            per_ms = float(m.group(1)) / _UNITS_MS[m.group(2)]
        else:
            raise ValueError(f"expected a rate such as 1000/s or 5/ms, got {_show(value)}")
    except OverflowError:
        per_ms = math.inf
    if not math.isfinite(per_ms):
        raise ValueError(f"a rate must be a finite number, got {_show(value)}")
    if per_ms <= 0:
        raise ValueError(f"a rate must be positive, got {_show(value)}")
    return per_ms


def format_ms(ms: float) -> str:
    """A short human form of a duration in milliseconds: ``250ms``, ``10s``, ``1.5min``."""
    if ms >= 60_000 and ms % 6000 == 0:
        return f"{ms / 60_000:g}min"
    if ms >= 1000:
        return f"{ms / 1000:g}s"
    return f"{ms:g}ms"
