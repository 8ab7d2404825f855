"""The snapsim command: JSON contract, exit codes, check, list, trace output."""
import json
import subprocess
import sys

from .conftest import HELLO, ROOT


def cli(*args):
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_run_json_is_one_object_with_the_contract_fields():
    r = cli("run", "scenarios/hello_world.yaml", "--json")
    assert r.returncode == 0
    report = json.loads(r.stdout)
    for key in ("scenario", "kind", "seed", "ok", "failures", "exactly_once", "final_counts", "consumers",
                "checkpoints", "restarts", "transactions", "stats"):
        assert key in report
    assert report["final_counts"] == {"hello": 2, "world": 1}
    assert report["consumers"]["committed"] == ["hello:::1", "world:::1", "hello:::2"]
    assert set(report["stats"]) == {"sim_time_ms", "wall_seconds", "events", "record_hops"}
    cp = report["checkpoints"][0]
    for key in ("id", "status", "reason", "trigger_time", "end_to_end_duration", "alignment_duration",
                "start_delay", "persisted_in_flight"):
        assert key in cp


def test_failed_expectation_exits_1_with_a_sentence(tmp_path):
    f = tmp_path / "wrong.yaml"
    f.write_text(HELLO + "expect: {final_counts: {hello: 3, world: 1}}\n")
    r = cli("run", str(f))
    assert r.returncode == 1
    assert "final_counts: expected {'hello': 3, 'world': 1}, got {'hello': 2, 'world': 1}" in r.stdout


def test_quiet_prints_nothing():
    r = cli("run", "scenarios/hello_world.yaml", "--quiet")
    assert (r.returncode, r.stdout) == (0, "")


def test_trace_file_and_seed(tmp_path):
    out = tmp_path / "t.jsonl"
    r = cli("run", "scenarios/hello_world.yaml", "--seed", "5", "--trace", str(out), "-q")
    assert r.returncode == 0
    first = json.loads(out.read_text().splitlines()[0])
    assert first["kind"] == "run_start" and first["seed"] == 5


def test_check_and_list():
    r = cli("check", "scenarios/hello_world.yaml", "scenarios/hello_world_crash.yaml")
    assert r.returncode == 0 and r.stdout.count("ok ") == 2
    r = cli("list")
    assert r.returncode == 0 and "hello_world_crash " in r.stdout and "chandy_lamport/ring" in r.stdout


def test_check_reports_each_bad_file(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("name: x\nkind: job\n")
    r = cli("check", "scenarios/hello_world.yaml", str(f))
    assert r.returncode == 2 and "missing required key 'job'" in r.stderr
