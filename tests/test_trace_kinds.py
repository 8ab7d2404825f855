"""The trace table is the schema: every emitted kind and field is in KINDS, every kind is emitted."""
import ast
import functools

import pytest

import sim
from sim.trace import KINDS

from .conftest import ROOT, SCENARIOS

BASE_FIELDS = {"t", "kind", "task"}


def declared(kind: str) -> set[str]:
    return {f.strip() for f in KINDS[kind][1].split(",") if f.strip()}


@functools.lru_cache(maxsize=1)
def emit_calls() -> tuple:
    """(file, line, kind, keyword fields) of every ``*.emit(t, "kind", ...)`` call in the library."""
    return tuple(_emit_calls())


def _emit_calls():
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted((ROOT / "sim").rglob("*.py"))}
    tuples = _module_tuples(trees.values())
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and len(node.args) >= 2 \
                    and isinstance(node.args[1], ast.Constant):
                if node.func.attr == "emit":
                    fields = {k.arg for k in node.keywords}
                elif node.func.attr == "emit_many" and len(node.args) >= 3:
                    # emit_many(t, kind, FIELDS, rows, task=..., **constants): FIELDS names every field
                    named = node.args[2]
                    listed = tuples.get(named.id) if isinstance(named, ast.Name) else _strings(named)
                    fields = ({None} if listed is None else set(listed)) | {k.arg for k in node.keywords} - {"task"}
                else:
                    continue
                yield path.relative_to(ROOT), node.lineno, node.args[1].value, fields


def _strings(node):
    """The strings of a tuple literal of string constants, else None."""
    if isinstance(node, ast.Tuple) and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return tuple(e.value for e in node.elts)
    return None


def _module_tuples(trees) -> dict:
    """Module-level ``NAME = ("a", "b", ...)`` assignments of the library (the field lists emit_many
    calls name, maybe imported); a name given two different tuples is ambiguous (None)."""
    found: dict = {}
    for tree in trees:
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and _strings(node.value) is not None:
                name = node.targets[0].id
                found[name] = _strings(node.value) if found.get(name, _strings(node.value)) == _strings(node.value) \
                    else None
    return found


def test_every_emit_call_uses_a_declared_kind_and_declared_fields():
    calls = list(emit_calls())
    assert len(calls) > 50                                  # the walk found the library's calls
    wrong = [f"{p}:{line}: {kind} {sorted(fields - declared(kind))}" if kind in KINDS else f"{p}:{line}: {kind}?"
             for p, line, kind, fields in calls if kind not in KINDS or None in fields or fields - declared(kind)]
    assert wrong == []


def test_every_declared_kind_is_emitted_somewhere():
    emitted = {kind for _, _, kind, _ in emit_calls()} | {"summary"}      # Trace.close writes summary
    assert sorted(set(KINDS) - emitted) == []


def shipped():
    return sorted(p.relative_to(SCENARIOS).as_posix() for p in SCENARIOS.rglob("*.yaml"))


@pytest.mark.parametrize("path", shipped())
def test_shipped_scenarios_emit_only_declared_fields(path):
    run = sim.simulate(sim.load_scenario(SCENARIOS / path), trace_level="full")
    undeclared = {(e["kind"], f) for e in run.trace for f in e if f not in BASE_FIELDS | declared(e["kind"])}
    assert undeclared == set()


def test_bulk_events_with_constant_fields_read_and_write_as_emitted_ones():
    # emit_many keeps the fields shared by every row in the event's class: the events must still
    # read, compare, pickle and write exactly as the same events emitted one by one.
    import pickle

    from sim.trace import Trace
    one, bulk = Trace("control"), Trace("control")
    rows = [(7, "a:::1", ("in", 0, 3, 1.5, 0), None), (8, "b:::1", None, "sink[0]#2")]
    t = 12.0000000004                                   # rounded to 9 decimals in both
    for offset, value, origin, txn in rows:
        one.emit(t, "consumer_read", None, consumer="c", isolation="read_committed", topic="out", partition=0,
                 offset=offset, value=value, origin=origin, txn=txn)
    bulk.emit_many(t, "consumer_read", ("consumer", "isolation", "topic", "partition", "offset", "value", "origin",
                                        "txn"), rows, consumer="c", isolation="read_committed", topic="out",
                   partition=0)
    for partition in (0, False):
        bulk.emit_many(t, "kafka_append", ("topic", "partition", "offset", "value", "txn", "origin"),
                       [(9, "x", None, None)], task="sink[0]", topic="out", partition=partition)
        one.emit(t, "kafka_append", "sink[0]", topic="out", partition=partition, offset=9, value="x", txn=None,
                 origin=None)
    assert bulk.dumps() == one.dumps() and bulk.counters == one.counters
    assert [e.to_dict() for e in bulk] == [e.to_dict() for e in one] and list(bulk) == list(one)
    read = bulk.events[1]
    assert read["topic"] == "out" and read.partition == 0 and read.get("txn") == "sink[0]#2" and "consumer" in read
    assert pickle.loads(pickle.dumps(read)) == read
    assert bulk.events[0].t is bulk.events[1].t == 12.0        # one rounded time for the instant
    # 0 and False are equal keys of a dict but not the same JSON: each has its own event class
    assert '"partition":0,' in bulk.dumps().splitlines()[2] and '"partition":false' in bulk.dumps().splitlines()[3]
    assert Trace.loads(bulk.dumps()).dumps() == bulk.dumps()


def test_a_trace_read_back_equals_the_one_written_and_holds_repeated_strings_once(tmp_path):
    # JSON escapes a newline inside a string but not U+2028, which str.splitlines also splits at:
    # a value holding it must come back whole, from text and from a file (read line by line)
    from sim.trace import Trace
    trace = Trace("control")
    for offset, value in enumerate(["a\u2028b:::1", "c\r\nd:::1"]):
        trace.emit(1.5, "kafka_append", "sink[0]", topic="out", partition=0, offset=offset, value=value,
                   txn="sink[0]#1", origin=("in", 0, offset, 0.5, 0))
    trace.close(2.0)
    path = tmp_path / "t.jsonl"
    with open(path, "w", encoding="utf-8") as fp:
        trace.write(fp)
    for again in (Trace.loads(trace.dumps()), Trace.read(path)):
        assert list(again) == list(trace) and again.dumps() == trace.dumps()
        first, second = again.events[:2]
        # names repeated in every record's events are one object in a loaded trace
        assert first.task is second.task and first.txn is second.txn and first.origin[0] is second.origin[0]
