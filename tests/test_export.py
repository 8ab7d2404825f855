"""Exports for standard viewers, checked against the formats' documented fields.

Chrome/Perfetto Trace Event Format (the "Trace Event Format" document by the Chrome tracing team):
a JSON object with ``traceEvents``; every event has ``ph``, ``ts`` (microseconds), ``pid``, ``tid`` and
``name``; ``X`` events have ``dur``; ``b``/``e`` async events share ``cat`` and ``id``; flow events are
``s`` (start) and ``f`` (finish) with the same ``id``; ``M`` metadata names processes and threads.
ShiViz: a file whose first line is the parsing RegExp and second the executions delimiter; each
event then matches ``(?<event>.*)\\n(?<host>\\S*) (?<clock>{.*})`` with a JSON vector clock, where a
host's own entry starts at 1 and grows by one per event of that host.
"""
import json
import re

import pytest

import sim
from sim.analysis.views.export import SHIVIZ_REGEX, perfetto_events, write_export

from .conftest import SCENARIOS
from .test_cli import cli


@pytest.fixture(scope="module")
def crash_run():
    return sim.run(SCENARIOS / "hello_world_crash.yaml")


def _perfetto(trace) -> dict:
    import io
    out = io.StringIO()
    write_export(trace, "perfetto", out)
    return json.loads(out.getvalue())


def test_perfetto_events_have_the_documented_fields(crash_run):
    doc = _perfetto(crash_run.trace)
    events = doc["traceEvents"]
    assert doc["displayTimeUnit"] == "ms"
    for e in events:
        assert {"ph", "ts", "pid", "tid", "name"} <= set(e), e
        assert e["ph"] in {"M", "X", "b", "e", "s", "f", "i"}
        assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0
        if e["ph"] == "X":
            assert e["dur"] >= 0
        if e["ph"] in ("b", "e"):
            assert {"cat", "id"} <= set(e)
    threads = {e["args"]["name"]: e["tid"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert {"JobManager", "source[0]", "count->format->sink[1]"} <= set(threads)   # chained tasks: one thread each


def test_perfetto_flows_pair_up_and_slices_close(crash_run):
    events = _perfetto(crash_run.trace)["traceEvents"]
    starts = {e["id"]: e for e in events if e["ph"] == "s"}
    ends = {e["id"]: e for e in events if e["ph"] == "f"}
    assert starts.keys() == ends.keys()
    assert all(ends[i]["ts"] >= starts[i]["ts"] and ends[i].get("bp") == "e" for i in starts)
    # one flow per record buffer and per barrier sent
    assert len(starts) == len(crash_run.trace.of("record_send")) + len(crash_run.trace.of("barrier_send"))
    barrier = next(e for e in starts.values() if e["name"] == "barrier 1")
    send = crash_run.trace.first("barrier_send", checkpoint=1)
    assert barrier["ts"] == send["t"] * 1000                       # ms -> microseconds
    opened = {}
    for e in events:
        if e["ph"] == "b":
            opened[(e["cat"], e["id"])] = e["ts"]
        elif e["ph"] == "e":
            assert e["ts"] >= opened.pop((e["cat"], e["id"]))
    assert not opened
    txns = {e["name"] for e in events if e["ph"] == "b" and e["cat"] == "transaction"}
    assert {"sink[0]#1 open", "sink[0]#1 precommitted", "sink[0]#2 open"} <= txns


def test_shiviz_log_parses_with_its_regex_and_clocks_count_up(crash_run, tmp_path):
    out = tmp_path / "run.log"
    r = cli("run", str(SCENARIOS / "hello_world_crash.yaml"), "--trace", str(tmp_path / "t.jsonl"), "--quiet")
    assert r.returncode == 0
    r = cli("export", str(tmp_path / "t.jsonl"), "--format", "shiviz", "-o", str(out))
    assert r.returncode == 0, r.stderr
    lines = out.read_text().split("\n")
    assert lines[0] == SHIVIZ_REGEX and lines[1] == ""
    pattern = re.compile(r"(?P<event>.*)\n(?P<host>\S*) (?P<clock>\{.*\})")   # ShiViz's default, Python syntax
    entries = pattern.findall("\n".join(lines[2:]))
    assert len(entries) * 2 == len([x for x in lines[2:] if x])
    own: dict[str, int] = {}
    for _, host, clock in entries:
        clock = json.loads(clock)
        assert clock[host] == own.get(host, 0) + 1                # a host's own entry counts its events
        own[host] = clock[host]
    # the barrier that split[0] receives carries source[0]'s clock, which carries the JobManager's trigger
    received = next(json.loads(c) for e, h, c in entries if e.startswith("barrier_receive") and h == "split[0]")
    assert received["JobManager"] >= 1 and received["source[0]"] >= 1


def test_export_cli_writes_perfetto_and_refuses_bad_input(tmp_path):
    trace = tmp_path / "t.jsonl"
    cli("run", str(SCENARIOS / "chandy_lamport" / "ring.yaml"), "--trace", str(trace), "--quiet")
    r = cli("export", str(trace), "--format", "perfetto", "-o", str(tmp_path / "p.json"))
    assert r.returncode == 0
    events = json.loads((tmp_path / "p.json").read_text())["traceEvents"]
    assert any(e["ph"] == "s" and e["name"] == "marker 0" for e in events)
    assert cli("export", str(trace), "--format", "jaeger", "-o", "x").returncode == 2
    r = cli("export", str(tmp_path / "missing.jsonl"), "--format", "shiviz", "-o", "x")
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr
    (tmp_path / "bad.jsonl").write_text("not json\n")
    r = cli("export", str(tmp_path / "bad.jsonl"), "--format", "perfetto", "-o", str(tmp_path / "p2.json"))
    assert r.returncode == 2 and "not a snapsim trace" in r.stderr


def test_diagram_cli_style_slide_and_bad_windows(tmp_path):
    trace = tmp_path / "t.jsonl"
    cli("run", str(SCENARIOS / "hello_world_crash.yaml"), "--trace", str(trace), "--quiet")
    r = cli("diagram", str(trace), "-o", str(tmp_path / "d.png"), "--style", "slide", "--from", "100ms", "--to", "300ms")
    assert r.returncode == 0 and (tmp_path / "d.png").stat().st_size > 10_000
    r = cli("diagram", str(trace), "-o", str(tmp_path / "d.png"), "--from", "300ms", "--to", "100ms")
    assert r.returncode == 2 and "window is empty" in r.stderr
    r = cli("diagram", str(trace), "-o", str(tmp_path / "d.png"), "--kind", "checkpoints", "--from", "1ms")
    assert r.returncode == 2 and "time window" in r.stderr
    r = cli("diagram", str(trace), "-o", str(tmp_path / "d.gif"))
    assert r.returncode == 2 and ".png, .svg, .pdf" in r.stderr


def test_perfetto_streams_without_building_a_list(crash_run):
    events = perfetto_events(crash_run.trace)
    assert next(events)["name"] == "process_name"                 # a generator: millions of events stream
