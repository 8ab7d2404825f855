"""The Chandy-Lamport diagram: processes as lanes, the whole run up to the last marker.

Token messages are grey arrows labelled with their tokens; markers dashed arrows in their
snapshot's colour; each snapshot's cut joins the instants its processes recorded their state
(labelled with the tokens recorded). A message that a process recorded as channel state (it
arrived after the receiver recorded, before that channel's marker) is drawn bold in the
snapshot's colour, on top of the cut, with the channel state written beside it; the legend
sums each snapshot up (process states and channel states).
"""
from __future__ import annotations

import re

from .labels import ABOVE, AROUND
from .style import axes_for, cp_color, finish_axes, legend_below, set_title, style_of, tip

__all__ = ["cl_diagram"]


def _natural(name: str):
    return [int(p) if p.isdigit() else p for p in re.split(r"([0-9]+)", name)]


def cl_diagram(trace, ax=None, window=None, title: str | None = None, style="notebook") -> dict:
    """Processes as lanes, messages and markers as arrows, each snapshot's cut with its channel state."""
    st = style_of(style)
    events = [e for e in trace if e["kind"].startswith("cl_") or e["kind"] == "run_start"]
    nodes = {n for e in events for k in ("task", "src", "dst", "node") if (n := e.get(k))}
    lanes = {n: -float(i) for i, n in enumerate(sorted(nodes, key=_natural))}
    ax = axes_for(ax, st.width * 0.85, st.lane * 1.6 * len(lanes) + 1.6)
    from .labels import LabelLayer
    labels = LabelLayer(ax, st.label)
    drawn = {k: [] for k in ("lanes", "messages", "markers", "records", "cuts", "channel_state")}
    for n, y in lanes.items():
        drawn["lanes"].append(ax.axhline(y, color="#e6e6e6", lw=0.8, zorder=0))
    ax.set_yticks(list(lanes.values()), list(lanes.keys()))
    t_end = max((max(e["t"], e.get("arrive", 0.0)) for e in events), default=1.0)
    lo, hi = (window or (None, None))
    ax.set_xlim(-0.05 * t_end if lo is None else lo, t_end * 1.06 + 0.1 if hi is None else hi)
    ax.set_ylim(min(lanes.values(), default=0) - 0.6, 0.7)
    windows = _recording_windows(events)
    _messages(ax, labels, events, lanes, windows, st, drawn)
    _markers(ax, events, lanes, st, drawn)
    legend = _cuts(ax, labels, events, lanes, st, drawn)
    from .canvas import keep_clear
    for category in ("messages", "markers", "records", "channel_state", "cuts"):
        for artist in drawn[category]:
            keep_clear(labels, artist)             # the token counts go beside arrows, dots and cuts, not on them
    start = next((e for e in events if e["kind"] == "run_start"), {})
    set_title(ax, title or start.get("scenario", "chandy-lamport"), st)
    ax.set_xlabel("time (ticks); numbers on arrows = tokens sent", fontsize=st.tick)
    finish_axes(ax, st)
    legend_below(ax, legend, st, ncol=2)
    drawn["labels"] = labels.texts
    return drawn


def _recording_windows(events) -> dict[tuple, list]:
    """(src, dst) -> [(from, to, snapshot)]: while dst recorded what arrived from src."""
    record_time = {(e["snapshot"], e["node"]): e["t"] for e in events if e["kind"] == "cl_record"}
    out: dict[tuple, list] = {}
    for e in events:
        if e["kind"] == "cl_channel_recorded" and e["messages"]:
            t0 = record_time.get((e["snapshot"], e["dst"]), e["t"])
            out.setdefault((e["src"], e["dst"]), []).append((t0, e["t"], e["snapshot"]))
    return out


def _messages(ax, labels, events, lanes, windows, st, drawn) -> None:
    from matplotlib.patches import FancyArrowPatch

    pending: dict[tuple, list] = {}
    for e in events:
        if e["kind"] == "cl_send":
            pending.setdefault((e["src"], e["dst"]), []).append(e)
        elif e["kind"] == "cl_receive":
            queue = pending.get((e["src"], e["dst"]))
            send = queue.pop(0) if queue else None           # channels are FIFO
            if send is None:
                continue
            inside = [w for w in windows.get((e["src"], e["dst"]), []) if w[0] < e["t"] <= w[1]]
            color = cp_color(inside[0][2] + 1) if inside else "#8c8c8c"
            # NOTE: channel state is bowed: sent at the sender's cut and received at the receiver's, it would
            # otherwise lie exactly on another snapshot's cut line and hide it
            arrow = FancyArrowPatch((send["t"], lanes[e["src"]]), (e["t"], lanes[e["dst"]]), arrowstyle="-|>",
                                    mutation_scale=12, color=color, lw=st.line * 1.3 if inside else 1.2,
                                    connectionstyle=f"arc3,rad={-0.18 if inside else 0}",
                                    shrinkA=0, shrinkB=0, zorder=8 if inside else 3)
            ax.add_patch(arrow)
            channel = f"{e['src']}->{e['dst']}"
            what = (f"recorded as channel state {channel} of snapshot {inside[0][2]}" if inside else "not in any snapshot")
            drawn["channel_state" if inside else "messages"].append(
                tip(arrow, f"msg-{channel}-{send['t']:g}", f"{e['tokens']} token(s) {channel}, sent {send['t']:g}, "
                    f"received {e['t']:g}: {what}"))
            mid = ((send["t"] + e["t"]) / 2, (lanes[e["src"]] + lanes[e["dst"]]) / 2)
            if inside:                                   # the middle of the bowed arrow (arc3: rad x the chord)
                dx, dy = e["t"] - send["t"], lanes[e["dst"]] - lanes[e["src"]]
                mid = (mid[0] - 0.09 * dy * _aspect(ax), mid[1] + 0.09 * dx / _aspect(ax))
            labels.add(*mid, str(e["tokens"]), AROUND, 3, color=color, fontweight="bold")
            if inside:
                labels.add(e["t"], lanes[e["dst"]], f"in channel {channel}: {e['tokens']}", ABOVE, 1, color=color,
                           fontweight="bold")


def _aspect(ax) -> float:
    """Data x units per data y unit on screen, at the axes' current limits (arc3 bends in screen space)."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    w, h = ax.figure.get_size_inches() * ax.get_position().size
    return abs((x1 - x0) / w) / max(abs((y1 - y0) / h), 1e-9)


def _markers(ax, events, lanes, st, drawn) -> None:
    from matplotlib.patches import FancyArrowPatch

    for e in events:
        if e["kind"] == "cl_marker_send":
            color = cp_color(e["snapshot"] + 1)
            arrow = FancyArrowPatch((e["t"], lanes[e["src"]]), (e["arrive"], lanes[e["dst"]]), arrowstyle="-|>",
                                    mutation_scale=10, color=color, lw=1.2, ls="--", shrinkA=0, shrinkB=0, zorder=2)
            ax.add_patch(arrow)
            drawn["markers"].append(tip(arrow, f"marker-{e['snapshot']}-{e['src']}-{e['dst']}",
                                        f"marker of snapshot {e['snapshot']} {e['src']}->{e['dst']}, "
                                        f"sent {e['t']:g}, arrives {e['arrive']:g}"))


def _cuts(ax, labels, events, lanes, st, drawn) -> dict:
    from matplotlib.lines import Line2D

    # NOTE: only what is drawn: a run whose every message is channel state has no grey arrow
    legend: dict = {"token message": Line2D([], [], color="#8c8c8c", lw=1.2)} if drawn["messages"] else {}
    points: dict[int, list] = {}
    for e in events:
        if e["kind"] == "cl_record":
            points.setdefault(e["snapshot"], []).append((lanes[e["node"]], e["t"], e["node"], e["tokens"]))
    channels: dict[int, dict] = {}
    for e in events:
        if e["kind"] == "cl_channel_recorded" and e["messages"]:
            channels.setdefault(e["snapshot"], {})[f"{e['src']}->{e['dst']}"] = e["messages"]
    for sid, pts in sorted(points.items()):
        color = cp_color(sid + 1)
        pts.sort(reverse=True)
        cut = ax.plot([p[1] for p in pts], [p[0] for p in pts], color=color, lw=st.line + 1, alpha=0.45, zorder=5)[0]
        states = ", ".join(f"{p[2]}={p[3]}" for p in sorted(pts, key=lambda p: _natural(p[2])))
        chans = ", ".join(f"{k}={v}" for k, v in channels.get(sid, {}).items()) or "all channels empty"
        total = sum(p[3] for p in pts) + sum(sum(v) for v in channels.get(sid, {}).values())
        summary = f"snapshot {sid}: {states}; {chans} (total {total})"
        drawn["cuts"].append(tip(cut, f"cut-{sid}", summary))
        for y, t, node, tokens in pts:
            dot = ax.plot([t], [y], "o", color=color, ms=st.marker * 1.1, zorder=6)[0]
            drawn["records"].append(tip(dot, f"record-{sid}-{node}", f"{node} recorded {tokens} for snapshot {sid}"))
            labels.add(t, y, f"{tokens}", ((4, 6), (4, -14), (-12, 6), (4, 12), (4, -22), (-12, -14)), 0, color=color,
                       fontweight="bold")
        legend[f"cut of {summary}"] = Line2D([], [], color=color, lw=st.line + 1, alpha=0.6, marker="o")
        legend[f"marker of snapshot {sid}"] = Line2D([], [], color=color, lw=1.2, ls="--")
    if drawn["channel_state"]:
        legend["message recorded as channel state (bold)"] = Line2D([], [], color="#555", lw=st.line * 1.3)
    return legend
