"""The pictures at scale: simulate and draw a 100 000-line run at each trace level.

    python benchmarks/pictures.py                 # 100 000 lines, every trace level
    python benchmarks/pictures.py --lines 20000   # smaller, quicker

The workload is ``benchmarks/workload.yaml`` (5 words per line, parallelism 2, exactly-once
checkpoints every 200 ms, buffer_size 1) stretched to ``--lines`` lines. Each trace level runs in
its own process, so its peak memory (resident set) is its own: the simulation, then the timing
diagram of the whole run, a 4 ms window of it and the checkpoint chart, each saved as PNG
(importing matplotlib, once per process, is timed apart). CPU seconds are reported beside wall
seconds because the machine may be shared. The
targets (issue 17): every picture under 5 s and 1 GB, any window under 2 s.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKLOAD = HERE / "workload.yaml"

CHILD = """
import resource, sys, tempfile, time
sys.path.insert(0, {root!r})
import sim
from sim.analysis.views import save

def peak():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

rate = 400
s = sim.load_scenario({workload!r}, overrides=["run.trace={level}", "input[0].generate.rate=400/ms",
                                                "input[0].generate.duration={ms}ms"])
t, cpu = time.perf_counter(), time.process_time()
r = sim.simulate(s)
out = {{"level": "{level}", "events": len(r.trace), "simulate_s": round(time.perf_counter() - t, 2),
       "simulate_cpu_s": round(time.process_time() - cpu, 2), "simulate_peak_mb": peak(),
       "sim_ms": r.stats["sim_time_ms"]}}
t = time.perf_counter()
import matplotlib.figure, matplotlib.backends.backend_agg   # once per process, not per picture
out["import_matplotlib_s"] = round(time.perf_counter() - t, 2)
mid = r.stats["sim_time_ms"] / 2
with tempfile.TemporaryDirectory() as d:
    for name, kind, window in (("timing", "timing", None), ("window_4ms", "timing", (mid, mid + 4.0)),
                               ("checkpoints", "checkpoints", None)):
        t, cpu = time.perf_counter(), time.process_time()
        save(r.trace, d + "/" + name + ".png", kind=kind, window=window)
        out[name + "_s"] = round(time.perf_counter() - t, 2)
        out[name + "_cpu_s"] = round(time.process_time() - cpu, 2)
        out[name + "_peak_mb"] = peak()
print(__import__("json").dumps(out))
"""


def measure(level: str, lines: int) -> dict:
    """One trace level in a fresh process: times (s) and peak resident memory (MB) after each step."""
    code = CHILD.format(root=str(HERE.parent), workload=str(WORKLOAD), level=level, ms=lines / 400)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode:
        return {"level": level, "error": done.stderr.strip().splitlines()[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--levels", default="summary,control,full")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [measure(level, args.lines) for level in args.levels.split(",")]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{args.lines:,} lines; CPU seconds / wall seconds (peak resident MB after the step)")
    print(f"{'level':8} {'events':>10} {'simulate':>22} {'timing':>20} {'4 ms window':>20} {'checkpoints':>20}")
    for r in rows:
        if "error" in r:
            print(f"{r['level']:8} failed: {r['error']}")
            continue
        cells = [f"{r[k + '_cpu_s']}/{r[k + '_s']} ({r[k + '_peak_mb']})" for k in ("simulate", "timing", "window_4ms",
                                                                        "checkpoints")]
        print(f"{r['level']:8} {r['events']:>10,} {cells[0]:>22} {cells[1]:>20} {cells[2]:>20} {cells[3]:>20}")


if __name__ == "__main__":
    main()
