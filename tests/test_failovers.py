"""The report's ``failovers`` (from the trace) and the CLI's line per failover with its cause."""
import subprocess
import sys

import sim
from sim import load_text, run

from .conftest import HELLO, SCENARIOS


def test_two_crashes_each_with_cause_region_and_restored_checkpoint():
    # two_crashes.yaml (checkpoints every 200 ms, first at 200 ms, restart delay 300 ms):
    # split (chained with the source) crashes at 350 -> restored from 1 (200 ms) at 650; checkpoints
    # 2, 3, 4 at 850, 1050, 1250; sink[0] (chained after count and format) crashes at 1400 -> from 4
    r = sim.run(SCENARIOS / "recovery" / "two_crashes.yaml")
    got = [(f["t"], f["task"], f["restored_checkpoint"], f["delay"], f["outcome"]) for f in r.report["failovers"]]
    assert got == [(350, "source->split[0]", 1, 300, "restarted"),
                   (1400, "count->format->sink[0]", 4, 300, "restarted")]
    assert all("fault plan" in f["reason"] for f in r.report["failovers"])
    # one region (the keyBy joins everything): every task restarts
    names = {t["name"] for t in r.trace.first("run_start")["tasks"]}
    assert all(set(f["restarted"]) == names for f in r.report["failovers"])


def test_a_failover_the_coordinator_starts_has_no_task():
    # a generic decline counts; with 0 tolerated the coordinator fails the job over
    text = HELLO.replace("interval: 1s", "interval: 150ms, initial_delay: 150ms") + \
        "restart: {strategy: fixed_delay, delay: 100ms}\nfaults:\n  - {task: count, decline: 1}\n"
    f = run(load_text(text)).report["failovers"]
    assert len(f) == 1 and f[0]["task"] is None and "checkpoint 1 declined" in f[0]["reason"]
    assert f[0]["restored_checkpoint"] is None and f[0]["delay"] == 100


def test_a_failover_the_strategy_gives_up_on():
    text = HELLO + "restart: {strategy: none}\nfaults:\n  - {at: 250, crash: count}\n"
    f = run(load_text(text)).report["failovers"]
    assert [(x["t"], x["task"], x["outcome"], x["delay"]) for x in f] == \
        [(250, "count->format->sink[0]", "gave_up", None)]


def test_cli_lists_each_failover_with_its_cause():
    out = subprocess.run([sys.executable, "-m", "sim.cli", "run", str(SCENARIOS / "recovery" / "two_crashes.yaml")],
                         capture_output=True, text=True).stdout
    assert "failover at 350 ms: source->split[0] failed: crashed at 350 ms (fault plan)" in out
    assert "restarted 300 ms later, from checkpoint 4" in out


REGION = SCENARIOS / "recovery" / "region_failover.yaml"


def test_region_failover_keeps_the_other_pipeline_running_with_its_transaction():
    # docs/rules.md: failover: the forward-only job has two regions; the crash of pipeline 1 at 350 ms restarts
    # only its task. Pipeline 0 writes c at 700 ms (pipeline 1 is down until ~1440 ms) into the
    # transaction it opened at checkpoint 1, which is committed by checkpoint 2, never aborted.
    r = sim.run(REGION)
    (f,) = r.report["failovers"]
    assert f["restarted"] == ["source->split->format->sink[1]"] and f["restored_checkpoint"] == 1
    restart = r.trace.first("job_restart")
    assert restart["tasks"] == f["restarted"] and 900 <= restart["t"] - 350 <= 1100
    c = r.trace.first("kafka_append", value="c:::1")
    assert c["task"] == "source->split->format->sink[0]" and 700 <= c["t"] < restart["t"]
    txn = next(t for t in r.report["transactions"] if t["id"] == c["txn"])
    assert txn["status"] == "committed" and txn["checkpoint"] == 2
    assert not [e for e in r.trace.of("txn_abort") if e["txn"].startswith("sink[0]")]


def test_full_failover_restarts_both_pipelines_and_replays_the_open_transaction():
    # failover: full (Flink 1.9's only strategy): both tasks restart from checkpoint 1; pipeline 0's
    # open transaction (b) is aborted on restore and b is written again
    for overrides in (["job.failover=full"], ["flink_version=1.9"]):
        r = sim.run(sim.load_scenario(REGION, overrides=overrides))
        (f,) = r.report["failovers"]
        assert len(f["restarted"]) == 2 and r.report["exactly_once"]["ok"]
        assert [e["txn"] for e in r.trace.of("txn_abort") if e["txn"].startswith("sink[0]")] == ["sink[0]#2"]
        assert r.report["consumers"]["dirty"].count("b:::1") == 2


def test_a_sweep_across_releases_shows_the_same_crash_handled_by_each():
    # the region_failover crash on 1.9 (full failover: 2 tasks, fixed_delay 1 s), 1.13 (region: 1
    # task, fixed_delay 1 s), 1.20 and 2.0 (region, exponential_delay: 1 s +- 10 %)
    from sim.explore import sweep
    rows = {r["flink_version"]: r for r in sweep(REGION, {"flink_version": ["1.9", "1.13", "1.20", "2.0"]})}
    assert {v: rows[v]["restarted_tasks"] for v in rows} == {"1.9": 2, "1.13": 1, "1.20": 1, "2.0": 1}
    assert rows["1.9"]["downtime_ms"] == rows["1.13"]["downtime_ms"] == 1000
    assert all(900 <= rows[v]["downtime_ms"] <= 1100 for v in ("1.20", "2.0"))
    assert all(r["exactly_once"] and r["restarts"] == 1 for r in rows.values())


def test_every_refused_sink_fails_its_own_region_at_start():
    # forward-only, two pipelines, each sink asking for 1 h against the broker's 15 min: both tasks
    # fail at deployment (0 ms), each its own region; no restart is allowed, so the first gives up
    text = REGION.read_text().replace("transaction_timeout: 1min", "transaction_timeout: 1h") \
        .replace("faults:\n  - {at: 350, crash: \"sink[1]\"}\n", "restart: {strategy: fixed_delay, attempts: 1, delay: 100ms}\n")
    r = run(load_text(text))
    crashes = [(c["t"], c["task"]) for c in r.trace.of("task_crash")]
    assert crashes[:2] == [(0, "source->split->format->sink[0]"), (0, "source->split->format->sink[1]")]
    assert all("INVALID_TRANSACTION_TIMEOUT" in c["reason"] for c in r.trace.of("task_crash"))
    # one attempt: the first failure restarts its region at 100 ms, the second exhausts the strategy
    assert r.report["restarts"] == 0 and "gives up" in r.report["job_failed"]
