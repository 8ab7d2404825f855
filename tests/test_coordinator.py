"""Each rule of the checkpoint coordinator (docs/rules.md: the coordinator), on a stub job and in runs."""
import random
from types import SimpleNamespace

import simpy

from sim import load_text, run, simulate
from sim.runtime.checkpoint_store import Progress, StateBackend
from sim.runtime.coordinator import Coordinator
from sim.runtime.mail import TriggerCheckpoint
from sim.scenario.job import CheckpointingSpec
from sim.trace import Trace

from .conftest import HELLO


class StubTask:
    def __init__(self, name):
        self.name = name
        self.told = []
        self.mail = []
        self.attempt = None
        self.dead = False

    def post(self, message):
        self.mail.append(message)

    def notify_complete(self, cid):
        self.told.append(("complete", cid))

    def notify_aborted(self, cid):
        self.told.append(("aborted", cid))


def stub(**cp):
    env = simpy.Environment()
    tasks = [StubTask("source[0]"), StubTask("sink[0]")]
    attempt = SimpleNamespace(tasks=tasks, sources=tasks[:1], failing=False, failed=[], stopping=False,
                              resume_sources=lambda: None)
    attempt.fail = lambda task, reason: (attempt.failed.append(reason), setattr(attempt, "failing", True))
    version = cp.pop("flink_version", "1.20")
    cp.setdefault("initial_delay", cp.get("interval"))   # the old fixed first delay, unless a test says
    scenario = SimpleNamespace(checkpointing=CheckpointingSpec(**cp), flink_version=version)
    job = SimpleNamespace(env=env, trace=Trace("full"), scenario=scenario, attempt=attempt, rng=random.Random(1),
                          backend=StateBackend(0, 1, 0, 1, 100), running=lambda: not attempt.failing,
                          check_drained=lambda: None)
    for t in tasks:
        t.attempt = attempt
    return env, job, Coordinator(job), tasks


def ack_all(coord, tasks, cid):
    for t in tasks:
        coord.ack(cid, t, Progress(cid, 0.0, 0.0))


def test_ids_start_at_one_and_increase_with_the_interval():
    env, job, coord, tasks = stub(interval=100.0, max_concurrent=5)
    coord.start()
    env.run(until=350)
    assert [(e["t"], e["checkpoint"]) for e in job.trace.of("checkpoint_trigger")] == [(100, 1), (200, 2), (300, 3)]
    assert tasks[0].mail == [TriggerCheckpoint(1), TriggerCheckpoint(2), TriggerCheckpoint(3)]


def test_max_concurrent_makes_a_trigger_wait_until_one_finishes():
    env, job, coord, tasks = stub(interval=100.0, max_concurrent=1)
    coord.start()
    env.run(until=250)                       # checkpoint 1 pending: the trigger at 200 waits
    assert [e["checkpoint"] for e in job.trace.of("checkpoint_trigger")] == [1]
    ack_all(coord, tasks, 1)                 # at 250: the queued trigger runs at once
    assert [(e["t"], e["checkpoint"]) for e in job.trace.of("checkpoint_trigger")] == [(100, 1), (250, 2)]


def test_min_pause_drops_and_reschedules_the_trigger():
    env, job, coord, tasks = stub(interval=100.0, min_pause=120.0)
    coord.start()
    env.run(until=130)
    ack_all(coord, tasks, 1)                 # completed at 130: nothing before 250
    env.run(until=251)
    assert [(e["t"], e["checkpoint"]) for e in job.trace.of("checkpoint_trigger")] == [(100, 1), (250, 2)]
    ack_all(coord, tasks, 2)                 # completed at 251: the tick at 350 is too soon -> 371
    env.run(until=400)
    assert [e["t"] for e in job.trace.of("checkpoint_trigger")][2] == 371


def test_completion_subsumes_older_pending_without_notice():
    env, job, coord, tasks = stub(interval=None, max_concurrent=3)
    coord.trigger()
    coord.trigger()
    ack_all(coord, tasks, 2)
    assert coord.pending == {}
    assert tasks[1].told == [("complete", 2)]            # no notice at all for 1
    assert [c.id for c in coord.completed] == [2]


def test_decline_aborts_and_tells_each_task_once_leaving_others_pending():
    env, job, coord, tasks = stub(interval=None, max_concurrent=3, tolerable_failures=1)
    coord.trigger()
    coord.trigger()
    coord.decline(1, tasks[0], "declined")
    coord.decline(1, tasks[1], "declined")               # a second decline changes nothing
    assert [t.told for t in tasks] == [[("aborted", 1)], [("aborted", 1)]]
    assert list(coord.pending) == [2]
    assert job.trace.first("checkpoint_abort", checkpoint=1)["reason"] == "declined"


def test_expiry_after_timeout_and_tolerable_failures():
    env, job, coord, tasks = stub(interval=None, timeout=50.0, tolerable_failures=1)
    coord.trigger()
    env.run(until=60)
    assert job.trace.first("checkpoint_abort", checkpoint=1)["reason"] == "expired"
    assert job.attempt.failed == []                      # one tolerated
    coord.trigger()
    env.run(until=120)
    assert job.attempt.failed and "more than 1 tolerable" in job.attempt.failed[0]


def test_which_failures_count_by_reason():
    # docs/rules.md: the coordinator: a generic decline counts (0 tolerated: the job fails over); a decline caused by a
    # cancellation marker, a subsumed, end-of-input or alignment-limit abort does not
    for reason in ("cancelled", "subsumed", "end_of_stream", "alignment_limit"):
        env, job, coord, tasks = stub(interval=None)
        coord.trigger()
        coord.decline(1, tasks[1], reason)
        assert job.attempt.failed == [], reason
    env, job, coord, tasks = stub(interval=None)
    coord.trigger()
    coord.decline(1, tasks[1], "declined")
    assert job.attempt.failed and "checkpoint 1 declined" in job.attempt.failed[0]


def test_expiry_counts_from_flink_1_11():
    # docs/rules.md: the release table: with 0 tolerable failures one expiry fails the job over on 1.11 and later, never on 1.10
    for version, fails in (("1.10", False), ("1.11", True), ("2.0", True)):
        env, job, coord, tasks = stub(interval=None, timeout=50.0, flink_version=version)
        coord.trigger()
        env.run(until=60)
        assert job.trace.first("checkpoint_abort", checkpoint=1)["reason"] == "expired"
        assert bool(job.attempt.failed) is fails, version


def test_period_is_raised_to_min_pause_and_first_delay_lies_in_min_pause_to_period():
    # interval 100 < min_pause 150: the period is 150, and [min_pause, period] = [150, 150]: the
    # first trigger comes at exactly 150 (it would be 100 if the interval were used as is)
    env, job, coord, tasks = stub(interval=100.0, min_pause=150.0, initial_delay=None)
    coord.start()
    env.run(until=151)
    assert [e["t"] for e in job.trace.of("checkpoint_trigger")] == [150]
    assert job.trace.first("checkpoint_schedule")["period"] == 150


def test_random_first_delay_is_whole_ms_uniform_in_the_range_and_seeded():
    # [min_pause, period] = [200, 1000]: every draw in range, whole milliseconds (Flink draws a long),
    # spread over the range (a uniform draw: the mean of 200 draws is within 10 % of 600); the same
    # seed gives the same delay
    def delay(seed):
        env, job, coord, tasks = stub(interval=1000.0, min_pause=200.0, initial_delay=None)
        job.rng = random.Random(seed)
        coord.start()
        return job.trace.first("checkpoint_schedule")["delay"]
    draws = [delay(seed) for seed in range(200)]
    assert all(200 <= d <= 1000 and d == int(d) for d in draws)
    assert 540 <= sum(draws) / len(draws) <= 660 and min(draws) < 300 and max(draws) > 900
    assert delay(7) == delay(7)


def test_first_delay_is_drawn_again_after_every_failover():
    text = HELLO.replace("interval: 1s", "interval: 150ms") + \
        "restart: {strategy: fixed_delay, delay: 100ms}\nfaults:\n  - {at: 120, crash: count}\n"
    trace = run(load_text(text)).trace
    schedules, restart = trace.of("checkpoint_schedule"), trace.first("job_restart")
    assert len(schedules) == 2 and schedules[1]["t"] == restart["t"] == 220
    assert all(0 <= s["delay"] <= 150 for s in schedules)
    triggers = [e["t"] for e in trace.of("checkpoint_trigger")]
    assert schedules[1]["t"] + schedules[1]["delay"] in triggers


def test_a_completion_resets_the_failure_count():
    env, job, coord, tasks = stub(interval=None, timeout=50.0, tolerable_failures=1)
    coord.trigger()
    env.run(until=60)                                    # 1 expired
    coord.trigger()
    ack_all(coord, tasks, 2)                             # completes: count back to 0
    coord.trigger()
    env.run(until=200)                                   # 3 expired: 1 consecutive, tolerated
    assert job.attempt.failed == []


def test_only_the_latest_completed_checkpoints_are_retained():
    env, job, coord, tasks = stub(interval=None, num_retained=2, max_concurrent=1)
    for cid in (1, 2, 3):
        coord.trigger()
        ack_all(coord, tasks, cid)
    assert [c.id for c in coord.completed] == [2, 3]


def test_notify_reaches_every_task():
    env, job, coord, tasks = stub(interval=None)
    coord.trigger()
    ack_all(coord, tasks, 1)
    assert all(t.told == [("complete", 1)] for t in tasks)


# --- the same rules inside whole runs ---------------------------------------------------------
def test_sync_phase_failure_always_fails_the_job():
    text = HELLO.replace("interval: 1s", "interval: 150ms, tolerable_failures: 5") + \
        "faults:\n  - {task: count, decline: 1, phase: sync}\n"
    r = run(load_text(text))
    assert r.report["restarts"] == 1
    crash = r.trace.first("task_crash")
    # count is chained with format and sink (forward edges, parallelism 1): the chained task crashes
    assert crash["task"] == "count->format->sink[0]" and "synchronous phase of checkpoint 1" in crash["reason"]


def test_async_failure_counts_against_tolerable_failures():
    text = HELLO.replace("interval: 1s", "interval: 150ms") + "faults:\n  - {task: count, decline: 1, phase: async}\n"
    r = run(load_text(text))
    assert r.report["checkpoints"][0]["status"] == "declined" and r.report["restarts"] == 1
    tolerant = run(load_text(text.replace("interval: 150ms", "interval: 150ms, tolerable_failures: 1")))
    assert tolerant.report["restarts"] == 0 and tolerant.report["exactly_once"]["ok"]


def test_sources_record_offsets_then_inject_barriers():
    trace = simulate(load_text(HELLO.replace("interval: 1s", "interval: 250ms, initial_delay: 250ms"))).trace
    inject = trace.first("barrier_inject", checkpoint=1)
    assert inject["offsets"] == {"in-0": 2}              # hello@100 and world@200 read by 250 ms
    send = trace.first("barrier_send", checkpoint=1)
    assert send["task"] == "source->split[0]" and send["t"] == inject["t"] == 250


def test_stop_the_world_pauses_sources_until_quiet():
    text = HELLO.replace("interval: 1s", "interval: 150ms, mode: stop_the_world")
    r = run(load_text(text))
    assert r.report["exactly_once"]["ok"] and r.report["final_counts"] == {"hello": 2, "world": 1}
    assert not r.trace.of("barrier_send")                # no barriers at all
    assert r.report["checkpoints"][0]["status"] == "completed"


def test_retention_on_cancellation_and_on_failure():
    def kept(extra, retention):
        text = HELLO.replace("interval: 1s", f"interval: 150ms, initial_delay: 150ms, retention: {retention}, "
                                             "num_retained: 2") + extra
        return simulate(load_text(text)).trace.first("run_end")["retained_checkpoints"]
    # the run's end cancels the job: only retain_on_cancellation keeps the latest two checkpoints
    assert kept("", "delete_on_cancellation") == []
    latest = kept("", "retain_on_cancellation")
    assert len(latest) == 2 and latest[1] == latest[0] + 1
    # a job that fails for good keeps them for recovery with either explicit setting: checkpoints 1
    # and 2 completed (triggered at 150 and 300), the crash at 400 fails the job (no restart)
    crash = "restart: {strategy: none}\nfaults:\n  - {at: 400, crash: count}\n"
    assert kept(crash, "delete_on_cancellation") == [1, 2]
    assert kept(crash, "retain_on_cancellation") == [1, 2]
    # retention none, Flink's default, deletes them in every case, also after a failure for good
    assert kept(crash, "none") == [] and kept("", "none") == []
    assert load_text(HELLO).checkpointing.retention == "none"
