"""Restart strategies: the delay before each restart, and when they give up (docs/rules.md: failover)."""
import random

import pytest

from sim import load_text, run
from sim.runtime.restart_strategy import RestartStrategy
from sim.scenario.job import RestartSpec

from .conftest import HELLO, new_connectors


def delays(spec, times):
    s = RestartStrategy(RestartSpec(**spec), random.Random(1))
    return [s.next_delay(t) for t in times]


def test_none_never_restarts():
    assert delays({"strategy": "none"}, [0]) == [None]


def test_fixed_delay_with_attempts_then_gives_up():
    assert delays({"strategy": "fixed_delay", "attempts": 2, "delay": 500}, [0, 1000, 2000]) == [500, 500, None]


def test_fixed_delay_defaults_to_unlimited_attempts_of_one_second():
    assert delays({"strategy": "fixed_delay"}, range(0, 50_000, 1000)) == [1000.0] * 50


def test_failure_rate_gives_up_past_max_failures_per_interval():
    spec = {"strategy": "failure_rate", "max_failures": 2, "interval": 1000, "delay": 100}
    assert delays(spec, [0, 100, 200]) == [100, 100, None]          # 3 failures within 1 s
    assert delays(spec, [0, 100, 1500]) == [100, 100, 100]          # the first one fell out


def test_exponential_delay_grows_caps_and_resets():
    spec = {"strategy": "exponential_delay", "jitter": 0.0, "initial_backoff": 1000, "multiplier": 1.5,
            "max_backoff": 3000, "reset_after": 60_000}
    assert delays(spec, [0, 10, 20, 30, 40]) == [1000, 1500, 2250, 3000, 3000]
    assert delays(spec, [0, 10, 100_000]) == [1000, 1500, 1000]      # an hour-like quiet spell resets


def test_exponential_delay_jitter_stays_within_ten_percent():
    spec = {"strategy": "exponential_delay"}                          # Flink >= 1.19 defaults
    out = delays(spec, [0, 10, 20])
    for d, base in zip(out, [1000, 1500, 2250]):
        assert base * 0.9 <= d <= base * 1.1


@pytest.mark.parametrize("restart, gap", [("{strategy: fixed_delay, delay: 700ms}", 700.0),
                                          ("{strategy: exponential_delay, jitter: 0}", 1000.0)])
def test_restart_happens_the_strategy_delay_after_the_crash(restart, gap):
    text = HELLO.replace("checkpointing: {interval: 1s}", f"checkpointing: {{interval: 1s}}\nrestart: {restart}") + \
        "faults:\n  - {at: 250, crash: count}\n"
    r = run(load_text(text))
    crash, restart_event = r.trace.first("task_crash"), r.trace.first("job_restart")
    assert restart_event["t"] - crash["t"] == gap and crash["t"] == 250


def test_exhausted_attempts_fail_the_job_for_good():
    text = HELLO.replace("checkpointing: {interval: 1s}", "checkpointing: {interval: 1s}\nrestart: {strategy: none}") + \
        "faults:\n  - {at: 250, crash: count}\n"
    r = run(load_text(text))
    assert r.report["job_failed"] and "gives up" in r.report["job_failed"] and r.report["restarts"] == 0


# --- defaults by Flink release and by checkpointing on/off (docs/rules.md: the release table; docs/rules.md: failover) ---------------------
CRASH = "faults:\n  - {at: 250, crash: count}\n"


def with_version(version, text=HELLO):
    text = new_connectors(text) if version.startswith("2.") else text     # 2.x has only the new connectors
    return text.replace("name: t\n", f"name: t\nflink_version: \"{version}\"\n")


@pytest.mark.parametrize("version, strategy", [("1.9", "fixed_delay"), ("1.13", "fixed_delay"),
                                               ("1.18", "fixed_delay"), ("1.19", "exponential_delay"),
                                               ("1.20", "exponential_delay"), ("2.0", "exponential_delay")])
def test_default_restart_with_checkpointing_follows_the_release(version, strategy):
    # the table: fixed_delay (unlimited, 1 s) up to 1.18, exponential_delay from 1.19
    scenario = load_text(with_version(version))
    assert scenario.restart.strategy == strategy
    r = run(load_text(with_version(version) + CRASH))
    crash, restart = r.trace.first("task_crash"), r.trace.first("job_restart")
    gap = restart["t"] - crash["t"]
    # fixed_delay: exactly 1 s; exponential_delay: the first backoff, 1 s +- 10 % jitter
    assert gap == 1000.0 if strategy == "fixed_delay" else 900.0 <= gap <= 1100.0


@pytest.mark.parametrize("version", ["1.9", "1.13", "1.20", "2.0"])
def test_without_checkpointing_a_failed_job_is_not_restarted(version):
    # every release: checkpointing off => restart strategy none => the first failure is final
    text = with_version(version).replace("checkpointing: {interval: 1s}\n", "") + CRASH
    r = run(load_text(text))
    assert r.scenario.restart.strategy == "none"
    assert r.report["restarts"] == 0 and r.report["job_failed"] and "gives up" in r.report["job_failed"]


def test_an_explicit_restart_strategy_wins_over_the_release_default():
    text = with_version("1.20").replace("checkpointing: {interval: 1s}\n", "") + \
        "restart: {strategy: fixed_delay, attempts: 1, delay: 100ms}\n" + CRASH
    r = run(load_text(text))
    assert r.report["restarts"] == 1 and r.trace.first("job_restart")["t"] == 350


def test_transaction_timeout_above_broker_max_is_a_task_failure_the_strategy_retries():
    # docs/rules.md: Kafka: INVALID_TRANSACTION_TIMEOUT fails the sink task at every start; fixed_delay with 2
    # attempts restarts twice (at 100 and 200 ms) and then gives up
    text = HELLO.replace("transaction_timeout: 1min", "transaction_timeout: 1h") + \
        "restart: {strategy: fixed_delay, attempts: 2, delay: 100ms}\n"
    r = run(load_text(text))
    crashes = r.trace.of("task_crash")
    sink = "count->format->sink[0]"                     # the sink's chained task
    assert [(c["t"], c["task"]) for c in crashes] == [(0, sink), (100, sink), (200, sink)]
    assert all("INVALID_TRANSACTION_TIMEOUT" in c["reason"] for c in crashes)
    assert r.report["restarts"] == 2 and "gives up" in r.report["job_failed"]
    assert not r.trace.of("kafka_append")


@pytest.mark.parametrize("restart, key", [("{strategy: fixed_delay, delay: 0}", "restart.delay"),
                                          ("{strategy: exponential_delay, initial_backoff: 0}", "restart.initial_backoff")])
def test_a_sink_that_fails_at_every_start_with_no_restart_delay_is_refused_not_a_hang(restart, key):
    # INVALID_TRANSACTION_TIMEOUT repeats at every start: with no delay the restarts would all fall
    # at one instant and the simulation would never end
    from sim.scenario import ScenarioError
    text = HELLO.replace("transaction_timeout: 1min", "transaction_timeout: 1h") + f"restart: {restart}\n"
    with pytest.raises(ScenarioError) as info:
        load_text(text, "h.yaml")
    assert info.value.path == key
