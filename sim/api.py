"""The Python entry points: load a scenario, run it, get the report (what the CLI calls)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .analysis.report import build_report
from .dataflow import FunctionRegistry, JobGraph
from .dataflow.types import check_record_types
from .ideal import Reference, ideal_reference as _ideal, reference_signature
from .runtime.engine import Result, gc_paused, simulate
from .runtime.inputs import SharedInput
from .scenario import ScenarioError, blame_option, load_file, parse_scenario, parse_variants, read_text
from .values import Record

if TYPE_CHECKING:
    from .scenario import Scenario

__all__ = ["load_scenario", "load_text", "load_variants", "run", "Run", "ideal_reference", "Reference"]


def _validate(scenario: Scenario, functions: FunctionRegistry | None, overrides=()) -> Scenario:
    if scenario.kind == "job":
        try:
            graph = JobGraph.build(scenario, functions)          # functions, edges, cycles
            check_record_types(scenario, graph.dag, functions or FunctionRegistry())
        except ScenarioError as exc:
            raise blame_option(exc, overrides) from None
    return scenario


def load_scenario(path: str | Path, overrides=(), seed: int | None = None,
                  functions: FunctionRegistry | None = None) -> Scenario:
    """Read and fully validate a scenario file (raises ScenarioError)."""
    return _validate(load_file(path, overrides, seed), functions, overrides)


def load_variants(path: str | Path, variants: list[list[str]], seed: int | None = None,
                  functions: FunctionRegistry | None = None) -> list[Scenario]:
    """One fully validated scenario per list of overrides; the file is read and parsed once."""
    scenarios = parse_variants(read_text(path), str(path), variants, seed)
    return [_validate(s, functions, overrides) for s, overrides in zip(scenarios, variants)]


def load_text(text: str, name: str = "<scenario>", overrides=(), seed: int | None = None,
              functions: FunctionRegistry | None = None) -> Scenario:
    """Validate scenario YAML given as text (notebooks, tests)."""
    return _validate(parse_scenario(text, name, overrides, seed), functions, overrides)


class Run(Record):
    """A finished run: the result, the ideal reference it was judged against (jobs) and the report."""

    __slots__ = ("scenario", "result", "reference", "report")

    def __init__(self, scenario: Scenario, result: Result, reference: Reference | None, report: dict) -> None:
        self.scenario = scenario
        self.result = result
        self.reference = reference
        self.report = report

    @property
    def trace(self):
        return self.result.trace

    @property
    def ok(self) -> bool:
        return self.report["ok"]


def ideal_reference(scenario: Scenario | str | Path, functions: FunctionRegistry | None = None,
                    summary: bool = False) -> Reference:
    """The ideal reference of a job scenario (docs/verdicts.md), computed without simulating.

    It depends only on the input, the job and the time limit, so compute it once and pass it to
    many runs of the same scenario with other settings: ``run(s, reference=ref)``. ``summary``:
    only the digests a summary trace is judged by, in bounded memory (it judges summary runs only).
    """
    if not hasattr(scenario, "kind"):
        scenario = load_scenario(scenario, functions=functions)
    if scenario.kind != "job":
        raise ValueError(f"only jobs have a reference; this scenario is a {scenario.kind}")
    return _ideal(scenario, functions, summary)


def run(scenario: Scenario | str | Path, functions: FunctionRegistry | None = None,
        trace_level: str | None = None, reference: Reference | None = None) -> Run:
    """Simulate a scenario (object or path) and judge it; a job is judged against its ideal
    reference (``reference``: one computed earlier for the same input and job, else computed here)."""
    if not hasattr(scenario, "kind"):
        scenario = load_scenario(scenario, functions=functions)
    ref_trace, shared = None, None
    if scenario.kind == "job":
        level = trace_level or scenario.run.trace
        if reference is None:
            shared = SharedInput()           # the input lines are drawn once, for both
            with gc_paused():                # a summary trace is judged by digests: stream them
                reference = _ideal(scenario, functions, summary=level == "summary", shared=shared)
        elif reference.signature != reference_signature(scenario):
            raise ValueError("this reference was computed for another input or job: "
                             "compute it with ideal_reference(scenario) for this scenario")
        else:
            reference = reference.timed(scenario)
        ref_trace = reference.trace(level)
    result = simulate(scenario, functions, trace_level, shared=shared)
    with gc_paused():
        report = build_report(scenario, result.trace, result.stats, ref_trace)
    return Run(scenario, result, reference, report)


__all__ += ["ScenarioError"]
