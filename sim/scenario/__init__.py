"""Scenario files: YAML -> normalised -> validated -> frozen objects.

``parse_scenario(text, file)`` and ``load_file(path)`` give a frozen pydantic model of one of the
three kinds (``job``, ``gate``, ``chandy_lamport``). Every problem is a :class:`ScenarioError`
naming the file, the YAML line, the key path and what was expected; unknown keys are errors.
Checks that need the dataflow layer (functions, edges, cycles) run in ``sim.load_scenario``.
"""
from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Union

from .errors import ScenarioError
from .job import JobScenario, OPERATOR_TYPES
from .overrides import apply_overrides, option_name, override_paths
from .yamlsrc import path_str
from .translate import validate_model
from .units import format_ms, parse_duration, parse_rate
from .references import check_references
from .connectors import connectors_for_release
from .versions import Release, apply_release, release

__all__ = ["Scenario", "ScenarioError", "JobScenario", "GateScenario", "GateItem",
           "ChandyLamportScenario", "parse_scenario", "parse_variants", "load_file", "parse_duration",
           "parse_rate", "format_ms", "parse_gate_item", "OPERATOR_TYPES", "KINDS", "blame_option", "read_text",
           "Release", "release"]

#: kind -> (module, model class). NOTE: the models of the gate and chandy_lamport kinds are
#: imported on first use (building pydantic models costs milliseconds a job run need not pay).
_KIND_MODELS = {"job": (".job", "JobScenario"), "gate": (".gate", "GateScenario"),
                "chandy_lamport": (".chandy_lamport", "ChandyLamportScenario")}
_LAZY = {"GateScenario": ".gate", "GateItem": ".gate", "parse_gate_item": ".gate",
         "ChandyLamportScenario": ".chandy_lamport"}


def _model(kind: str):
    module, name = _KIND_MODELS[kind]
    return getattr(import_module(module, __name__), name)


def __getattr__(name: str):
    """The names of the other kinds' models, imported when first asked for (PEP 562)."""
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    if name == "Scenario":
        return Union[tuple(_model(kind) for kind in _KIND_MODELS)]
    if name == "KINDS":
        return {kind: _model(kind) for kind in _KIND_MODELS}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parse_scenario(text: str, file: str = "<scenario>", overrides: list[str] = (),
                   seed: int | None = None) -> Scenario:
    """Validate scenario YAML text (with ``--set`` overrides and a seed override)."""
    return parse_variants(text, file, [list(overrides)], seed)[0]


def parse_variants(text: str, file: str, variants: list[list[str]], seed: int | None = None) -> list[Scenario]:
    """One validated scenario per list of ``--set`` overrides, the YAML read once for all of them.

    # NOTE: reading the YAML (with its line numbers) is most of the cost of loading a small
    # scenario; a sweep of many combinations reads it once and validates each combination.
    """
    import copy

    from .yamlsrc import load_yaml

    data, lines = load_yaml(text, file)
    if not isinstance(data, dict):
        raise ScenarioError("a scenario is a mapping of keys (kind, name, ...), "
                            f"got {type(data).__name__ if data is not None else 'an empty file'}",
                            file=file, line=1)
    return [_variant(copy.deepcopy(data) if len(variants) > 1 else data, lines, file, overrides, seed)
            for overrides in variants]


def _variant(data: dict, lines: dict, file: str, overrides, seed) -> Scenario:
    data = apply_overrides(data, overrides, file)
    if seed is not None:
        data["seed"] = seed
    try:
        return _validate(data, lines, file)
    except ScenarioError as exc:
        raise blame_option(exc, overrides) from None


def _validate(data: dict, lines: dict, file: str):
    kind = data.get("kind", "job")
    if not isinstance(kind, str) or kind not in _KIND_MODELS:
        raise ScenarioError(f"unknown kind {kind!r}; expected one of {', '.join(_KIND_MODELS)}", file=file,
                            line=lines.get(("kind",)), path="kind")
    data.setdefault("kind", kind)
    data["source"] = file
    scenario = validate_model(_model(kind), data, lines, file)
    scenario._lines = lines
    if kind in ("job", "gate"):
        scenario = apply_release(scenario)          # version-dependent defaults (docs/rules.md: the release table)
        scenario._lines = lines
    if kind == "job":
        scenario = connectors_for_release(scenario)   # the Kafka connectors of that release
        scenario._lines = lines
    check_references(scenario, lines, file)
    return scenario


def blame_option(exc: ScenarioError, overrides) -> ScenarioError:
    """An error about a key a ``--set`` option set (or a key inside it) names the option, not the file."""
    if not exc.path:
        return exc
    for path, item in override_paths(overrides):
        text = path_str(path)
        if exc.path == text or exc.path.startswith((text + ".", text + "[")):
            return ScenarioError(exc.message, file=option_name(item), path=exc.path)
    return exc


def load_file(path: str | Path, overrides: list[str] = (), seed: int | None = None) -> Scenario:
    """Read and validate a scenario file; a missing or unreadable file is a ScenarioError."""
    return parse_scenario(read_text(path), str(path), overrides, seed)


def read_text(path: str | Path) -> str:
    """A scenario file's text (UTF-8, a byte-order mark allowed); problems are ScenarioErrors."""
    from .yamlsrc import MAX_BYTES

    p, name = Path(path), str(path)
    try:
        if p.is_file() and p.stat().st_size > MAX_BYTES:
            raise ScenarioError(f"the file is larger than {MAX_BYTES // 1_000_000} MB; a scenario is a short "
                                "description (use input.generate for many records)", file=name)
        data = p.read_bytes()
    except FileNotFoundError:
        raise ScenarioError("no such file", file=name) from None
    except IsADirectoryError:
        raise ScenarioError("is a directory, not a scenario file", file=name) from None
    except PermissionError:
        raise ScenarioError("cannot read the file: permission denied", file=name) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read the file ({exc.strerror or exc})", file=name) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ScenarioError(f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded); "
                            "save it as UTF-8", file=name, line=line) from None
