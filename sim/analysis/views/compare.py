"""Timing diagrams stacked on one figure: the same story told twice, or a run and a close-up of it.

``save_compare`` stacks two runs on the same time axis, for contrasts a student should read at one
glance, like the two Kafka sinks meeting the same refused commit (FlinkKafkaProducer fails the job
over, KafkaSink discards the commit silently). ``save_zoom`` draws a whole run and, under it, a
window of it at its own scale, for a moment too short to read at the run's scale (a crash a few
milliseconds after a checkpoint completes, in a run of seconds); the window is outlined on the
whole run.
"""
from __future__ import annotations

__all__ = ["save_compare", "save_zoom"]


def save_compare(traces: list, path, titles: list[str] | None = None, style="notebook") -> list[dict]:
    """Draw each trace's timing diagram, one under the other, sharing the time range; write ``path``.

    Returns each diagram's ``{category: [artists]}``.
    """
    panels = [(trace, None, titles[i] if titles else None) for i, trace in enumerate(traces)]
    return _stack(panels, path, style, shared_time=True)


def save_zoom(trace, path, window: tuple[float, float], titles: list[str] | None = None,
              style="notebook") -> list[dict]:
    """Draw the whole run, then ``window`` (ms) of it under it, outlined on the whole run; write ``path``.

    Returns both diagrams' ``{category: [artists]}``.
    """
    titles = titles or [None, None]
    return _stack([(trace, None, titles[0]), (trace, window, titles[1])], path, style, shared_time=False,
                  before_writing=lambda axes: _outline(axes[0], window))


def _outline(ax, window, color: str = "#444") -> None:
    """The zoomed window marked on the whole run: a dashed frame over every lane, named below the axis."""
    lo, hi = window
    scale = 1000.0 if "(s)" in ax.get_xlabel() else 1.0           # the run's axis may be in seconds
    ax.axvspan(lo / scale, hi / scale, facecolor="none", edgecolor=color, ls="--", lw=1.2, zorder=20)
    ax.annotate("zoomed below", (hi / scale, 0), xycoords=("data", "axes fraction"), xytext=(3, 3),
                textcoords="offset points", fontsize=8, color=color, va="bottom")


def _stack(panels: list, path, style, shared_time: bool, before_writing=None) -> list[dict]:
    """Each ``(trace, window, title)`` a timing diagram, one under the other, each as tall as alone."""
    from matplotlib.figure import Figure

    from .output import write_figure
    from .style import style_of
    from .timing import timing_diagram

    st = style_of(style)
    fig = Figure(figsize=(st.width, 1.0), layout="constrained")
    subs = fig.subfigures(len(panels), 1)
    drawn = [timing_diagram(trace, ax=sub.add_subplot(), window=window, title=title, style=st)
             for (trace, window, title), sub in zip(panels, subs)]
    axes = [sub.axes[0] for sub in subs]
    hi = max(ax.get_xlim()[1] for ax in axes)
    heights = []
    for ax in axes:
        if shared_time:                           # one time scale for all: the same instant lines up
            ax.set_xlim(right=hi)
        # each as tall as it would be alone: its lanes, the axis, and its legend's rows
        legend = ax.get_legend()
        rows = -(-len(legend.get_texts()) // legend._ncols) if legend else 0
        heights.append(st.lane * (1 - min(ax.get_yticks())) + 1.2 + rows * 1.55 * st.legend / 72 + 0.2)
    fig.set_size_inches(st.width, sum(heights))
    # NOTE: the heights are known only once drawn (the legends' rows); matplotlib 3.11 has no public
    # way to reach a subfigure's grid after creating it, nor a legend's column count
    subs[0]._subplotspec.get_gridspec().set_height_ratios(heights)
    if before_writing:
        before_writing(axes)
    write_figure(fig, path)
    return drawn
