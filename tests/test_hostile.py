"""Hostile and absurd input: refused with exit 2, a message naming the key and line, fast."""
import io
import json
import time
from contextlib import redirect_stderr, redirect_stdout

import pytest

from sim.cli import main

from .conftest import HELLO
from .test_fuzz import REFUSE_WITHIN

BOMB = "".join(f"{a}: &{a} [{', '.join(['*' + p] * 9) if p else ', '.join(['lol'] * 9)}]\n"
               for p, a in zip([""] + list("abcdefgh"), "abcdefghi"))

CASES = [
    # (name, text, key, words)
    ("rate .inf", HELLO.replace("input:\n", "input:\n  - {generate: {topic: in, rate: .inf, duration: 1s}}\n"),
     "input[0].generate.rate", "a rate must be a finite number"),
    ("rate 1e12", HELLO.replace("input:\n", "input:\n  - {generate: {topic: in, rate: 1.0e12/s, duration: 1s}}\n"),
     "input[0].generate.rate", "a scenario may write at most 10,000,000 input records"),
    ("duration .inf", HELLO.replace("input:\n", "input:\n  - {generate: {topic: in, rate: 1/s, duration: .inf}}\n"),
     "input[0].generate.duration", "a duration must be a finite number"),
    ("partitions", HELLO.replace("in: {partitions: 1}", "in: {partitions: 10000000}"),
     "kafka.topics.in.partitions", "expected a number of at most 10,000, got 10000000"),
    ("parallelism", HELLO.replace("parallelism: 1", "parallelism: 1000000"),
     "job.parallelism", "expected a number of at most 256, got 1000000"),
    ("until .inf", HELLO + "run: {until: .inf}\n", "run.until", "finite"),
    ("until 2 days", HELLO + "run: {until: 48h}\n", "run.until", "more than the limit of 24h"),
    ("latency .nan", HELLO.replace("job:\n", "job:\n  network: {latency: .nan}\n"), "job.network.latency", "finite"),
    ("interval .inf", HELLO.replace("interval: 1s", "interval: .inf"), "checkpointing.interval", "finite"),
    ("interval tiny", HELLO.replace("interval: 1s", "interval: 0.0001") + "run: {until: 1h}\n",
     "checkpointing.interval", "at most 1,000,000 are allowed"),
    ("feedback", HELLO.replace("topic: out, transaction_timeout", "topic: in, transaction_timeout"),
     "job.operators[4].topic", "a feedback loop: sink 'sink' writes topic 'in'"),
    # plain input is written ahead of time; the sink appends live: refused, not mixed (a reader read
    # the sink's "<COMMIT marker>" as a value)
    ("plain input into the sink's topic", HELLO.replace("input:\n", "input:\n  - {topic: out, at: 50, value: x}\n"),
     "input[0].topic", "topic 'out' is written by kafka_sink 'sink'; plain input to it is not supported"),
    ("generated input into the sink's topic",
     HELLO.replace("input:\n", "input:\n  - {generate: {topic: out, rate: 10/s, duration: 1s}}\n"),
     "input[0].generate.topic", "topic 'out' is written by kafka_sink 'sink'"),
    ("huge int", HELLO.replace("at: 100", "at: " + "9" * 400), "input[0].at", "finite"),
    ("python tag", HELLO.replace("value: hello}", "value: !!python/name:os.system hello}"),
     "input[0].value", "unknown YAML tag '!!python/name:os.system'"),
    ("custom tag", HELLO.replace("interval: 1s", "interval: !secs 1"), "checkpointing.interval", "unknown YAML tag"),
    ("alias bomb", BOMB, None, "aliases (*name) repeat more than 100,000 values"),
    ("recursive alias", "a: &a [*a]\n", "a[0]", "refers to the node that contains it"),
    ("deep nesting", "a: " + "[" * 5000 + "]" * 5000 + "\n", None, "nested too deep"),
    ("two documents", HELLO + "---\nname: x\n", None, "one YAML document"),
    ("pydantic words", "kind: gate\nname: g\nchannels: 1\nsequence: [[1]]\n", "sequence[0]", "expected"),
    ("keyed_sum fed text", HELLO.replace("    - {name: split, type: flat_map, function: split_words}\n", ""),
     "job.operators[1]", "operator 'count' (keyed_sum) takes (key, number) pairs, but its input gives text"),
    ("kind not a name", HELLO + "kind: []\n", "kind", "unknown kind"),
    ("restarts forever", HELLO + "faults: [{task: split, probability: 1}]\nrestart: {strategy: fixed_delay, delay: 0}\n",
     "restart.delay", "unlimited restarts with no delay"),
    ("words", HELLO.replace("input:\n", "input:\n  - {generate: {topic: in, rate: 1000/s, duration: 1h, "
                            "words_per_line: 100000}}\n"), "input[0].generate.words_per_line", "words"),
    ("broker scan every 0 ms", HELLO.replace("kafka: {topics", "kafka: {abort_scan_interval: 0, topics"),
     "kafka.abort_scan_interval", "needs a positive interval"),
    ("exponential restarts at once", HELLO + "restart: {strategy: exponential_delay, initial_backoff: 0}\n"
     "faults: [{task: split, probability: 1}]\n", "restart.initial_backoff", "more than 100,000 restarts"),
    ("operator without type", HELLO.replace("{name: count, type: keyed_sum}", "{name: count}"),
     "job.operators[2]", "missing required key 'type'"),
]


def cli(*args):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name, text, key, words", CASES, ids=[c[0] for c in CASES])
def test_refused_fast_with_key_and_line(tmp_path, name, text, key, words):
    f = tmp_path / "h.yaml"
    f.write_text(text)
    start = time.process_time()          # CPU time: other processes on the machine do not count
    code, out, err = cli("run", str(f), "--json")
    assert time.process_time() - start < REFUSE_WITHIN
    assert code == 2 and "Traceback" not in err and words in err
    error = json.loads(out)["error"]                 # --json: the error on stdout too
    assert error["file"] == str(f) and error["line"] >= 1 and error["key"] == key
    for leak in ("discriminator", "instance of", "pydantic", "Input should"):
        assert leak not in err


def test_bad_set_value_blames_the_option():
    code, _, err = cli("run", "hello_world", "--set", "job.parallelism=two")
    assert code == 2
    assert err.strip() == ("error: option --set job.parallelism=two, key 'job.parallelism': expected a whole "
                           "number, got 'two'")


def test_bad_task_blames_the_option():
    code, _, err = cli("explore", "hello_world", "--task", "nope")
    assert code == 2 and err.startswith("error: --task nope: not an operator") and "source, split" in err


def test_not_utf8_names_file_and_line(tmp_path):
    f = tmp_path / "latin.yaml"
    f.write_bytes(b"name: x\ndescription: caf\xe9\n")
    code, _, err = cli("check", str(f))
    assert code == 2 and f"{f}, line 2: the file is not UTF-8 text (byte 0xe9" in err


@pytest.mark.parametrize("args", [
    ["run", "hello_world", "--diagram", "/nonexistent/x.png"],
    ["run", "hello_world", "--diagram", "out.txt"],
    ["run", "hello_world", "--trace", "/proc/nope/t.jsonl"],
    ["sweep", "hello_world", "--vary", "checkpointing.interval=1s,2s", "-o", "/nonexistent/p.png"],
    ["figures", "-o", "/proc/nope"],
])
def test_output_paths_checked_before_running(args):
    start = time.process_time()
    code, _, err = cli(*args)
    assert code == 2 and "Traceback" not in err and time.process_time() - start < REFUSE_WITHIN


def test_diagram_output_checked_before_reading(tmp_path):
    trace = tmp_path / "t.jsonl"
    assert cli("run", "hello_world", "--trace", str(trace), "-q")[0] == 0
    code, _, err = cli("diagram", str(trace), "-o", str(tmp_path / "missing" / "d.svg"))
    assert code == 2 and "does not exist" in err


def test_list_and_run_by_name_from_anywhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli("list")
    assert code == 0 and "hello_world_crash " in out and "gates/subsumed " in out
    assert cli("run", "hello_world_crash", "-q")[0] == 0
    assert cli("run", "gates/subsumed", "-q")[0] == 0
    code, out, err = cli("run", "no_such_scenario", "--json")
    assert code == 2 and "no shipped scenario of that name" in json.loads(out)["error"]["message"]


@pytest.mark.parametrize("text, key, line", [
    ("kind: gate\nname: g\nchannels: 2\nhandler: alternating\nsequence: [B0]\n", "handler", 4),
    ("kind: gate\nname: g\nchannels: 2\nmax_buffered_bytes: 5\nsequence: [B0]\n", "max_buffered_bytes", 4),
    ("kind: chandy_lamport\nnodes: {A: 1}\ndelay: {min: 5, max: 1}\n", "delay.min", 3),
    ("kind: chandy_lamport\nnodes:\n  A: 1\n  B: -1\n", "nodes.B", 4),
    ("kind: chandy_lamport\nnodes: {A: 1, B: 0}\nlinks: [[A, B]]\nevents: [{at: 0, send: [A, B, 0]}]\n",
     "events[0].send[2]", 4),
])
def test_the_innermost_key_is_named(text, key, line):
    from sim import ScenarioError, load_text
    with pytest.raises(ScenarioError) as info:
        load_text(text, "x.yaml")
    assert (info.value.path, info.value.line) == (key, line)


def test_sweep_checks_every_value_first():
    code, _, err = cli("sweep", "hello_world", "--vary", "job.parallelism=1,1000000")
    assert code == 2 and err.startswith("error: option --vary job.parallelism=1000000, key 'job.parallelism'")


def test_a_trace_with_incomplete_events_is_bad_input(tmp_path):
    trace = tmp_path / "t.jsonl"
    trace.write_text('{"t":0,"kind":"run_start"}\n{"t":1,"kind":"checkpoint_trigger"}\n')
    code, _, err = cli("diagram", str(trace), "-o", str(tmp_path / "d.svg"))
    assert code == 2 and "not a snapsim trace" in err


@pytest.mark.parametrize("field", ["class", "None", "x y", "_keys"])
def test_a_trace_field_that_cannot_be_an_attribute_is_bad_input(tmp_path, field):
    # a Python keyword, a name with a space, an event's own attribute: refused with a message, exit 2
    trace = tmp_path / "t.jsonl"
    trace.write_text(json.dumps({"t": 0, "kind": "run_start", field: 1}) + "\n")
    code, _, err = cli("diagram", str(trace), "-o", str(tmp_path / "d.svg"))
    assert code == 2 and "not a snapsim trace (line 1: " in err and repr(field) in err


def test_a_bad_trace_line_is_named(tmp_path):
    # the third line has no kind (the second is blank): lines are counted as a text editor counts them
    trace = tmp_path / "t.jsonl"
    trace.write_text('{"t":0,"kind":"run_start"}\n\n{"t":1}\n')
    code, _, err = cli("diagram", str(trace), "-o", str(tmp_path / "d.svg"))
    assert code == 2 and "not a snapsim trace (line 3: KeyError: 'kind')" in err


def test_every_shipped_scenario_is_package_data(root):
    # pyproject.toml ships scenarios/*.yaml and scenarios/*/*.yaml as sim.scenarios: a deeper
    # folder would silently be left out of a plain `pip install .`
    import fnmatch
    text = (root / "pyproject.toml").read_text()
    patterns = text.split('"sim.scenarios" = [', 1)[1].split("]", 1)[0].replace('"', "").split(", ")
    for path in (root / "scenarios").rglob("*.yaml"):
        rel = path.relative_to(root / "scenarios").as_posix()
        assert any(fnmatch.fnmatch(rel, p) and rel.count("/") == p.count("/") for p in patterns), rel
