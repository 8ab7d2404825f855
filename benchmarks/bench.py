"""The performance harness: snapsim against bare SimPy, side by side in one process.

    python benchmarks/bench.py            # ratios at buffer_size 1 and 100, and peak memory
    python benchmarks/bench.py --quick    # fewer repetitions, no 1 000 000-record run

The workload (``benchmarks/workload.yaml``): 4 000 generated lines of 5 words, source parallelism
2, other operators 2, exactly-once checkpoints every 200 ms, a read_committed reader, trace
summary. A *record hop* is one record entering a task (read by a source, or delivered over a
channel): 17 per line here. The bare pipeline moves the same number of hops through
``simpy.Store``s with one ``timeout`` per hop. Ratios compare hops per wall-clock second; each
figure is the best of several runs, measured in the same process one after the other.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import simpy

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import sim  # noqa: E402

WORKLOAD = HERE / "workload.yaml"


def bare_simpy(hops: int, stages: int = 5) -> float:
    """Seconds for a bare SimPy pipeline of ``stages`` to move ``hops`` record hops."""
    items = hops // stages
    env = simpy.Environment()
    stores = [simpy.Store(env, capacity=8) for _ in range(stages)]

    def source(env, out):
        for i in range(items):
            yield out.put(i)

    def stage(env, inp, out):
        while True:
            item = yield inp.get()
            yield env.timeout(0.02)
            if out is not None:
                yield out.put(item)

    env.process(source(env, stores[0]))
    for i in range(stages):
        env.process(stage(env, stores[i], stores[i + 1] if i + 1 < stages else None))
    start = time.perf_counter()
    env.run()
    return time.perf_counter() - start


def snapsim(buffer_size: int) -> tuple[float, int]:
    """(seconds, record hops) of one run of the workload at ``buffer_size``."""
    scenario = sim.load_scenario(WORKLOAD, overrides=[f"job.network.buffer_size={buffer_size}"])
    start = time.perf_counter()
    result = sim.simulate(scenario)
    return time.perf_counter() - start, result.stats["record_hops"]


def best(fn, repeat: int):
    return min((fn() for _ in range(repeat)), key=lambda r: r if isinstance(r, float) else r[0])


def peak_memory(records: int) -> dict:
    """Peak RSS of a child process that runs ``records`` output records at buffer_size 100."""
    lines = records // 5
    code = f"""
import resource, sys, time
sys.path.insert(0, {str(HERE.parent)!r})
import sim
s = sim.load_scenario({str(WORKLOAD)!r}, overrides=[
    "job.network.buffer_size=100", "input[0].generate.rate=400/ms", "input[0].generate.duration={lines / 400}ms"])
t = time.perf_counter()
r = sim.simulate(s)
wall = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(r.stats["record_hops"], wall, peak, r.trace.first("consumer_summary")["count"])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return {"records": records, "record_hops": int(out[0]), "wall_seconds": round(float(out[1]), 2),
            "peak_mb": round(float(out[2]), 1), "committed_values": int(out[3])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repetitions, skip the 1M-record run")
    parser.add_argument("--records", type=int, default=1_000_000, help="records of the memory run")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    snapsim(1)                                   # warm up imports and caches
    report = {"python": sys.version.split()[0], "simpy": simpy.__version__, "cpus": os.cpu_count()}
    for size in (1, 100):
        seconds, hops = best(lambda: snapsim(size), repeat)
        bare = best(lambda: bare_simpy(hops), repeat)
        report[f"buffer_size_{size}"] = {
            "record_hops": hops, "snapsim_hops_per_s": round(hops / seconds),
            "bare_simpy_hops_per_s": round(hops / bare), "ratio": round(bare / seconds, 2)}
    if not args.quick:
        report["memory"] = peak_memory(args.records)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"Python {report['python']}, SimPy {report['simpy']}, {report['cpus']} CPUs")
    for size, target in ((1, 0.5), (100, 10.0)):
        r = report[f"buffer_size_{size}"]
        verdict = "meets" if r["ratio"] >= target else "MISSES"
        print(f"buffer_size {size:>3}: snapsim {r['snapsim_hops_per_s']:>10,} hops/s, bare SimPy "
              f"{r['bare_simpy_hops_per_s']:>9,} hops/s, ratio {r['ratio']:>5}x ({verdict} the {target}x target)")
    if "memory" in report:
        m = report["memory"]
        verdict = "meets" if m["peak_mb"] < 300 else "MISSES"
        print(f"{m['records']:,} records at buffer_size 100, trace summary: peak {m['peak_mb']} MB "
              f"({verdict} the 300 MB target), {m['wall_seconds']} s, {m['record_hops']:,} hops")


if __name__ == "__main__":
    main()
