"""Limits that keep every accepted scenario runnable in bounded time and memory.

A number that passes the schema can still ask for the impossible (``rate: 1.0e12/s``,
``parallelism: 1000000``, ``interval: 0.001`` for a day). These limits are far above what a
teaching or study scenario needs (docs/scenario-keys.md states them); past them a scenario is
refused with a message naming the key, before anything runs.
"""
from __future__ import annotations

from .units import MAX_DURATION, format_ms     # 365 days: any other duration (timeouts, intervals, delays)

__all__ = ["MAX_PARALLELISM", "MAX_PARTITIONS", "MAX_RECORDS", "MAX_SIM_TIME", "MAX_DURATION", "MAX_PERIODIC",
           "MAX_CHANNELS", "MAX_COUNT", "MAX_RESTARTS", "MAX_WORDS", "check_job_limits"]

MAX_PARALLELISM = 256               # subtasks of one operator
MAX_PARTITIONS = 10_000             # partitions of one topic
MAX_CHANNELS = 100_000              # network channels of the whole job (all-to-all edges: p x p)
MAX_RECORDS = 10_000_000            # input records written in all (explicit and generated)
MAX_SIM_TIME = 86_400_000.0         # 24 h of simulated time: run.until, run.max_time, input times
MAX_PERIODIC = 1_000_000            # firings of a periodic action (checkpoints, scans, flushes) per run
MAX_RESTARTS = 100_000              # restarts a restart strategy may make in one run
MAX_WORDS = 5 * MAX_RECORDS         # words of generated lines (each becomes a record after a split)
MAX_COUNT = 1_000_000               # other counts: buffer sizes, capacities, words per line, channels


def check_job_limits(s) -> None:
    """Raise a ScenarioError for the first limit a job scenario passes."""
    total = 0
    for i, item in enumerate(s.input):
        if hasattr(item, "generate"):
            g = item.generate
            if g.start + g.duration > MAX_SIM_TIME:
                raise s.error(f"input is generated until {g.start + g.duration:g} ms; the simulated time is "
                              f"limited to {MAX_SIM_TIME:g} ms (24 h)", "input", i, "generate", "duration")
            n = g.rate * g.duration
            if n > MAX_RECORDS or total + n > MAX_RECORDS:
                raise s.error(f"this generates {n:,.0f} records; a scenario may write at most {MAX_RECORDS:,} "
                              "input records (lower the rate or the duration)", "input", i, "generate", "rate")
            if n * g.words_per_line > MAX_WORDS:
                raise s.error(f"this generates {n * g.words_per_line:,.0f} words; at most {MAX_WORDS:,} are "
                              "allowed (fewer words per line or fewer lines)", "input", i, "generate",
                              "words_per_line")
            total += n
        elif hasattr(item, "transaction"):
            t = item.transaction
            total += len(t.records)
            last = max([r.at for r in t.records] + [x for x in (t.commit, t.abort) if x is not None])
            if last > MAX_SIM_TIME:
                raise s.error(f"{last:g} ms is beyond the simulated time limit of {MAX_SIM_TIME:g} ms (24 h)",
                              "input", i, "transaction")
        else:
            total += 1
            if item.at > MAX_SIM_TIME:
                raise s.error(f"{item.at:g} ms is beyond the simulated time limit of {MAX_SIM_TIME:g} ms (24 h)",
                              "input", i, "at")
    _check_run_time(s)
    _check_channels(s)


def _check_run_time(s) -> None:
    run = s.run
    limit = run.max_time if run.until == "drained" else run.until
    key = "max_time" if run.until == "drained" else "until"
    if limit > MAX_SIM_TIME:
        raise s.error(f"{format_ms(limit)} of simulated time is more than the limit of 24h",
                      "run", key)
    periodic = [(s.checkpointing.interval, ("checkpointing", "interval"), "checkpoints"),
                (s.kafka.abort_scan_interval, ("kafka", "abort_scan_interval"), "broker scans"),
                (s.job.network.buffer_timeout or None, ("job", "network", "buffer_timeout"), "buffer flushes")]
    periodic += [(op.partition_discovery_interval, ("job", "operators", i, "partition_discovery_interval"),
                  "partition discoveries") for i, op in enumerate(s.job.operators)
                 if getattr(op, "partition_discovery_interval", None)]
    if s.kafka.abort_scan_interval <= 0:
        raise s.error("the broker's scan for timed-out transactions needs a positive interval",
                      "kafka", "abort_scan_interval")
    for period, path, what in periodic:
        if period and limit / period > MAX_PERIODIC:
            raise s.error(f"every {format_ms(period)} over {format_ms(limit)} of simulated time ({key}) makes "
                          f"{limit / period:,.0f} {what}; at most {MAX_PERIODIC:,} are allowed "
                          f"(use a longer period or a shorter run)", *path)
    _check_restarts(s, limit, key)


def _check_restarts(s, limit: float, key: str) -> None:
    r = s.restart
    # only a failure that can come again in every attempt restarts without end: a probability per
    # record, or a sink whose transaction timeout the broker refuses (it fails at every start)
    refused = any(op.type == "kafka_sink" and op.semantic == "exactly_once"
                  and op.transaction_timeout > s.kafka.transaction_max_timeout for op in s.job.operators)
    if not (refused or any(hasattr(f, "probability") for f in s.faults)) or r.strategy == "none":
        return
    delay = r.delay if r.delay is not None else 1000.0
    if r.strategy == "exponential_delay":        # no delay is shorter than the first, less its jitter
        delay = r.initial_backoff * (1 - r.jitter)
    if r.strategy == "fixed_delay" and r.attempts is not None:
        most = r.attempts
    else:
        most = limit / delay if delay else float("inf")
    if most > MAX_RESTARTS:
        what = (f"a restart every {format_ms(delay)} over {format_ms(limit)} ({key})" if delay else
                "unlimited restarts with no delay (all at one instant)")
        key = "initial_backoff" if r.strategy == "exponential_delay" else "delay" if r.attempts is None else "attempts"
        raise s.error(f"{what} allows more than {MAX_RESTARTS:,} restarts; give a longer delay or fewer "
                      f"attempts", "restart", key)


def _check_channels(s) -> None:
    ops = {op.name: op for op in s.job.operators}
    par = {name: op.parallelism or s.job.parallelism for name, op in ops.items()}
    edges = [(e.from_, e.to, e.partitioner) for e in s.job.edges] or \
        [(a.name, b.name, None) for a, b in zip(s.job.operators, s.job.operators[1:])]
    channels = 0
    for a, b, part in edges:
        pa, pb = par.get(a, 1), par.get(b, 1)
        # the job graph's default: hash into keyed_sum, forward between equal parallelism, else rebalance
        forward = part == "forward" or (part is None and pa == pb and getattr(ops.get(b), "type", "") != "keyed_sum")
        channels += pa if forward else pa * pb
    if channels > MAX_CHANNELS:
        raise s.error(f"this job needs up to {channels:,} network channels (parallelism x parallelism per edge); "
                      f"at most {MAX_CHANNELS:,} are allowed", "job", "parallelism")
