"""snapsim: a discrete-event simulator of Flink's barrier snapshots and Kafka transactions.

    import sim
    run = sim.run("scenarios/hello_world.yaml")
    run.report["final_counts"]          # {'hello': 2, 'world': 1}
    from sim.analysis.views import draw
    draw(run.trace)                     # the space-time picture (sim.analysis.views: one module per picture)
    found = sim.explore("scenarios/hello_world_crash.yaml")   # every crash point
    found.violations                    # where a crash breaks exactly-once, as sentences
    sim.report.to_html(run)             # the one-page HTML report

``sim.explore``, ``sim.sweep`` and ``sim.report`` are imported on first use: a single run (the
CLI's ``snapsim run``) does not pay for explorations and pictures.
"""
from importlib import import_module

from .api import Reference, Run, ideal_reference, load_scenario, load_text, run
from .dataflow import FunctionRegistry
from .runtime.engine import Result, simulate
from .scenario import ScenarioError
from .trace import KINDS, Trace

__all__ = ["run", "Run", "load_scenario", "load_text", "simulate", "Result", "Trace", "KINDS", "ScenarioError",
           "FunctionRegistry", "ideal_reference", "Reference", "explore", "sweep", "report"]
__version__ = "0.1.0"


def __getattr__(name: str):
    """``sim.explore`` (a package that can be called: ``sim.explore(path)``), ``sim.report`` and
    ``sim.sweep``, imported on first use (PEP 562)."""
    if name in ("explore", "report"):
        return import_module(f".{name}", __name__)     # the import binds it on this package
    if name == "sweep":
        return import_module(".explore", __name__).sweep
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
