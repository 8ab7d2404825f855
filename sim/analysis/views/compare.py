"""Two timing diagrams stacked on one figure, on the same time axis: the same story told twice.

Used for contrasts a student should read at one glance, like the two Kafka sinks meeting the same
refused commit (FlinkKafkaProducer fails the job over, KafkaSink discards the commit silently).
"""
from __future__ import annotations

__all__ = ["save_compare"]


def save_compare(traces: list, path, titles: list[str] | None = None, style="notebook") -> list[dict]:
    """Draw each trace's timing diagram, one under the other, sharing the time range; write ``path``.

    Returns each diagram's ``{category: [artists]}``.
    """
    from matplotlib.figure import Figure

    from .output import write_figure
    from .style import style_of
    from .timing import timing_diagram

    st = style_of(style)
    fig = Figure(figsize=(st.width, 1.0), layout="constrained")
    subs = fig.subfigures(len(traces), 1)
    drawn = [timing_diagram(trace, ax=sub.add_subplot(), title=titles[i] if titles else None, style=st)
             for i, (trace, sub) in enumerate(zip(traces, subs))]
    axes = [sub.axes[0] for sub in subs]
    hi = max(ax.get_xlim()[1] for ax in axes)
    heights = []
    for ax in axes:                               # one time scale for both: the same instant lines up
        ax.set_xlim(right=hi)
        # each as tall as it would be alone: its lanes, the axis, and its legend's rows
        legend = ax.get_legend()
        rows = -(-len(legend.get_texts()) // legend._ncols) if legend else 0
        heights.append(st.lane * (1 - min(ax.get_yticks())) + 1.2 + rows * 1.55 * st.legend / 72 + 0.2)
    fig.set_size_inches(st.width, sum(heights))
    # NOTE: the heights are known only once drawn (the legends' rows); matplotlib 3.11 has no public
    # way to reach a subfigure's grid after creating it, nor a legend's column count
    subs[0]._subplotspec.get_gridspec().set_height_ratios(heights)
    write_figure(fig, path)
    return drawn
