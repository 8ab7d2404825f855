"""Every kind of bad input names the file, the YAML line and the key, and the CLI exits 2."""
import subprocess
import sys

import pytest

from sim import load_text
from sim.scenario import ScenarioError

from .conftest import HELLO


def error_of(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_text(text, "bad.yaml")
    return info.value


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("old, new, key, words", [
    ("function: split_words", "fucntion: split_words", "job.operators[1].fucntion", "unknown key 'fucntion' (did you mean 'function'?)"),
    ("type: flat_map", "type: flatmap", "job.operators[1]", "unknown operator type 'flatmap'"),
    ("at: 200", "at: soon", "input[1].at", "expected a duration"),
    ("function: format_count", "function: format_cnt", "job.operators[3].function", "unknown map function 'format_cnt'"),
    ("topic: out, transaction_timeout", "topic: outt, transaction_timeout", "job.operators[4].topic", "topic 'outt' is not declared"),
    ("parallelism: 1", "parallelism: two", "job.parallelism", "expected a whole number, got 'two'"),
    ("parallelism: 1", "parallelism: 0", "job.parallelism", "expected a number of at least 1, got 0"),
    ("interval: 1s", "interval: 1s, mode: exactly_twice", "checkpointing.mode", "expected one of"),
    ("isolation: read_committed", "isolation: committed", "consumers[0].isolation", "expected one of"),
])
def test_schema_errors_name_file_line_key(old, new, key, words):
    text = HELLO.replace(old, new)
    err = error_of(text)
    assert err.file == "bad.yaml"
    assert err.path == key
    assert err.line == line_of(text, new)
    assert words in str(err)
    assert str(err).startswith(f"bad.yaml, line {err.line}, key '{key}': ")


def test_unknown_top_level_key():
    err = error_of(HELLO + "chekpointing: {interval: 1s}\n")
    assert (err.path, err.line) == ("chekpointing", HELLO.count("\n") + 1)


def test_unknown_task_in_fault():
    err = error_of(HELLO + "faults:\n  - {at: 1, crash: splt}\n")
    assert err.path == "faults[0].crash" and "'splt' is not a task" in err.message


def test_task_index_out_of_range():
    err = error_of(HELLO + "faults:\n  - {at: 1, crash: 'split[1]'}\n")
    assert "subtasks are split[0] .. split[0]" in err.message


def test_fault_without_a_kind():
    err = error_of(HELLO + "faults:\n  - {at: 1, crush: split}\n")
    assert err.path == "faults[0]" and "a fault needs one of the keys" in err.message


EDGES = HELLO.replace("  operators:", "  edges: EDGES\n  operators:")


@pytest.mark.parametrize("edges, words", [
    ("[{from: source, to: split}, {from: split, to: nowhere}]", "edge to unknown operator 'nowhere'"),
    ("[{from: source, to: split}, {from: split, to: count}, {from: count, to: format}, {from: format, to: split},"
     " {from: format, to: sink}]", "cycle"),
    ("[{from: source, to: split}, {from: split, to: count}, {from: count, to: sink}]", "'format' has no input: it is dangling"),
    ("[{from: source, to: split}, {from: split, to: count, partitioner: rebalance}, {from: count, to: format},"
     " {from: format, to: sink}]", "keyed_sum 'count' needs its input partitioned by key"),
])
def test_graph_errors(edges, words):
    err = error_of(EDGES.replace("EDGES", edges))
    assert words in err.message and err.path.startswith(("job.edges", "job.operators")) and err.line


def test_yaml_syntax_error_has_line():
    err = error_of("name: t\njob: [1, 2\n")
    assert err.line == 3 and "not valid YAML" in err.message


def test_not_a_mapping():
    assert "a scenario is a mapping" in error_of("- 1\n- 2\n").message


def test_unknown_kind():
    err = error_of("kind: gates\nname: g\n")
    assert (err.path, err.line) == ("kind", 1)


def test_gate_item_errors():
    err = error_of('kind: gate\nname: g\nchannels: 2\nsequence: [B0, "BAR(1,3)"]\n')
    assert err.path == "sequence[1]" and "names channel 3" in err.message
    err = error_of("kind: gate\nname: g\nchannels: 2\nsequence: [B0, BAR(1,0)]\n")
    assert "quote items that hold a comma" in err.message


def test_chandy_lamport_reference_errors():
    base = "kind: chandy_lamport\nnodes: {A: 1, B: 0}\nlinks: [[A, B]]\n"
    assert "there is no link B -> A" in error_of(base + "events:\n  - {at: 0, send: [B, A, 1]}\n").message
    assert "unknown process 'C'" in error_of(base.replace("[[A, B]]", "[[A, C]]")).message
    err = error_of(base + "events:\n  - {at: 0, snapshot: A}\n  - {at: 0, snapshot: A}\n")
    assert err.path == "events[1].snapshot" and "already starts a snapshot at 0" in err.message


def test_overrides_and_their_errors():
    s = load_text(HELLO, overrides=["job.parallelism=3", "job.operators[1].parallelism=2"], seed=9)
    assert s.job.parallelism == 3 and s.job.operators[1].parallelism == 2 and s.seed == 9
    with pytest.raises(ScenarioError, match="--set takes key.path=value"):
        load_text(HELLO, overrides=["job.parallelism"])


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_missing_file_exit_2(tmp_path):
    r = cli("run", str(tmp_path / "nope.yaml"))
    assert r.returncode == 2 and "nope.yaml: no such file" in r.stderr and "Traceback" not in r.stderr


def test_cli_directory_and_unreadable(tmp_path):
    r = cli("run", str(tmp_path))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    f = tmp_path / "binary.yaml"
    f.write_bytes(b"\xff\xfe\x00bad")
    r = cli("check", str(f))
    assert r.returncode == 2 and "binary.yaml, line 1: the file is not UTF-8 text (byte 0xff" in r.stderr


def test_cli_invalid_scenario_exit_2(tmp_path):
    f = tmp_path / "typo.yaml"
    f.write_text(HELLO.replace("function: split_words", "function: split_wrds"))
    r = cli("run", str(f))
    assert r.returncode == 2
    assert f"{f}, line {line_of(f.read_text(), 'split_wrds')}, key 'job.operators[1].function'" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_bad_option_exit_2(tmp_path):
    f = tmp_path / "ok.yaml"
    f.write_text(HELLO)
    assert cli("run", str(f), "--bogus").returncode == 2
    r = cli("run", str(f), "--set", "job.parallelism=x")
    assert r.returncode == 2 and "key 'job.parallelism'" in r.stderr
