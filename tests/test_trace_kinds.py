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
    for path in sorted((ROOT / "sim").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "emit" \
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
                fields = {k.arg for k in node.keywords}
                yield path.relative_to(ROOT), node.lineno, node.args[1].value, fields


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
