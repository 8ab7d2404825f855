"""Scenario files: YAML -> normalised -> validated -> frozen objects.

``parse_scenario(text, file)`` and ``load_file(path)`` give a frozen pydantic model of one of the
three kinds (``job``, ``gate``, ``chandy_lamport``). Every problem is a :class:`ScenarioError`
naming the file, the YAML line, the key path and what was expected; unknown keys are errors.
Checks that need the dataflow layer (functions, edges, cycles) run in ``sim.load_scenario``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Union

from .chandy_lamport import ChandyLamportScenario
from .errors import ScenarioError
from .gate import GateScenario, GateItem, parse_gate_item
from .job import JobScenario, OPERATOR_TYPES
from .overrides import apply_overrides
from .translate import validate_model
from .units import format_ms, parse_duration, parse_rate
from .references import check_references
from .connectors import fill_connector_defaults

__all__ = ["Scenario", "ScenarioError", "JobScenario", "GateScenario", "GateItem",
           "ChandyLamportScenario", "parse_scenario", "load_file", "parse_duration", "parse_rate",
           "format_ms", "parse_gate_item", "OPERATOR_TYPES", "KINDS"]

Scenario = Union[JobScenario, GateScenario, ChandyLamportScenario]
KINDS = {"job": JobScenario, "gate": GateScenario, "chandy_lamport": ChandyLamportScenario}


def parse_scenario(text: str, file: str = "<scenario>", overrides: list[str] = (),
                   seed: int | None = None) -> Scenario:
    """Validate scenario YAML text (with ``--set`` overrides and a seed override)."""
    from .yamlsrc import load_yaml

    data, lines = load_yaml(text, file)
    if not isinstance(data, dict):
        raise ScenarioError("a scenario is a mapping of keys (kind, name, ...), "
                            f"got {type(data).__name__ if data is not None else 'an empty file'}",
                            file=file, line=1)
    data = apply_overrides(data, overrides, file)
    if seed is not None:
        data["seed"] = seed
    kind = data.get("kind", "job")
    if kind not in KINDS:
        raise ScenarioError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}", file=file,
                            line=lines.get(("kind",)), path="kind")
    data.setdefault("kind", kind)
    data["source"] = file
    scenario = validate_model(KINDS[kind], data, lines, file)
    scenario = fill_connector_defaults(scenario)
    scenario._lines = lines
    check_references(scenario, lines, file)
    return scenario


def load_file(path: str | Path, overrides: list[str] = (), seed: int | None = None) -> Scenario:
    """Read and validate a scenario file; a missing or unreadable file is a ScenarioError."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError("no such file", file=str(path)) from None
    except IsADirectoryError:
        raise ScenarioError("is a directory, not a scenario file", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read the file ({exc.__class__.__name__}: {exc})", file=str(path)) from None
    return parse_scenario(text, str(path), overrides, seed)
