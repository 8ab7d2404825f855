"""The Python entry points: load a scenario, run it, get the report (what the CLI calls)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .analysis.report import build_report
from .dataflow import FunctionRegistry, JobGraph
from .runtime.engine import Result, simulate
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


def _reads_uncommitted_input(scenario) -> bool:
    """Does a source read a transactionally written topic with read_uncommitted?"""
    written = {item.transaction.topic for item in scenario.input if hasattr(item, "transaction")}
    return any(op.type == "kafka_source" and op.topic in written and op.isolation == "read_uncommitted"
               for op in scenario.job.operators)


def _ideal(scenario):
    """The reference scenario: no faults, and sources that read only committed input (SEMANTICS 8)."""
    ops = [op.model_copy(update={"isolation": "read_committed"}) if op.type == "kafka_source" else op
           for op in scenario.job.operators]
    return scenario.model_copy(update={"faults": [], "job": scenario.job.model_copy(update={"operators": ops})})


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
    if scenario.kind == "job" and (scenario.faults or _reads_uncommitted_input(scenario)):
        level = trace_level or scenario.run.trace
        clean = _ideal(scenario)
        reference = simulate(clean, functions, "summary" if level == "summary" else "control", reference=True)
        result = simulate(scenario, functions, trace_level)
    else:
        result = simulate(scenario, functions, trace_level, reference=scenario.kind == "job")
    ref_trace = reference.trace if reference is not None else None
    report = build_report(scenario, result.trace, result.stats, ref_trace)
    return Run(scenario, result, reference, report)


__all__ += ["ScenarioError"]
