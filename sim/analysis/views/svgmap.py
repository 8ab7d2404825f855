"""The timing diagram as inline SVG plus the map from its pixels back to time and lanes.

The HTML report and the notebook player both need to turn a click at (x, y) on the picture into
"time t, lane L". :func:`timing_svg` draws the diagram on its own figure, saves it as SVG text and
returns, beside it, where the axes sit in the figure (fractions from the top-left corner), which
time span the axes show and the height of every lane.
"""
from __future__ import annotations

import re

__all__ = ["timing_svg", "lane_of", "figure_svg", "figure_of", "own_figure"]


def _time_scale(ax) -> float:
    """Milliseconds per x unit of the diagram's axes (it switches to seconds on long runs)."""
    # NOTE: the timing diagram writes its unit in the x label, "simulated time (ms)" or "(s)".
    label = ax.get_xlabel()
    return 1000.0 if re.search(r"\(s\)", label) else 60_000.0 if "(min)" in label else 1.0


def geometry(fig, ax) -> dict:
    """Axes box (figure fractions from the top left), shown time span (ms) and lane heights."""
    fig.draw_without_rendering()              # lays the figure out on any canvas (no backend needed)
    box = ax.get_position()
    x0, x1 = ax.get_xlim()
    scale = _time_scale(ax)
    to_fig = ax.transData + fig.transFigure.inverted()
    lanes = []
    names = getattr(ax, "snapsim_lanes", None) or [label.get_text() for label in ax.get_yticklabels()]
    for y, name in zip(ax.get_yticks(), names):
        fy = 1.0 - to_fig.transform((x0, y))[1]
        lanes.append({"name": name, "fy": round(float(fy), 5)})
    return {"box": [round(box.x0, 5), round(1 - box.y1, 5), round(box.x1, 5), round(1 - box.y0, 5)],
            "t": [x0 * scale, x1 * scale], "lanes": lanes}


def own_figure():
    """A figure that no backend manages (no pyplot): the picture sizes it as it would its own."""
    from matplotlib.figure import Figure

    fig = Figure(layout="constrained")
    fig.snapsim_fit = True
    return fig


def timing_svg(trace, width: float | None = None) -> tuple[str, dict]:
    """The timing diagram of ``trace`` as SVG text (a ``<title>`` on each element), and its :func:`geometry`."""
    from .timing import timing_diagram

    fig = own_figure()
    drawn = timing_diagram(trace, ax=fig.add_subplot())
    if width is not None:
        fig.set_size_inches(width, fig.get_size_inches()[1])
    geo = geometry(fig, drawn["lanes"][0].axes)
    return figure_svg(fig), geo


def figure_of(drawn: dict):
    """The figure a plot function drew on (from the artists it returned)."""
    return next(a.figure for arts in drawn.values() for a in arts if getattr(a, "figure", None) is not None)


def figure_svg(fig) -> str:
    """``fig``'s ``<svg>`` element as text (no XML prolog, no date, fixed ids, hover titles)."""
    from .output import svg_text

    svg = svg_text(fig)
    if getattr(fig, "number", None) is not None:          # a pyplot figure: let pyplot forget it
        import matplotlib.pyplot as plt
        plt.close(fig)
    return svg[svg.index("<svg"):]


def lane_of(e: dict, lanes: set[str]) -> str | None:
    """The diagram lane an event belongs to (None if it has none)."""
    kind, task = e["kind"], e.get("task")
    if kind == "consumer_read":
        name = f"reader {e.get('consumer')}"
    elif kind == "kafka_append":
        name = f"Kafka {e.get('topic')}"
    elif task in (None, "jobmanager") or kind.startswith(("checkpoint_trigger", "checkpoint_complete", "job_")):
        name = "JobManager"
    else:
        name = task
    return name if name in lanes else None
