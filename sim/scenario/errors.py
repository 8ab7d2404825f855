"""The one error type for bad input (defined in :mod:`sim.errors`, importable without the scenario models)."""
from ..errors import ScenarioError

__all__ = ["ScenarioError"]
