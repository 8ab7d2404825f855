"""Sweeps and crash-point exploration run many real simulations."""
import csv
import json
import subprocess
import sys

import pytest

from sim import load_scenario, simulate
from sim.explore import ROW_FIELDS, Runner, RunnerError, explore, sweep, write_rows

from .conftest import ROOT, SCENARIOS

HELLO_CRASH = SCENARIOS / "hello_world_crash.yaml"
AT_LEAST_ONCE = SCENARIOS / "recovery" / "shuffle_crash_at_least_once.yaml"


def cli(*args):
    return subprocess.run([sys.executable, "-m", "sim.cli", *map(str, args)], capture_output=True, text=True, cwd=ROOT)


def test_sweep_varies_the_checkpoint_interval_and_latency_follows():
    rows = sweep(SCENARIOS / "transactions" / "committed_latency.yaml",
                 {"checkpointing.interval": ["100ms", "500ms"]})
    assert [r["checkpointing.interval"] for r in rows] == ["100ms", "500ms"]
    assert all(r["exactly_once"] for r in rows)
    # a committed record waits for the next checkpoint: on average about half an interval
    assert 40 < rows[0]["mean_read_latency_ms"] < 80 and 200 < rows[1]["mean_read_latency_ms"] < 320
    assert rows[0]["checkpoints_completed"] > rows[1]["checkpoints_completed"]


def test_cli_sweep_json_and_bad_vary():
    r = cli("sweep", "scenarios/hello_world.yaml", "--vary", "checkpointing.interval=100ms,300ms", "--json")
    assert r.returncode == 0 and len(json.loads(r.stdout)) == 2
    r = cli("sweep", "scenarios/hello_world.yaml", "--vary", "x")
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


def test_recording_instants_leaves_the_trace_unchanged():
    scenario = load_scenario(HELLO_CRASH)
    instants = set()
    assert simulate(scenario, instants=instants).trace.dumps() == simulate(scenario).trace.dumps()
    traced = {e["t"] for e in simulate(scenario).trace}
    # every traced instant is an event instant; some events (a buffer reaching a queue) are not traced
    assert traced <= {round(t, 9) for t in instants} and len(instants) > len(traced)


def test_every_crash_point_of_the_hello_world_crash_stays_exactly_once():
    found = explore(HELLO_CRASH)
    instants = set()
    simulate(load_scenario(HELLO_CRASH).model_copy(update={"expect": found_expect()}), trace_level="control",
             instants=instants)
    windows = len({round(t, 9) for t in instants}) - 1
    summary = found.summary()
    # one point per window between event instants and per task: source[0], split[0], split[1] and
    # count->format->sink[0..1] (count, format and sink chain: forward edges, equal parallelism)
    assert found.tasks == ["source[0]", "split[0]", "split[1]", "count->format->sink[0]", "count->format->sink[1]"]
    assert summary["points"] == 5 * windows
    # every task is in one region (keyBy joins them): one run per window, none while the job is down
    assert summary["runs"] + summary["skipped"]["no effect: job not running"] // 5 == windows
    assert summary["faults_kept"] == ["crash split on record 3"]
    # exactly-once mode, aligned barriers, transactional sink: any single crash restores a consistent
    # cut and aborts what the sink wrote after it, so every point stays exactly once
    assert found.ok and summary["outcomes"] == {"stays exactly once": summary["points"]}
    assert summary["violations"] == []


def found_expect():
    from sim.scenario.job import JobExpect
    return JobExpect()


def test_at_least_once_over_counts_after_the_first_checkpoint_completes():
    found = explore(AT_LEAST_ONCE)
    trace = found.baseline_trace
    cp1 = trace.first("checkpoint_complete", checkpoint=1)["t"]
    cp2 = trace.first("checkpoint_complete", checkpoint=2)["t"]
    # Before checkpoint 1 completes a crash restores nothing: every input is replayed into empty
    # state, exactly once. Once it completed, a restore brings back hello=2 with source[0]'s offset
    # before the second hello, which is read and counted again: hello:::3 (the scenario's comment).
    # The run (own crash at 1500 kept) ends when checkpoint 2 commits.
    assert found.violations == [f"a crash of any task in [{cp1:g}, {cp2:g}) ms over-counts hello by 1: "
                                "after checkpoint 1 completed, before 2"]
    # the detail says it: one value over-counted by 1, nothing lost or duplicated
    assert found.baseline == {"outcome": "overcount", "detail": "over-counts hello by 1", "lost": 0, "duplicates": 0,
                              "overcounted": 1}
    before = [r for r in found.rows if r["window_end"] <= cp1]
    assert before and all(r["outcome"] == "exactly_once" for r in before)


def test_skipped_points_are_equivalent_to_the_ones_run():
    skipped = explore(AT_LEAST_ONCE)
    every = explore(AT_LEAST_ONCE, skip=False)
    assert sum(r["ran"] for r in skipped.rows) < sum(r["ran"] for r in every.rows) == len(every.rows)
    key = lambda r: (r["task"], r["window_start"], r["outcome"], r["detail"])   # noqa: E731
    assert [key(r) for r in skipped.rows] == [key(r) for r in every.rows]


def test_no_faults_drops_the_scenarios_own_faults_and_says_so():
    found = explore(AT_LEAST_ONCE, faults=False)
    assert found.faults_kept == [] and found.baseline_trace.first("task_crash") is None
    assert explore(AT_LEAST_ONCE).faults_kept == ["crash sink at 1500"]


def test_sampled_and_double_crash_modes_are_deterministic():
    sampled = explore(AT_LEAST_ONCE, crash_points=5)
    summary = sampled.summary()
    # 5 runs; the 7 tasks are one region (keyBy), so each run also stands for the 6 other tasks
    assert summary["mode"] == "sampled" and summary["runs"] == 5 and summary["points"] == 5 * 7
    same = lambda rows: [{k: v for k, v in r.items() if k != "wall_seconds"} for r in rows]   # noqa: E731
    assert same(sampled.rows) == same(explore(AT_LEAST_ONCE, crash_points=5).rows)
    pairs = explore(AT_LEAST_ONCE, pairs=4)
    assert len(pairs.rows) == 4 and all(r["task2"] and r["at"] < r["at2"] for r in pairs.rows)
    assert len(pairs.violations) == sum(r["outcome"] != "exactly_once" for r in pairs.rows)


def test_tasks_are_chosen_by_task_or_operator_name():
    # an operator of a chain names its chained task (one reference resolver for faults and explore)
    assert explore(HELLO_CRASH, crash_points=2, tasks=["sink"]).tasks == ["count->format->sink[0]",
                                                                          "count->format->sink[1]"]
    assert explore(HELLO_CRASH, crash_points=2, tasks=["format[1]"]).tasks == ["count->format->sink[1]"]
    sinks = explore(AT_LEAST_ONCE, tasks=["split"])
    assert sinks.violations[0].startswith("a crash of any of split[0], split[1] in [")
    assert explore(HELLO_CRASH, crash_points=2, tasks=["count->format->sink[1]", "split"]).tasks == \
        ["count->format->sink[1]", "split[0]", "split[1]"]
    with pytest.raises(ValueError, match=r"not an operator or task of the job \(operators: source, split, count"):
        explore(HELLO_CRASH, tasks=["cuont"])


def test_rows_load_back_as_jsonl_and_csv(tmp_path):
    found = explore(AT_LEAST_ONCE, crash_points=6)
    write_rows(found.rows, tmp_path / "rows.jsonl")
    write_rows(found.rows, tmp_path / "rows.csv")
    lines = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text().splitlines()]
    assert lines == found.rows and all(list(r) == list(ROW_FIELDS) for r in lines)
    with open(tmp_path / "rows.csv", newline="") as fp:
        table = list(csv.DictReader(fp))
    assert len(table) == len(found.rows) == 6 * 7 and list(table[0]) == list(ROW_FIELDS)
    assert [float(r["at"]) for r in table] == [r["at"] for r in found.rows]
    with pytest.raises(ValueError, match="jsonl or .csv"):
        write_rows(found.rows, tmp_path / "rows.xlsx")


def test_cli_explore_map_json_rows_and_exit_codes(tmp_path):
    r = cli("explore", AT_LEAST_ONCE, "-o", tmp_path / "map.png", "--out", tmp_path / "rows.csv", "--json")
    assert r.returncode == 1, r.stderr                       # a window over-counts
    summary = json.loads(r.stdout)
    assert summary["violations"][0].startswith("a crash of any task in [") and summary["runs"] > 0
    assert (tmp_path / "map.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "rows.csv").stat().st_size
    r = cli("explore", HELLO_CRASH, "--crash-points", "3", "-q")
    assert r.returncode == 0 and r.stdout == ""
    from click.testing import CliRunner
    from sim.cli import cli as group

    for bad, message in ((["--task", "nope"], "not an operator"), (["--crash-points", "x"], "--crash-points takes"),
                         (["--out", tmp_path / "rows.xlsx"], "--out"), (["-o", tmp_path / "map.gif"], "-o"),
                         (["--out", tmp_path / "no" / "rows.csv"], "does not exist"),
                         (["--workers", "1", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
                         (["--workers", "0"], "--workers takes"),
                         (["--crash-points", "999999999"], "from 1 to 200000"), (["--double", "-1"], "--double")):
        r = CliRunner().invoke(group, ["explore", str(HELLO_CRASH), *map(str, bad)])
        assert r.exit_code == 2 and message in r.stderr, (bad, r.stderr)
        assert isinstance(r.exception, SystemExit), r.exception         # a message, never a traceback
    r = CliRunner().invoke(group, ["explore", str(SCENARIOS / "gates" / "three_inputs_buffered.yaml")])
    assert r.exit_code == 2 and "explore crashes jobs" in r.stderr


def test_crash_map_colours_the_over_count_window(tmp_path):
    from sim.analysis.views.crash_map import COLOURS, crash_map
    from matplotlib.colors import to_hex

    found = explore(AT_LEAST_ONCE)
    fig = crash_map(found.rows, found.baseline_trace, found.tasks)
    # the outcome cells (zorder 1; the transaction bars over them use the timing diagram's colours)
    colours = {to_hex(c) for coll in fig.axes[0].collections if coll.get_zorder() == 1 for c in coll.get_facecolors()}
    assert {COLOURS["exactly_once"].lower(), COLOURS["overcount"].lower()} <= colours
    assert COLOURS["loss"].lower() not in colours
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[:2] == ["exactly once", "over-count"] and "checkpoint completed" in labels


def test_crash_map_greys_out_what_the_baseline_already_did():
    """A baseline that loses 6 values: a crash that loses the same 6 is "same" (grey), one that loses 7
    or duplicates keeps its outcome; an exactly-once baseline leaves every outcome as it is."""
    from sim.analysis.views.crash_map import _relative

    rows = [{"outcome": "loss", "lost": 6}, {"outcome": "loss", "lost": 7},
            {"outcome": "duplicate", "duplicates": 1, "lost": 0}, {"outcome": "loss", "lost": 5}]
    base = {"outcome": "loss", "lost": 6, "duplicates": 0, "overcounted": 0}
    assert [r["outcome"] for r in _relative(rows, base)] == ["same", "loss", "duplicate", "same"]
    assert _relative(rows, base | {"outcome": "exactly_once", "lost": 0}) == rows
    assert _relative(rows, None) == rows


def test_runner_refuses_two_places_and_an_unreachable_scheduler():
    with pytest.raises(RunnerError, match="not both"):
        Runner(workers=2, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(RunnerError, match="cannot reach the Dask scheduler"):
        with Runner(scheduler="tcp://127.0.0.1:1", timeout=1):
            pass


def test_an_exploration_too_big_to_run_is_refused(monkeypatch):
    import sim.explore.crashes as crashes

    monkeypatch.setattr(crashes, "MAX_RUNS", 10)
    with pytest.raises(ValueError, match="would take [0-9]+ runs .* sample some with --crash-points N"):
        explore(HELLO_CRASH)
    assert explore(HELLO_CRASH, crash_points=10).summary()["runs"] == 10
    monkeypatch.setattr(crashes, "MAX_POINTS", 100)
    with pytest.raises(ValueError, match="crash points to plan"):
        explore(HELLO_CRASH, crash_points=10)


def test_an_exploration_and_a_sweep_compute_the_reference_once(monkeypatch):
    # a crash or a checkpoint setting changes neither the input nor the job: one reference serves
    # every run, and a run given one never computes its own
    import sim.api as api
    computed = []
    real = api._ideal
    monkeypatch.setattr(api, "_ideal", lambda *args, **kw: computed.append(args[0].name) or real(*args, **kw))
    found = explore(HELLO_CRASH, crash_points=4)
    assert found.summary()["runs"] > 1 and len(computed) == 1
    rows = sweep(HELLO_CRASH, {"checkpointing.interval": ["100ms", "300ms", "1s"]})
    assert len(rows) == 3 and len(computed) == 2
