"""Sweeps and crash-point exploration run many real simulations."""
import json
import subprocess
import sys

from sim.explore import explore, sweep

from .conftest import ROOT, SCENARIOS


def test_sweep_varies_the_checkpoint_interval_and_latency_follows():
    rows = sweep(SCENARIOS / "transactions" / "committed_latency.yaml",
                 {"checkpointing.interval": ["100ms", "500ms"]})
    assert [r["set"] for r in rows] == [{"checkpointing.interval": "100ms"}, {"checkpointing.interval": "500ms"}]
    assert all(r["exactly_once"] for r in rows)
    # a committed record waits for the next checkpoint: on average about half an interval
    assert 40 < rows[0]["mean_read_latency_ms"] < 80 and 200 < rows[1]["mean_read_latency_ms"] < 320
    assert rows[0]["checkpoints_completed"] > rows[1]["checkpoints_completed"]


def test_explore_crashes_each_point_and_stays_exactly_once():
    rows = explore(SCENARIOS / "hello_world.yaml", points=4)
    assert len(rows) == 4 and all(r["exactly_once"] and r["restarts"] == 1 for r in rows)
    # two tasks, source->split and count->format->sink (chained): each is crashed in turn, named by its head
    assert [r["crash"].split(" at ")[0] for r in rows] == ["source", "count", "source", "count"]


def test_cli_sweep_json_and_bad_vary():
    r = subprocess.run([sys.executable, "-m", "sim.cli", "sweep", "scenarios/hello_world.yaml", "--vary",
                        "checkpointing.interval=100ms,300ms", "--json"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and len(json.loads(r.stdout)) == 2
    r = subprocess.run([sys.executable, "-m", "sim.cli", "sweep", "scenarios/hello_world.yaml", "--vary", "x"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "--vary takes" in r.stderr


def test_unaligned_checkpoints_do_not_slow_down_under_backpressure():
    # count needs 0.5 ms then 3 ms a record: channels fill up behind it
    path = SCENARIOS / "recovery" / "unaligned_inflight_restore.yaml"
    loads = {"job.processing_time.count": ["0.5ms", "3ms"]}
    aligned = sweep(path, loads, overrides=["checkpointing.unaligned=false", "faults=[]"])
    unaligned = sweep(path, loads, overrides=["checkpointing.unaligned=true", "faults=[]"])
    assert aligned[1]["end_to_end_ms"] > 4 * aligned[0]["end_to_end_ms"]          # barriers wait behind data
    assert unaligned[1]["end_to_end_ms"] < 1.5 * unaligned[0]["end_to_end_ms"]    # barriers overtake it
    assert unaligned[1]["persisted_bytes"] > 0 and aligned[1]["persisted_bytes"] == 0
    assert all(r["exactly_once"] for r in aligned + unaligned)
