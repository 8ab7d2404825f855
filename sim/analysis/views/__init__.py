"""Pictures of a run, one module per picture, all drawn from a Trace only.

``VIEWS`` is the registry (the CLI's ``--kind`` choices come from it): name -> (module, function).
Every plot function takes ``ax=None``, imports matplotlib lazily, returns ``{category: [artists]}``
and never switches the matplotlib backend; :func:`save` draws on a bare ``Figure`` (no pyplot), so
it works the same in a notebook, a script or a server.

    from sim.analysis.views import draw, save
    draw(run.trace)                                   # the run's natural picture, in a notebook
    save(run.trace, "run.svg", style="slide")         # SVG with a hover title on every element
"""
from __future__ import annotations

from importlib import import_module

__all__ = ["VIEWS", "view", "auto_kind", "draw", "save"]

#: picture name -> (module in this package, plot function)
VIEWS: dict[str, tuple[str, str]] = {
    "timing": ("timing", "timing_diagram"),
    "gate": ("gate", "gate_diagram"),
    "chandy_lamport": ("chandy_lamport", "cl_diagram"),
    "checkpoints": ("checkpoints", "checkpoint_chart"),
}


def view(kind: str):
    """The plot function of picture ``kind`` (imported on first use)."""
    if kind not in VIEWS:
        raise ValueError(f"unknown picture kind {kind!r}; expected one of {sorted(VIEWS)}")
    module, function = VIEWS[kind]
    return getattr(import_module(f".{module}", __name__), function)


def auto_kind(trace) -> str:
    """The natural picture of a trace: gate, Chandy-Lamport or timing (looks at the first events only)."""
    for e in trace:
        kind = e["kind"]
        if kind.startswith("gate_"):
            return "gate"
        if kind.startswith("cl_"):
            return "chandy_lamport"
        if kind not in ("run_start", "summary"):
            return "timing"
    return "timing"


def draw(trace, kind: str = "auto", ax=None, **options) -> dict:
    """Draw picture ``kind`` of ``trace`` on ``ax`` (a new figure if None); returns what was drawn."""
    return view(auto_kind(trace) if kind == "auto" else kind)(trace, ax=ax, **options)


def save(trace, path, kind: str = "auto", window=None, style: str = "notebook", title: str | None = None) -> dict:
    """Draw and write a PNG, SVG or PDF; an SVG element has a ``<title>`` saying what it is.

    The same trace gives the same file, byte for byte (no dates, fixed SVG ids).
    """
    from .output import write_figure

    kind = auto_kind(trace) if kind == "auto" else kind
    options = {"style": style} | ({"title": title} if title else {})
    if window is not None and any(w is not None for w in window):
        if kind not in ("timing", "chandy_lamport"):
            raise ValueError(f"a time window applies to timing and chandy_lamport pictures, not {kind}")
        options["window"] = window
    from matplotlib.figure import Figure

    fig = Figure(layout="constrained")
    fig.snapsim_fit = True                    # the view sizes this figure as it would its own
    drawn = view(kind)(trace, ax=fig.add_subplot(), **options)
    write_figure(fig, path)
    return drawn
