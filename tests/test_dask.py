"""Many runs on Dask: a real ``dask scheduler`` and ``dask worker`` on 127.0.0.1, and a local cluster.

Each gives the same rows as the runs in this process (the runs are deterministic, wherever they go).
"""
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from sim.explore import Runner, explore, sweep

from .conftest import ROOT, SCENARIOS

VARY = {"checkpointing.interval": ["50ms", "100ms", "150ms", "200ms", "300ms", "400ms"]}
AT_LEAST_ONCE = SCENARIOS / "recovery" / "shuffle_crash_at_least_once.yaml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _without_wall(rows):
    return [{k: v for k, v in r.items() if k != "wall_seconds"} for r in rows]


@pytest.fixture
def scheduler(tmp_path):
    """A ``dask scheduler`` and one ``dask worker`` as separate processes; stopped afterwards."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}         # the worker imports this checkout's sim
    common = {"cwd": ROOT, "env": env, "stderr": subprocess.STDOUT}
    procs = []
    try:
        with open(tmp_path / "scheduler.log", "w") as log:
            procs.append(subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1",
                                           "--port", address.rsplit(":", 1)[1], "--no-dashboard"],
                                          stdout=log, **common))
        with open(tmp_path / "worker.log", "w") as log:
            procs.append(subprocess.Popen([sys.executable, "-m", "dask", "worker", address, "--host", "127.0.0.1",
                                           "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                           "--death-timeout", "60"], stdout=log, **common))
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        deadline = time.monotonic() + 15
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_sweep_and_explore_through_an_external_scheduler(scheduler, tmp_path):
    here = sweep(SCENARIOS / "hello_world.yaml", VARY)
    there = sweep(SCENARIOS / "hello_world.yaml", VARY, scheduler=scheduler)
    assert there.where == f"the Dask scheduler at {scheduler}" and len(there) == 6
    assert _without_wall(there) == _without_wall(here)
    found = explore(AT_LEAST_ONCE, crash_points=12, scheduler=scheduler)
    assert _without_wall(found.rows) == _without_wall(explore(AT_LEAST_ONCE, crash_points=12).rows)
    out = tmp_path / "rows.jsonl"
    r = subprocess.run([sys.executable, "-m", "sim.cli", "sweep", "scenarios/hello_world.yaml", "--vary",
                        "checkpointing.interval=50ms,100ms", "--scheduler", scheduler, "--out", str(out), "-q"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert [json.loads(line)["checkpointing.interval"] for line in out.read_text().splitlines()] == ["50ms", "100ms"]


def test_a_local_cluster_explores_and_sweeps_the_same():
    with Runner(workers=2) as runner:                   # one cluster for both
        local = explore(AT_LEAST_ONCE, runner=runner)
        rows = sweep(SCENARIOS / "hello_world.yaml", VARY, runner=runner)
    assert local.where == rows.where == "a local Dask cluster of 2 worker(s)"
    assert _without_wall(local.rows) == _without_wall(explore(AT_LEAST_ONCE).rows)
    assert _without_wall(rows) == _without_wall(sweep(SCENARIOS / "hello_world.yaml", VARY))
