"""snapsim: a discrete-event simulator of Flink's barrier snapshots and Kafka transactions.

    import sim
    run = sim.run("scenarios/hello_world.yaml")
    run.report["final_counts"]          # {'hello': 2, 'world': 1}
    sim.timing_diagram(run.trace)       # the space-time picture
"""
from .api import Reference, Run, ideal_reference, load_scenario, load_text, run
from .dataflow import FunctionRegistry
from .runtime.engine import Result, simulate
from .scenario import ScenarioError
from .trace import KINDS, Trace

__all__ = ["run", "Run", "load_scenario", "load_text", "simulate", "Result", "Trace", "KINDS", "ScenarioError",
           "FunctionRegistry", "ideal_reference", "Reference"]
__version__ = "0.1.0"
