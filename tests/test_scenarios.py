"""Every shipped scenario runs and its ``expect:`` block holds."""
from pathlib import Path

import pytest

import sim

SCENARIOS = sorted((Path(__file__).resolve().parent.parent / "scenarios").rglob("*.yaml"))


def test_there_are_scenarios():
    assert len(SCENARIOS) >= 6


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: str(p.relative_to(p.parent.parent)))
def test_scenario_expectations_hold(path):
    scenario = sim.load_scenario(path)
    run = sim.run(scenario)
    assert run.report["failures"] == []
    assert scenario.expect.model_dump(exclude_none=True), f"{path.name} has no expect: block"
