"""snapsim: a discrete-event simulator of Flink's barrier snapshots and Kafka transactions.

    import sim
    run = sim.run("scenarios/hello_world.yaml")
    run.report["final_counts"]          # {'hello': 2, 'world': 1}
    from sim.analysis.views import draw
    draw(run.trace)                     # the space-time picture (sim.analysis.views: one module per picture)
    found = sim.explore("scenarios/hello_world_crash.yaml")   # every crash point
    found.violations                    # where a crash breaks exactly-once, as sentences
    sim.report.to_html(run)             # the one-page HTML report
"""
from . import report
from .api import Reference, Run, ideal_reference, load_scenario, load_text, run
from .dataflow import FunctionRegistry
from . import explore                        # a package that can be called: sim.explore(path)
from .explore import sweep
from .runtime.engine import Result, simulate
from .scenario import ScenarioError
from .trace import KINDS, Trace

__all__ = ["run", "Run", "load_scenario", "load_text", "simulate", "Result", "Trace", "KINDS", "ScenarioError",
           "FunctionRegistry", "ideal_reference", "Reference", "explore", "sweep", "report"]
__version__ = "0.1.0"
