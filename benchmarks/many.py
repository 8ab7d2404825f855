"""Many runs: the fixed cost of a small run, a full crash-point exploration, and sweep rates.

    python benchmarks/many.py            # everything (about a minute on 2 cores)
    python benchmarks/many.py --json     # the figures as JSON

1. Where a hello-world run goes, end to end: interpreter start, ``import sim``, reading and
   validating the YAML, the ideal reference, the simulation, the report; and ``snapsim run``
   as a whole. Each figure is the best of several tries.
2. Every crash point of ``hello_world_crash`` explored: ``snapsim explore`` end to end.
3. A 200-run sweep (``hello_world_crash``, ``checkpointing.interval`` = 50 ms ... 249 ms): runs
   per second in this process, on a local Dask cluster of 1 and of 2 workers (cluster start
   included, and the start alone), and through an external ``dask scheduler`` with two
   ``dask worker`` processes started beforehand; plus what reading the YAML once per sweep saves.
The load average is printed with the figures: on a shared machine they move with it.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.analysis.report import build_report  # noqa: E402
from sim.explore import Runner, explore, sweep  # noqa: E402

HELLO = ROOT / "scenarios" / "hello_world.yaml"
CRASH = ROOT / "scenarios" / "hello_world_crash.yaml"
VARY = {"checkpointing.interval": [f"{50 + i}ms" for i in range(200)]}


def best(fn, repeat: int = 5) -> float:
    """The least wall-clock seconds of ``repeat`` calls."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return min(out)


def _proc(*args) -> None:
    subprocess.run([sys.executable, *args], cwd=ROOT, check=False, capture_output=True)


def fixed_cost(repeat: int) -> dict:
    """Milliseconds of each step of one hello-world run."""
    scenario = sim.load_scenario(HELLO)
    level = scenario.run.trace
    result, reference = sim.simulate(scenario), sim.ideal_reference(scenario)
    ref_trace = reference.trace(level)
    ms = lambda s: round(s * 1000, 2)  # noqa: E731
    startup = best(lambda: _proc("-c", "pass"), repeat)
    return {"interpreter_start": ms(startup),
            "import_sim": ms(best(lambda: _proc("-c", "import sim"), repeat) - startup),
            "read_and_validate": ms(best(lambda: sim.load_scenario(HELLO), repeat * 4)),
            "ideal_reference": ms(best(lambda: sim.ideal_reference(scenario), repeat * 4)),
            "simulate": ms(best(lambda: sim.simulate(scenario), repeat * 4)),
            "report": ms(best(lambda: build_report(scenario, result.trace, result.stats, ref_trace), repeat * 4)),
            "snapsim_run_end_to_end": ms(best(lambda: _proc("-m", "sim.cli", "run", str(HELLO), "-q"), repeat))}


def exploration(repeat: int) -> dict:
    found = explore(CRASH)
    summary = found.summary()
    return {"points": summary["points"], "runs": summary["runs"], "skipped": summary["skipped"],
            "in_process_seconds": round(best(lambda: explore(CRASH), repeat), 3),
            "snapsim_explore_end_to_end_seconds": round(best(lambda: _proc("-m", "sim.cli", "explore", str(CRASH),
                                                                            "-q"), repeat), 3)}


def _rate(**where) -> dict:
    """The sweep's wall time and runs per second (a runner given is already started and warm)."""
    if "runner" in where:
        sweep(CRASH, {"checkpointing.interval": ["50ms", "60ms"]}, **where)     # workers import sim
    start = time.perf_counter()
    rows = sweep(CRASH, VARY, **where)
    wall = time.perf_counter() - start
    assert len(rows) == 200 and all(r["exactly_once"] for r in rows)
    return {"seconds": round(wall, 2), "runs_per_second": round(200 / wall, 1)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def external(workers: int) -> dict:
    """The sweep through a ``dask scheduler`` and ``workers`` single-threaded ``dask worker`` processes."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    quiet = {"cwd": ROOT, "env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port",
                               address.rsplit(":", 1)[1], "--no-dashboard"], **quiet)]
    try:
        procs += [subprocess.Popen([sys.executable, "-m", "dask", "worker", address, "--host", "127.0.0.1",
                                    "--nthreads", "1", "--no-nanny", "--no-dashboard"], **quiet)
                  for _ in range(workers)]
        import distributed
        with distributed.Client(address, timeout=30) as client:
            client.wait_for_workers(workers, timeout=60)
        with Runner(scheduler=address) as runner:
            return {"workers": workers, **_rate(runner=runner)}
    finally:
        for p in reversed(procs):                       # workers first, then the scheduler
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def sweeps() -> dict:
    combos = [[f"checkpointing.interval={v}"] for v in VARY["checkpointing.interval"]]
    out = {"yaml_per_combination_seconds": round(best(lambda: [sim.load_scenario(CRASH, c) for c in combos], 3), 3),
           "yaml_once_seconds": round(best(lambda: sim.api.load_variants(CRASH, combos), 3), 3),
           "in_process": _rate()}
    for n in (1, 2):
        start = time.perf_counter()
        with Runner(workers=n) as runner:
            out[f"local_cluster_{n}_start_seconds"] = round(time.perf_counter() - start, 2)
            out[f"local_cluster_{n}_workers"] = _rate(runner=runner)
        out[f"local_cluster_{n}_workers_cold"] = _rate(workers=n)           # start included
    out["external_scheduler"] = external(2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--repeat", type=int, default=5, help="tries per figure (the best counts)")
    args = parser.parse_args()
    report = {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "python": sys.version.split()[0],
              "fixed_cost_ms": fixed_cost(args.repeat), "explore_hello_world_crash": exploration(args.repeat),
              "sweep_200": sweeps()}
    report["load_average_after"] = os.getloadavg()
    print(json.dumps(report, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
