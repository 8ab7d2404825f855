"""The checkpoint chart, after Flink's checkpoint history: per checkpoint, how long and how big.

Bars per checkpoint: end-to-end duration, alignment duration and start delay (ms, left axis);
the checkpointed size and the persisted in-flight data are drawn on the right axis, which starts
at zero like the left one, so a small change in size looks small. A checkpoint that did not
complete gets a hatched placeholder with its status written on it; the legend sits under the
chart, never on the bars.
"""
from __future__ import annotations

from ..metrics import checkpoints
from .style import CRASH, OKABE_ITO, axes_for, finish_axes, legend_below, set_title, style_of, tip

__all__ = ["checkpoint_chart"]

BARS = (("end_to_end_duration", "end to end", OKABE_ITO["blue"]), ("alignment_duration", "alignment", OKABE_ITO["orange"]),
        ("start_delay", "start delay", OKABE_ITO["sky"]))


def checkpoint_chart(trace, ax=None, title: str | None = None, style="notebook") -> dict:
    """Durations (bars, ms) and sizes (lines, KiB, from zero) per checkpoint; returns the artists."""
    from matplotlib.patches import Patch

    st = style_of(style)
    cps = checkpoints(trace)
    ax = axes_for(ax, max(7.0, min(st.width, 0.8 * len(cps) + 4)), 4.2)
    drawn = {"end_to_end": [], "alignment": [], "start_delay": [], "size": [], "failed": []}
    legend: dict = {}
    width = 0.26
    values: list[tuple] = []                       # (x, y, text): each bar's value, written over the size lines
    top = max((c.get(key) or 0 for c in cps for key, _, _ in BARS), default=0) or 1.0
    for k, (key, name, color) in enumerate(BARS):
        shown = [(i, c[key]) for i, c in enumerate(cps) if c.get(key) is not None]
        if not shown:
            continue
        bars = ax.bar([i + (k - 1) * width for i, _ in shown], [v for _, v in shown], width, color=color)
        legend.setdefault(f"{name} (ms)", Patch(color=color))
        for (i, value), bar in zip(shown, bars):
            drawn[key.replace("_duration", "")].append(tip(bar, f"{key}-{cps[i]['id']}", f"checkpoint {cps[i]['id']}: "
                                                           f"{name} {value:.1f} ms"))
            if len(cps) <= 12:                        # the value on the bar (a zero bar is otherwise invisible)
                values.append((i + (k - 1) * width, value + top * 0.01, f"{value:.3g}"))
    _failed(ax, cps, top, 3 * width, st, drawn, legend)
    step = max(1, -(-len(cps) // 25))                # at most ~25 tick labels: they never overprint
    ax.set_xticks(range(0, len(cps), step), [str(c["id"]) for c in cps[::step]])
    ax.set_xlabel("checkpoint", fontsize=st.tick)
    ax.set_ylabel("duration (ms)", fontsize=st.tick)
    ax.set_ylim(0, top * 1.15)
    _write_values(ax, _sizes(ax, cps, st, drawn, legend), values, st)
    start = next((e for e in trace if e["kind"] == "run_start"), {})
    set_title(ax, title or f"{start.get('scenario', '')}: checkpoints", st)
    finish_axes(ax, st)
    ax.spines["left"].set_visible(True)
    ax.tick_params(axis="y", length=4)
    legend_below(ax, legend, st, ncol=2)
    return drawn


def _write_values(ax, twin, values: list[tuple], st) -> None:
    """Each bar's value above it, in the bars' coordinates but on the right axis (drawn after the size
    lines) and on a white backing: a line never hides a value."""
    for x, y, text in values:
        twin.text(x, y, text, transform=ax.transData, ha="center", va="bottom", fontsize=st.label * 0.85,
                  color="#333", zorder=5, bbox={"facecolor": "white", "alpha": 0.9, "edgecolor": "none", "pad": 0.5})


def _failed(ax, cps, top: float, width: float, st, drawn, legend) -> None:
    """A hatched placeholder, with its status written on it, for each checkpoint that did not complete."""
    from matplotlib.patches import Patch

    for i, c in enumerate(cps):
        if c["status"] != "completed":
            # NOTE: behind the checkpoint's own bars (the time it ran until it failed), its status on a
            # white backing: the hatching marks the group, it hides none of it
            bar = ax.bar(i, top, width, facecolor="none", edgecolor=CRASH, hatch="//", lw=1, zorder=0.5)[0]
            drawn["failed"].append(tip(bar, f"failed-{c['id']}", f"checkpoint {c['id']} {c['status']}: {c.get('reason')}"))
            ax.text(i, top * 0.5, c["status"], color=CRASH, rotation=90, fontsize=st.label, ha="center", va="center",
                    fontweight="bold", zorder=4, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5})
            legend.setdefault("did not complete", Patch(facecolor="none", edgecolor=CRASH, hatch="//"))


def _sizes(ax, cps, st, drawn, legend):
    """Sizes on a right axis that starts at zero (KiB, or MiB when large); returns that axis."""
    from matplotlib.lines import Line2D

    # NOTE: a checkpoint that did not complete has no size: a gap in the lines, not a drop to zero
    nan = float("nan")
    sizes = [(c.get("checkpointed_size") or 0) if c["status"] == "completed" else nan for c in cps]
    persisted = [(c.get("persisted_in_flight") or 0) if c["status"] == "completed" else nan for c in cps]
    known = [v for v in sizes + persisted if v == v]
    big = max(known, default=0) > 10 * 1024 * 1024
    unit, div = ("MiB", 1024 * 1024) if big else ("KiB", 1024)
    twin = ax.twinx()
    xs = range(len(cps))
    line = twin.plot(xs, [s / div for s in sizes], color="black", marker="o", ms=st.marker * 0.8, lw=1.5)[0]
    drawn["size"].append(tip(line, "checkpointed-size", "checkpointed size: " + ", ".join(
        f"{c['id']}: {s / div:.2f} {unit}" if s == s else f"{c['id']}: none ({c['status']})" for c, s in zip(cps, sizes))))
    legend[f"checkpointed size ({unit}, right)"] = Line2D([], [], color="black", marker="o", lw=1.5)
    if any(p == p and p for p in persisted):
        line = twin.plot(xs, [p / div for p in persisted], color=OKABE_ITO["purple"], marker="D", ms=st.marker * 0.7,
                         ls="--", lw=1.5)[0]
        drawn["size"].append(tip(line, "persisted-in-flight", "persisted in-flight data per checkpoint"))
        legend[f"persisted in-flight ({unit}, right)"] = Line2D([], [], color=OKABE_ITO["purple"],
                                                                           marker="D", ls="--", lw=1.5)
    twin.set_ylim(0, max(known, default=0) / div * 1.15 or 1.0)
    twin.set_ylabel(f"size ({unit})", fontsize=st.tick)
    twin.tick_params(labelsize=st.tick)
    twin.spines["top"].set_visible(False)
    return twin
