"""Folded and inlined timeouts (``sim.runtime.scheduling``): a task that would wait for a timeout
SimPy would certainly process next sets the clock itself and goes on; any other processing time
is scheduled without SimPy's Timeout. The test that decides a fold is pinned here on its own
(strict: an event queued at the very time comes first), so is the inlined timeout's queue entry;
then whole runs: every job scenario shipped (at ``control``), and generated jobs of every kind
(checkpoints of every kind, crashes, stalls, flush timers, backpressure, at every trace level),
give the same trace as with SimPy's own timeouts (``simulate(_fold=False)``); only the ``events`` statistic
(SimPy events processed) may be smaller.
"""
from __future__ import annotations

import os
from heapq import heappush
from pathlib import Path

import pytest
import simpy
from simpy.events import NORMAL
from hypothesis import given, settings

import sim
from sim import simulate
from sim.runtime.scheduling import own_event, run_counted, timeout_event
from sim.runtime.task import BUSY, SLEEP, StreamTask
from tests.test_credit_grants import JOBS, wordcount

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(p for p in (ROOT / "scenarios").rglob("*.yaml") if "kind: job" in p.read_text())
LEVELS = ("full", "control", "summary")


class Sleeper:
    """The parts of a task ``StreamTask.wait`` reads (the method is StreamTask's own)."""

    wait, _wait = StreamTask.wait, StreamTask._wait

    def __init__(self, env, fold: bool = True) -> None:
        self.env = env
        self.fold = fold
        self.state = BUSY
        self.dead = False                  # a cancelled task's _wait ends its process instead


def test_a_sleep_certainly_next_is_folded():
    env = simpy.Environment()
    env.timeout(2.0)                       # the next event queued comes after the end of the sleep
    task = Sleeper(env)
    assert task.wait(1.5) is None
    # the clock is at the sleep's end, and the task never slept (nobody could have woken it)
    assert env.now == 1.5 and task.state == BUSY and len(env._queue) == 1


def test_the_clock_is_simpys_own_sum():
    env = simpy.Environment()
    env._now = 1.0
    until = 2.0 ** 53 + 2
    task = Sleeper(env)
    assert task.wait(until) is None
    # SimPy's timeout of (until - now) is due at now + (until - now), and its step sets the clock
    # to that time. Here until - now (2**53 + 1) rounds to 2**53 (ties to even), and 1 + 2**53
    # again to 2**53: the sleep ends at 2**53, before ``until``, and so must the folded one
    assert env.now == 2.0 ** 53 != until


@pytest.mark.parametrize("fold", [True, False])
def test_a_sleep_into_the_past_is_refused_as_simpy_refuses_it(fold):
    # SimPy's Timeout raises on a negative delay; neither the folded sleep nor the inlined one may
    # move the clock back instead (no caller does this: a bug would)
    env = simpy.Environment()
    env.timeout(5.0)
    env._now = 2.0
    with pytest.raises(ValueError, match="Negative delay"):
        Sleeper(env, fold).wait(1.0)
    assert env.now == 2.0


@pytest.mark.parametrize("case", ["an event at the very time", "an event before", "folding off"])
def test_otherwise_the_task_sleeps_with_simpy(case):
    env = simpy.Environment()
    if case != "folding off":
        # at the very time: that event has a smaller eid than the sleep's timeout would, so it runs first
        env.timeout(1.5 if case == "an event at the very time" else 1.0)
    task = Sleeper(env, fold=case != "folding off")
    step = task.wait(1.5)
    assert step is not None and env.now == 0.0
    env.process(step)
    env.run(until=0.5)
    assert task.state == SLEEP and task.sleep_until == 1.5


def _ticking(env, order: list, end: str):
    """Three processing times as StreamTask.run schedules them, then the generator ends as ``end`` says."""
    tick = timeout_event(env, env.active_process)
    for _ in range(3):
        tick.callbacks = []
        heappush(env._queue, (env._now + 0.5, 1, next(env._eid), tick))
        got = yield tick
        order.append(("inlined", env.now, got))
    done = env.event().succeed("done")       # processed before the process looks: _resume goes on at once
    yield env.timeout(0)
    order.append(("processed", (yield done)))
    if end == "raise":
        raise ValueError("the task's own error")
    return end


@pytest.mark.parametrize("runner", ["simpy", "run_counted"])
def test_an_inlined_timeout_is_queued_and_processed_as_simpys(runner):
    env = simpy.Environment()
    order = []

    def simpy_timeouts():
        for _ in range(3):
            yield env.timeout(0.5)
            order.append(("simpy", env.now))

    env.process(simpy_timeouts())
    proc = env.process(_ticking(env, order, "returned"))
    env.run() if runner == "simpy" else run_counted(env)
    # SimPy's timeout at 0.5 was scheduled first (smaller eid, the same NORMAL priority): it comes
    # first at each instant, and each timeout succeeds with None
    assert order == [("simpy", 0.5), ("inlined", 0.5, None), ("simpy", 1.0), ("inlined", 1.0, None),
                     ("simpy", 1.5), ("inlined", 1.5, None), ("processed", "done")]
    assert proc.ok and proc.value == "returned" and env.active_process is None
    # the shape of the entry the loop copies: (now + delay, NORMAL = 1, eid, event)
    timeout = env.timeout(2.0)
    assert env._queue == [(3.5, 1, env._queue[0][2], timeout)] and NORMAL == 1


def test_run_counted_resumes_a_tick_as_simpy_does():
    """run_counted's own resume of a Tick: the same outcomes as SimPy's (``Process._resume``) when the
    task's generator returns, raises (the run crashes with it, as ``env.run`` does), or is interrupted
    while its Tick is queued (the Tick then resumes nobody); the same count of events as ``env.step``."""
    def world(end: str, runner: str):
        env, order = simpy.Environment(), []
        proc = env.process(_ticking(env, order, end))
        watcher = []
        proc.callbacks.append(lambda e: watcher.append((e.ok, repr(e.value))))
        if end == "interrupt":
            def interrupter():
                yield env.timeout(0.7)
                proc.interrupt("stop")
            env.process(interrupter())
        steps = 0
        try:
            if runner == "simpy":
                while env.peek() < float("inf"):
                    env.step()
                    steps += 1
            else:
                steps = run_counted(env)
        except Exception as exc:               # the failed process crashes the run: its error, copied
            return order, watcher, type(exc).__name__, str(exc), env.now
        return order, watcher, steps, env.now
    for end in ("returned", "raise", "interrupt"):
        assert world(end, "run_counted") == world(end, "simpy")



@pytest.mark.parametrize("case", ["a condition too", "a second process", "the run's until"])
def test_a_tick_someone_else_waits_on_goes_simpys_way(case):
    # run_counted resumes a Tick itself only when its own process alone waits on it: here a
    # Condition, a second process or run_counted's until waits too, and each is served as SimPy
    # serves it (the same order of resumes and the same end) -- none is skipped
    def world(runner: str):
        env, seen = simpy.Environment(), []

        def owner():
            tick = own_event(env)
            env.timeout(1.0).callbacks.append(lambda _: tick.succeed("v"))
            if case == "a condition too":
                env.process(watcher(simpy.AnyOf(env, [tick, env.timeout(10.0)]), "condition"))
            elif case == "a second process":
                env.process(watcher(tick, "second"))
            box.append(tick)
            seen.append(("owner", (yield tick), env.now))
            yield env.timeout(5.0)
            seen.append(("owner done", env.now))

        def watcher(event, name):
            yield event
            seen.append((name, env.now))

        box: list = []
        env.process(owner())
        if case == "the run's until":
            env.step()                         # the owner starts and makes its Tick
            env.step()
            until = box[0]
        else:
            until = None
        if runner == "simpy":
            env.run(until)
        else:
            run_counted(env, until)
        return seen, env.now
    assert world("run_counted") == world("simpy")


def _same_runs(scenario, levels=LEVELS) -> None:
    """Each trace level, folding on and off: the same trace and statistics, fewer or as many events."""
    for level in levels:
        on = simulate(scenario, trace_level=level)
        off = simulate(scenario, trace_level=level, _fold=False)
        assert on.trace.dumps() == off.trace.dumps(), level
        assert {k: v for k, v in on.stats.items() if k not in ("events", "wall_seconds")} == \
            {k: v for k, v in off.stats.items() if k not in ("events", "wall_seconds")}
        assert on.stats["events"] <= off.stats["events"]


def test_a_busy_pipeline_folds_timeouts():
    scenario = sim.load_text(wordcount())
    on = simulate(scenario, trace_level="summary")
    off = simulate(scenario, trace_level="summary", _fold=False)
    # 400 lines of 5 words at buffer 1: each of the 2 000 words is processed by the count chain
    # (a timeout each, foldable when no other task's event is due before it); at least a tenth fold
    assert off.stats["events"] - on.stats["events"] >= 2000 // 10


def test_runs_noting_instants_fold_nothing():
    scenario = sim.load_text(wordcount())
    noted_on, noted_off = set(), set()
    on = simulate(scenario, trace_level="summary", instants=noted_on)
    off = simulate(scenario, trace_level="summary", instants=noted_off, _fold=False)
    # sim.explore's crash points are the instants of SimPy events: a folded timeout would hide one
    assert on.stats["events"] == off.stats["events"] and noted_on == noted_off


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_shipped_job_is_the_same_run(path):
    _same_runs(sim.load_scenario(path), levels=("control",))


@settings(max_examples=int(os.environ.get("SNAPSIM_FOLD_EXAMPLES", "10")), deadline=None, derandomize=True)
@given(**JOBS)
def test_any_job_is_the_same_run_folded_or_not(**kw):
    _same_runs(sim.load_text(wordcount(duration=0.5, **kw)))
