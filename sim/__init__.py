"""snapsim: a discrete-event simulator of Flink's barrier snapshots and Kafka transactions.

    import sim
    run = sim.run("scenarios/hello_world.yaml")
    run.report["final_counts"]          # {'hello': 2, 'world': 1}
    from sim.analysis.views import draw
    draw(run.trace)                     # the space-time picture (sim.analysis.views: one module per picture)
    found = sim.explore("scenarios/hello_world_crash.yaml")   # every crash point
    found.violations                    # where a crash breaks exactly-once, as sentences
    sim.report.to_html(run)             # the one-page HTML report

Every name is imported on first use: a single run (the CLI's ``snapsim run``) does not pay for
explorations and pictures, and ``import sim`` alone imports nothing.
"""
from importlib import import_module

__all__ = ["run", "Run", "load_scenario", "load_text", "simulate", "Result", "Trace", "KINDS", "ScenarioError",
           "FunctionRegistry", "ideal_reference", "Reference", "explore", "sweep", "report"]
__version__ = "0.1.0"

#: name -> the module that defines it. NOTE: imported on first use (PEP 562), so that ``import
#: sim.cli`` does not import pydantic, the scenario models and the runtime before the program
#: has paused the garbage collector for its imports (sim/cli.py, ``main``).
_EXPORTS = {"run": ".api", "Run": ".api", "load_scenario": ".api", "load_text": ".api", "ideal_reference": ".api",
            "Reference": ".api", "FunctionRegistry": ".dataflow", "simulate": ".runtime.engine",
            "Result": ".runtime.engine", "ScenarioError": ".errors", "KINDS": ".trace", "Trace": ".trace",
            "sweep": ".explore"}


def __getattr__(name: str):
    """The package's names, and its modules (``sim.explore``, a package that can be called:
    ``sim.explore(path)``; ``sim.report``; ``sim.analysis``, ...), imported on first use."""
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value
        return value
    if not name.startswith("__"):
        try:
            return import_module(f".{name}", __name__)     # the import binds it on this package
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
