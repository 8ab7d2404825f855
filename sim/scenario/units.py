"""Units in scenario files: durations (milliseconds) and rates (records per millisecond)."""
from __future__ import annotations

import re

__all__ = ["parse_duration", "parse_rate", "format_ms"]

_UNITS_MS = {"ms": 1.0, "s": 1000.0, "sec": 1000.0, "min": 60_000.0, "m": 60_000.0, "h": 3_600_000.0}
_NUMBER = r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_DURATION = re.compile(rf"^\s*{_NUMBER}\s*(ms|s|sec|min|m|h)?\s*$")
_RATE = re.compile(rf"^\s*{_NUMBER}\s*/\s*(ms|s|sec|min|m|h)\s*$")


def parse_duration(value) -> float:
    """``250`` / ``"250ms"`` / ``"10s"`` / ``"1.5min"`` / ``"1h"`` -> milliseconds (float, >= 0)."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 250ms, 10s, 1.5min or a number of milliseconds")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"a duration cannot be negative, got {value}")
        return float(value)
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return float(m.group(1)) * _UNITS_MS[m.group(2) or "ms"]
    raise ValueError(f"expected a duration such as 250ms, 10s, 1.5min or a number of milliseconds, got {value!r}")


def parse_rate(value) -> float:
    """``"1000/s"`` / ``"5/ms"`` / ``200`` (per second) -> records per millisecond (> 0)."""
    if isinstance(value, bool):
        raise ValueError("expected a rate such as 1000/s")
    if isinstance(value, (int, float)):
        per_ms = float(value) / 1000.0
    elif isinstance(value, str) and (m := _RATE.match(value)):
        per_ms = float(m.group(1)) / _UNITS_MS[m.group(2)]
    else:
        raise ValueError(f"expected a rate such as 1000/s or 5/ms, got {value!r}")
    if per_ms <= 0:
        raise ValueError(f"a rate must be positive, got {value!r}")
    return per_ms


def format_ms(ms: float) -> str:
    """A short human form of a duration in milliseconds: ``250ms``, ``10s``, ``1.5min``."""
    if ms >= 60_000 and ms % 6000 == 0:
        return f"{ms / 60_000:g}min"
    if ms >= 1000:
        return f"{ms / 1000:g}s"
    return f"{ms:g}ms"
