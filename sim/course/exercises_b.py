"""Exercises of notebooks 4-6: at-least-once, transaction timeouts, unaligned checkpoints."""
from __future__ import annotations

from .. import api
from ..explore import explore, sweep
from .checks import exercise, scenario

AT_LEAST_ONCE = "recovery/shuffle_crash_at_least_once"


def _alo(overrides):
    return api.run(api.load_scenario(scenario(AT_LEAST_ONCE), overrides))


def _window(a, t, slack=5.0) -> bool:
    start, end = (float(x) for x in a["window"])
    return t is not None and abs(start - t[0]) <= slack and abs(end - t[1]) <= slack


@exercise("4.1", "Answer overcounts=<True or False for a crash at 1100 ms>, from_ms=<the earliest crash "
          "time that over-counts>.", "checkpoint 1 holds the over-counted hello; when does it complete?",
          lambda a, t: bool(a["overcounts"]) == t["overcounts"] and abs(float(a["from_ms"]) - t["from"]) <= 5,
          lambda t: f"a crash at 1100 ms {'over-counts' if t['overcounts'] else 'stays exactly once'}; "
                    f"crashes over-count from {t['from']:.1f} ms, when checkpoint 1 completes")
def _move_crash():
    run = _alo(["faults=[{at: 1100, crash: sink}]"])
    done = _alo([]).trace.of("checkpoint_complete")[0]["t"]
    return {"overcounts": run.report["exactly_once"]["overcounted"] != [], "from": done}


@exercise("4.2", "Answer overcounts=<True or False with split at 1ms per record>.", "with a fast split "
          "there is no backlog: how far apart do barrier 1's two copies reach count?",
          lambda a, t: bool(a["overcounts"]) == t, lambda t: "it " + ("still over-counts" if t else
                                                                  "stays exactly once: final counts hello=2"))
def _fast_split():
    return _alo(["job.processing_time.split=1ms"]).report["exactly_once"]["overcounted"] != []


@exercise("4.3", "Answer points=<over-counting crash points without the scenario's crash>, "
          "window=(start_ms, end_ms) of the over-counting crashes once run.until=3s.",
          "without its crash the run drains when checkpoint 1 completes, so every crash point is "
          "before it; with until=3s a sink crash between checkpoints 1 and 2 replays the extra hello.",
          lambda a, t: int(a["points"]) == t["points"] and _window(a, t["window"]),
          lambda t: f"{t['points']} over-counting points as given; with until=3s crashes in "
                    f"[{t['window'][0]:.1f}, {t['window'][1]:.1f}) ms over-count")
def _explore_without_crash():
    bad = lambda found: [r for r in found.rows if r["overcounted"]]  # noqa: E731
    short = explore(scenario(AT_LEAST_ONCE), tasks=["sink"], faults=False)
    long = explore(api.load_scenario(scenario(AT_LEAST_ONCE), ["run.until=3s"]), tasks=["sink"], faults=False)
    rows = bad(long)
    window = (min(r["window_start"] for r in rows), max(r["window_end"] for r in rows)) if rows else None
    return {"points": len(bad(short)), "window": window}


def _seed_timeout(timeout: float) -> bool:
    row = sweep(scenario("seed_job"), {"job.operators[4].transaction_timeout": [f"{timeout:g}s"]},
                overrides=["faults=[]"])[0]
    return row["exactly_once"]


@exercise("5.1", "Answer timeout_s=<the smallest whole number of seconds that loses nothing, failures off>.",
          "the broker scans every 10 s (abort_scan_interval); how old is the oldest open transaction "
          "at the first scan after it opened?",
          lambda a, t: t(float(a["timeout_s"])) and not t(float(a["timeout_s"]) - 1),
          lambda t: "that timeout loses nothing, one second less loses data")
def _smallest_timeout():
    return _seed_timeout


@exercise("5.2", "Answer restarts=<restarts in 90 s with a 1h timeout>, processed=<True or False: does "
          "any record reach the committed reader?>, broker_key=<the scenario key to change>.",
          "a sink asking for more than the broker's maximum cannot start; see docs/scenario-keys.md.",
          lambda a, t: int(a["restarts"]) == t["restarts"] and bool(a["processed"]) == t["processed"] and
          a["broker_key"].removeprefix("kafka.") == "transaction_max_timeout",
          lambda t: f"{t['restarts']} restarts, committed output {t['committed']}")
def _one_hour():
    run = api.run(api.load_scenario(scenario("seed_job"), ["job.operators[4].transaction_timeout=1h"]))
    committed = run.report["consumers"]["committed"]
    return {"restarts": run.report["restarts"], "processed": bool(committed), "committed": committed}


@exercise("5.3", "Answer rescues=<True or False: does abort_scan_interval=30s lose fewer values?>, "
          "lost=<values lost with it>.", "compare len(report['exactly_once']['lost']) of both runs; a "
          "later scan leaves a transaction alive until the checkpoint that commits it.",
          lambda a, t: bool(a["rescues"]) == t["rescues"] and int(a["lost"]) == t["lost"],
          lambda t: f"{t['before']} values lost with the 10 s scan, {t['lost']} with 30 s")
def _late_scan():
    lost = [len(api.run(api.load_scenario(scenario("seed_job"), o)).report["exactly_once"]["lost"])
            for o in ([], ["kafka.abort_scan_interval=30s"])]
    return {"before": lost[0], "lost": lost[1], "rescues": lost[1] < lost[0]}


def _unaligned_sweep(overrides):
    rows = sweep(scenario("recovery/unaligned_inflight_restore"), {"job.processing_time.count": ["3ms"]},
                 overrides=["faults=[]", *overrides])
    return rows[0]


@exercise("6.1", "Answer between=<True or False: at 3ms, is the mean end-to-end duration with "
          "aligned_timeout=5ms between the aligned and the unaligned one?>.", "run the 3ms point three "
          "ways and compare row['end_to_end_ms'].",
          lambda a, t: bool(a["between"]) == t["between"],
          lambda t: f"aligned {t['aligned']:.1f} ms, timeout {t['timeout']:.1f} ms, unaligned {t['unaligned']:.1f} ms")
def _aligned_timeout():
    ms = {k: _unaligned_sweep(o)["end_to_end_ms"] for k, o in (
        ("aligned", ["checkpointing.unaligned=false"]), ("unaligned", ["checkpointing.unaligned=true"]),
        ("timeout", ["checkpointing.unaligned=true", "checkpointing.aligned_timeout=5ms"]))}
    low, high = sorted((ms["aligned"], ms["unaligned"]))
    return {**ms, "between": low <= ms["timeout"] <= high}


@exercise("6.2", "Answer fewer=<True or False: at 3ms and network.capacity=2, are fewer bytes persisted "
          "than with capacity 4?>.", "persisted channel state is what sits in the channels when the "
          "barrier overtakes it.", lambda a, t: bool(a["fewer"]) == t["fewer"],
          lambda t: f"{t['small']} bytes with capacity 2, {t['large']} with 4")
def _capacity():
    small, large = (_unaligned_sweep(["checkpointing.unaligned=true", f"job.network.capacity={c}"])["persisted_bytes"]
                    for c in (2, 4))
    return {"small": small, "large": large, "fewer": (small or 0) < (large or 0)}


@exercise("6.3", "Answer channels=[the channels listed by inflight_restore with the crash at 180 ms].",
          "print [(e['channel'], e['n']) for e in run.trace.of('inflight_restore')].",
          lambda a, t: sorted(a["channels"]) == sorted(t), lambda t: f"{t}")
def _inflight_channels():
    run = api.run(api.load_scenario(scenario("recovery/unaligned_inflight_restore"),
                                    ["faults=[{at: 180, crash: format}]"]))
    return [e["channel"] for e in run.trace.of("inflight_restore")]
