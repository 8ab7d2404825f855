"""Many runs of one scenario: crash-point exploration and parameter sweeps, here or on Dask.

* :func:`explore` crashes a job at every point of its life where a crash can change the outcome
  (or a sample of them, or pairs) and says where exactly-once breaks;
* :func:`sweep` runs every combination of ``--set`` values and returns one row per run.

Both run in this process by default; ``workers=N`` starts a local Dask cluster and
``scheduler="tcp://host:8786"`` uses an existing one (``pip install 'snapsim[many]'``).
``sim.explore(...)`` is :func:`explore` itself: this package can be called.
"""
import sys
import types

from .crashes import OUTCOMES, ROW_FIELDS, Exploration, explore
from .rows import write_rows
from .runner import Runner, RunnerError
from .sweep import Sweep, summarize, sweep

__all__ = ["explore", "Exploration", "sweep", "Sweep", "summarize", "Runner", "RunnerError", "write_rows",
           "OUTCOMES", "ROW_FIELDS"]


class _CallablePackage(types.ModuleType):
    """``sim.explore(path)`` calls :func:`explore`, and ``sim.explore`` stays this package.

    # NOTE: binding the function to ``sim.explore`` instead would hide the package from
    # ``import sim.explore.crashes as c`` and ``import sim.explore as e`` (both look the name up
    # on ``sim``); a module whose class defines ``__call__`` keeps both working.
    """

    def __call__(self, *args, **kwargs) -> Exploration:
        return explore(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
