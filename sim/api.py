"""The Python entry points: load a scenario, run it, get the report (what the CLI calls)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .analysis.report import build_report
from .dataflow import FunctionRegistry, JobGraph
from .runtime.engine import Result, gc_paused, simulate
from .scenario import Scenario, ScenarioError, load_file, parse_scenario

__all__ = ["load_scenario", "load_text", "run", "Run"]


def _validate(scenario: Scenario, functions: FunctionRegistry | None) -> Scenario:
    if scenario.kind == "job":
        JobGraph.build(scenario, functions)          # functions, edges, cycles
    return scenario


def load_scenario(path: str | Path, overrides=(), seed: int | None = None,
                  functions: FunctionRegistry | None = None) -> Scenario:
    """Read and fully validate a scenario file (raises ScenarioError)."""
    return _validate(load_file(path, overrides, seed), functions)


def load_text(text: str, name: str = "<scenario>", overrides=(), seed: int | None = None,
              functions: FunctionRegistry | None = None) -> Scenario:
    """Validate scenario YAML given as text (notebooks, tests)."""
    return _validate(parse_scenario(text, name, overrides, seed), functions)


@dataclass
class Run:
    """A finished run: the result, the fault-free reference (jobs) and the report."""

    scenario: Scenario
    result: Result
    reference: Result | None
    report: dict

    @property
    def trace(self):
        return self.result.trace

    @property
    def ok(self) -> bool:
        return self.report["ok"]


def run(scenario: Scenario | str | Path, functions: FunctionRegistry | None = None,
        trace_level: str | None = None) -> Run:
    """Simulate a scenario (object or path) and judge it; a job also gets its reference run."""
    if not hasattr(scenario, "kind"):
        scenario = load_scenario(scenario, functions=functions)
    reference = None
    if scenario.kind == "job" and scenario.faults:
        level = trace_level or scenario.run.trace
        clean = scenario.model_copy(update={"faults": []})
        reference = simulate(clean, functions, "summary" if level == "summary" else "control", reference=True)
        result = simulate(scenario, functions, trace_level)
    else:
        result = simulate(scenario, functions, trace_level, reference=scenario.kind == "job")
    ref_trace = reference.trace if reference is not None else None
    with gc_paused():
        report = build_report(scenario, result.trace, result.stats, ref_trace)
    return Run(scenario, result, reference, report)


__all__ += ["ScenarioError"]
