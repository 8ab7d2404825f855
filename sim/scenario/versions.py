"""Behaviour by Flink release: ``flink_version`` picks the defaults of every version-dependent key.

The table is docs/rules.md: the release table (read from Flink's sources and release notes). A scenario names
a release (``flink_version: "1.13"``, default ``"1.20"``); every key it leaves out takes that
release's behaviour, an explicit key always wins, and a key for a feature the release does not
have (unaligned checkpoints on 1.10, the exponential-delay restart strategy on 1.12, ...) is a
:class:`ScenarioError` naming the key and the release.

:func:`release` gives the :class:`Release` of a version string; :func:`apply_release` returns a
scenario with its defaults filled in (the runtime reads only the filled-in scenario, plus
``Release`` fields that are no scenario key, such as whether an expired checkpoint counts).
"""
from __future__ import annotations

import re

from ..values import Value, set_field

__all__ = ["Release", "release", "parse_version", "apply_release", "DEFAULT_VERSION", "LATEST"]

DEFAULT_VERSION = "1.20"
LATEST = {1: 20, 2: 2}                  # the newest minor release of each major line we know of
_VERSION = re.compile(r"^\s*([0-9]+)\.([0-9]+)(?:\.([0-9]+))?\s*$")


class Release(Value):
    """What one Flink release does where releases differ (docs/rules.md: the release table)."""

    __slots__ = ("version", "major", "minor")

    def __init__(self, version: str, major: int, minor: int) -> None:
        set_field(self, "version", version)
        set_field(self, "major", major)
        set_field(self, "minor", minor)

    def at_least(self, major: int, minor: int) -> bool:
        return (self.major, self.minor) >= (major, minor)

    @property
    def alignment(self) -> str:
        """How an aligned task holds a blocked channel's data: buffer (<= 1.10) or block."""
        return "block" if self.at_least(1, 11) else "buffer"

    @property
    def unaligned(self) -> bool:
        """Unaligned checkpoints exist (FLIP-76, 1.11)."""
        return self.at_least(1, 11)

    @property
    def aligned_timeout_input(self) -> bool:
        """``aligned_timeout`` switches at the receiving task (1.13)."""
        return self.at_least(1, 13)

    @property
    def aligned_timeout_from_trigger(self) -> bool:
        """``aligned_timeout`` counts from the checkpoint's trigger (FLINK-23041, 1.14); in 1.13 from
        the first arrival of the checkpoint's barrier at the task."""
        return self.at_least(1, 14)

    @property
    def aligned_timeout_output(self) -> bool:
        """``aligned_timeout`` also switches a barrier stuck in a sender's output queue (1.16)."""
        return self.at_least(1, 16)

    @property
    def end_of_partition(self) -> str:
        """An input that ends during an alignment: abort it (< 1.15) or count as aligned (FLIP-147)."""
        return "align" if self.at_least(1, 15) else "abort"

    @property
    def final_checkpoint(self) -> bool:
        """A final checkpoint when the input ends (FLIP-147, on by default from 1.15)."""
        return self.at_least(1, 15)

    @property
    def failover(self) -> str:
        """Which tasks a task failure restarts: every one (<= 1.9) or its pipelined region."""
        return "region" if self.at_least(1, 10) else "full"

    @property
    def expiry_counts(self) -> bool:
        """An expired checkpoint counts against tolerable_failures (1.11's CheckpointFailureManager)."""
        return self.at_least(1, 11)

    @property
    def exponential_delay(self) -> bool:
        """The exponential-delay restart strategy exists (FLINK-19773, 1.13)."""
        return self.at_least(1, 13)

    @property
    def exponential_attempts(self) -> bool:
        """exponential-delay has a maximum number of attempts (FLINK-32895, 1.19)."""
        return self.at_least(1, 19)

    def restart_strategy(self, checkpointing: bool) -> str:
        """The default restart strategy: none without checkpointing; with it fixed_delay (unlimited
        attempts, 1 s) before 1.19 and exponential_delay from 1.19."""
        if not checkpointing:
            return "none"
        return "exponential_delay" if self.at_least(1, 19) else "fixed_delay"

    @property
    def sink_implementation(self) -> str:
        """The Kafka sink a job of this release would use: FlinkKafkaProducer before 1.15."""
        return "KafkaSink" if self.at_least(1, 15) else "FlinkKafkaProducer"

    @property
    def source_implementation(self) -> str:
        """The Kafka source a job of this release would use: FlinkKafkaConsumer before 1.15."""
        return "KafkaSource" if self.at_least(1, 15) else "FlinkKafkaConsumer"

    @property
    def legacy_connectors(self) -> bool:
        """FlinkKafkaProducer / FlinkKafkaConsumer exist (removed with connector 4.0, Flink 2.x)."""
        return self.major < 2


def parse_version(value) -> tuple[int, int, str]:
    """``"1.13"`` or ``"1.13.6"`` -> (1, 13, "1.13"); anything else raises ValueError."""
    if isinstance(value, float):
        raise ValueError(f"write the release as a string, e.g. flink_version: \"1.20\" (YAML reads an "
                         f"unquoted {value!r} as a number, and 1.20 and 1.2 are the same number)")
    m = _VERSION.match(value) if isinstance(value, str) else None
    if not m:
        raise ValueError(f"expected a Flink release such as \"1.13\" or \"2.0\", got {value!r}")
    major, minor = int(m.group(1)), int(m.group(2))
    if major not in LATEST or minor > LATEST[major]:
        known = ", ".join(f"{k}.0 .. {k}.{v}" for k, v in LATEST.items())
        raise ValueError(f"unknown Flink release {value!r}; snapsim knows {known}")
    return major, minor, f"{major}.{minor}"


def release(version: str) -> Release:
    """The :class:`Release` of a version string (raises ValueError for an unknown one)."""
    major, minor, name = parse_version(version)
    return Release(name, major, minor)


def apply_release(scenario):
    """``scenario`` with every version-dependent key it leaves out set from its ``flink_version``.

    Raises ScenarioError for a key the release does not have. Gate and job scenarios only.
    """
    rel = release(scenario.flink_version)
    if scenario.kind == "gate":
        return _gate(scenario, rel)
    return _job(scenario, rel)


def _lacks(scenario, rel: Release, what: str, since: str, *path):
    return scenario.error(f"Flink {rel.version} has no {what} (from Flink {since}); remove the key or "
                          f"choose a later flink_version", *path)


def _gate(s, rel: Release):
    if s.handler in ("unaligned", "alternating") and not rel.unaligned:
        raise _lacks(s, rel, "unaligned checkpoints", "1.11", "handler")
    if s.handler == "alternating" and not rel.aligned_timeout_input:
        raise _lacks(s, rel, "aligned checkpoint timeout", "1.13", "handler")
    update = {k: getattr(rel, k) for k in ("alignment", "end_of_partition") if k not in s.model_fields_set}
    return s.model_copy(update=update) if update else s


def _job(s, rel: Release):
    cp = s.checkpointing
    if cp.unaligned and not rel.unaligned:
        raise _lacks(s, rel, "unaligned checkpoints", "1.11", "checkpointing", "unaligned")
    if cp.aligned_timeout > 0 and not rel.aligned_timeout_input:
        raise _lacks(s, rel, "aligned checkpoint timeout", "1.13", "checkpointing", "aligned_timeout")
    cp_update = {k: getattr(rel, k) for k in ("alignment", "end_of_partition") if k not in cp.model_fields_set}
    update = {"checkpointing": cp.model_copy(update=cp_update)} if cp_update else {}
    if "failover" not in s.job.model_fields_set:
        update["job"] = s.job.model_copy(update={"failover": rel.failover})
    restart = _restart(s, rel)
    if restart is not s.restart:
        update["restart"] = restart
    return s.model_copy(update=update) if update else s


_PARAMS = {"fixed_delay": {"attempts", "delay"}, "failure_rate": {"max_failures", "interval", "delay"},
           "exponential_delay": {"attempts", "initial_backoff", "max_backoff", "multiplier", "jitter",
                                 "reset_after"},
           "none": set()}


def _restart(s, rel: Release):
    r = s.restart
    given = r.model_fields_set
    strategy = r.strategy if "strategy" in given else rel.restart_strategy(s.checkpointing.interval is not None)
    if strategy == "exponential_delay" and not rel.exponential_delay:
        raise _lacks(s, rel, "exponential_delay restart strategy", "1.13", "restart", "strategy")
    if strategy == "exponential_delay" and "attempts" in given and not rel.exponential_attempts:
        raise _lacks(s, rel, "attempts for exponential_delay", "1.19", "restart", "attempts")
    for key in sorted(given - {"strategy"} - _PARAMS[strategy]):
        why = "" if "strategy" in given else f" (Flink {rel.version}'s default here)"
        raise s.error(f"'{key}' is no parameter of the restart strategy {strategy}{why}; set restart.strategy "
                      f"or remove the key", "restart", key)
    if "strategy" in given:
        return r
    return r.model_copy(update={"strategy": strategy})
