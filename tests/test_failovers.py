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
