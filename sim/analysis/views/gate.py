"""The gate diagram: one task's input channels, the queue in each, and the order the handler took them.

Each channel is a lane; every item is a box where it arrived (items that arrived together stand
side by side in arrival order, so a queue reads left to right). A bottom lane, "processed", shows
what the operator processed, numbered #1, #2, ... in order, and where the handler took each
barrier. A line joins each item's arrival to the moment it was taken: lines that cross are items
overtaken (an unaligned barrier jumping the queue, or a blocked channel waiting). Blocked spans
are hatched, stored items (aligned, ``buffer`` mode) and persisted items (unaligned channel state)
are marked on the item itself, snapshots and aborts are vertical rules.
"""
from __future__ import annotations

from .labels import ABOVE, BELOW
from .style import CRASH, RECORD, axes_for, cp_color, finish_axes, legend_below, set_title, style_of, tip

__all__ = ["gate_diagram"]

SLOT = 0.3      # horizontal step between items that share an instant


def _barrier(item: str, unaligned=frozenset()) -> tuple[int, bool] | None:
    """(checkpoint, unaligned) of a barrier item: unaligned if written UBAR or its snapshot was unaligned
    (an unaligned handler, or an aligned barrier that timed out)."""
    if item.startswith(("BAR", "UBAR")):
        cid = int(item.split("(")[1].split(",")[0])
        return cid, item.startswith("U") or cid in unaligned
    return None


def _slots(points: list[tuple]) -> dict:
    """key -> x: points ``(t, key)`` sharing a time are spread by SLOT, in the given order."""
    out, used = {}, {}
    for t, key in points:
        k = used.get(t, 0)
        used[t] = k + 1
        out[key] = t + k * SLOT
    return out


def gate_diagram(trace, ax=None, title: str | None = None, style="notebook") -> dict:
    """Channels as lanes, queues, processing order, blocked spans, stored and persisted items; returns artists."""
    st = style_of(style)
    events = list(trace)
    arrivals = [e for e in events if e["kind"] == "gate_arrive"]
    takes = [e for e in events if e["kind"] in ("gate_item", "gate_timer")]
    channels = max((e["channel"] for e in arrivals), default=0) + 1
    t_end = max((e["t"] for e in events), default=0.0)
    ax = axes_for(ax, st.width * 0.8, st.lane * 1.5 * (channels + 1) + 1.6)
    from .labels import LabelLayer
    labels = LabelLayer(ax, st.label)
    drawn = {k: [] for k in ("lanes", "arrivals", "data", "barriers", "markers", "queue", "blocked", "triggers",
                             "aborts", "order", "stored", "persisted")}
    legend: dict = {}
    lane_y, out_y = _gate_lanes(ax, channels, drawn)
    arrive_x = {}
    for ch in range(channels):
        arrive_x.update(_slots([(e["t"], e["index"]) for e in arrivals if e["channel"] == ch]))
    by_index = {e["index"]: e for e in arrivals}
    took, processed = _handler_marks(takes, by_index)
    unaligned = frozenset(a[1] for e in takes for a in e["actions"] if a[0] == "trigger" and a[2])
    for e in arrivals:
        _arrival(ax, labels, e, lane_y[e["channel"]], arrive_x[e["index"]], st, drawn, legend, unaligned)
    _taken(ax, labels, took, processed, by_index, arrive_x, lane_y, out_y, st, drawn, legend, unaligned)
    _actions(ax, labels, events, takes, by_index, arrive_x, lane_y, t_end, st, drawn, legend)
    from .canvas import keep_clear
    for category in ("barriers", "markers", "data", "queue", "order", "stored", "persisted", "triggers", "aborts"):
        for artist in drawn[category]:
            keep_clear(labels, artist)             # labels go beside marks and lines, never over them
    start = next((e for e in events if e["kind"] == "run_start"), {})
    set_title(ax, title or start.get("scenario", "gate"), st)
    ax.set_xlabel("time (ms; items that arrive together stand side by side)", fontsize=st.tick)
    ax.set_ylim(out_y - 0.7, 0.9)
    ax.set_xlim(-0.5, max([t_end, *arrive_x.values(), *[x for x, _ in processed.values()]], default=1) + 0.8)
    finish_axes(ax, st)
    legend_below(ax, legend, st, ncol=2)
    drawn["labels"] = labels.texts
    return drawn


def _gate_lanes(ax, channels: int, drawn: dict) -> tuple[dict, float]:
    """One lane per input channel, top down, and the "processed" lane under them."""
    lane_y = {ch: -float(ch) for ch in range(channels)}
    out_y = -float(channels) - 0.3
    for ch, y in lane_y.items():
        drawn["lanes"].append(ax.axhline(y, color="#e6e6e6", lw=0.8, zorder=0))
    drawn["lanes"].append(ax.axhline(out_y, color="#cfcfcf", lw=1.0, zorder=0))
    ax.set_yticks([*lane_y.values(), out_y], [f"channel {c}" for c in lane_y] + ["processed"])
    return lane_y, out_y


def _handler_marks(takes, by_index):
    """(index -> x where the handler took it, index -> (x, order) where the operator processed it)."""
    points, emits = [], []
    for e in takes:
        if e["kind"] == "gate_item":
            points.append((e["t"], ("take", e["index"])))
        for action in e["actions"]:
            if action[0] == "emit" and action[1] in by_index:
                points.append((e["t"], ("emit", action[1])))
                emits.append(action[1])
    xs = _slots(points)
    took = {key[1]: x for key, x in xs.items() if key[0] == "take"}
    processed = {i: (xs[("emit", i)], n + 1) for n, i in enumerate(emits)}
    return took, processed


def _arrival(ax, labels, e, y, x, st, drawn, legend, unaligned) -> None:
    from matplotlib.lines import Line2D

    item, bar = e["item"], _barrier(e["item"], unaligned)
    if bar:
        cid, unaligned = bar
        mark = ax.plot([x, x], [y - 0.28, y + 0.28], color=cp_color(cid), lw=st.line + 1, ls="--" if unaligned else "-",
                       zorder=5)[0]
        drawn["barriers"].append(tip(mark, f"arrive-{e['index']}", f"#{e['index']}: barrier {cid} arrived on channel "
                                     f"{e['channel']} at {e['t']:g}"))
        labels.add(x, y + 0.28, f"barrier {cid}", ABOVE, 1, color=cp_color(cid), ha="center", fontweight="bold")
        legend.setdefault("unaligned barrier" if unaligned else "barrier", Line2D([], [], color=cp_color(cid),
                          lw=st.line + 1, ls="--" if unaligned else "-"))
    elif item.startswith(("CAN", "EOP")):
        cancel = item.startswith("CAN")
        mark = ax.plot([x], [y], marker="x" if cancel else "|", ms=st.marker * 1.6, mew=2.5,
                       color=CRASH if cancel else "black", lw=0, zorder=5)[0]
        drawn["markers"].append(tip(mark, f"arrive-{e['index']}", f"#{e['index']}: {item} on channel {e['channel']}"))
        legend.setdefault("cancellation marker" if cancel else "end of partition",
                          Line2D([], [], ls="", marker="x" if cancel else "|", mew=2.5, color=CRASH if cancel else
                                 "black", ms=st.marker))
    else:
        mark = ax.plot([x], [y], marker="s", ms=st.marker * 1.5, mfc="#d9d9d9", mec="#555", lw=0, zorder=4)[0]
        drawn["data"].append(tip(mark, f"arrive-{e['index']}", f"#{e['index']}: data buffer {item} arrived on "
                                 f"channel {e['channel']} at {e['t']:g}"))
        legend.setdefault("data buffer, where it arrived", Line2D([], [], ls="", marker="s", mfc="#d9d9d9",
                                                                  mec="#555", ms=st.marker * 1.2))
    drawn["arrivals"].append(mark)
    labels.add(x, y - 0.28, str(e["index"]), ((0, -12), (-9, -12), (9, -12)), 6, color="#777", ha="center")
    legend.setdefault("n: the item's position in the input sequence",
                      Line2D([], [], ls="", marker="$7$", color="#777", ms=st.marker))


def _taken(ax, labels, took, processed, by_index, arrive_x, lane_y, out_y, st, drawn, legend, unaligned) -> None:
    """Queue lines from arrival to where the item was taken, and the processed lane numbered in order."""
    from matplotlib.lines import Line2D

    for index, x in took.items():
        e = by_index[index]
        bar = _barrier(e["item"], unaligned)
        color = cp_color(bar[0]) if bar else RECORD
        end = processed[index][0] if index in processed else x
        line = ax.plot([arrive_x[index], end], [lane_y[e["channel"]], out_y], color=color, lw=1.2,
                       ls="--" if bar and bar[1] else "-", alpha=0.8, zorder=2)[0]
        drawn["queue"].append(tip(line, f"wait-{index}", f"#{index} {e['item']} waited in channel {e['channel']} "
                                  f"from {e['t']:g}; taken at {x:g}"))
        if bar:
            mark = ax.plot([end], [out_y], marker="|", ms=st.marker * 2, mew=st.line + 1, color=color, zorder=5)[0]
            drawn["barriers"].append(tip(mark, f"take-{index}", f"barrier {bar[0]} taken by the handler"))
    for index, (x, n) in processed.items():
        mark = ax.plot([x], [out_y], marker="s", ms=st.marker * 1.5, color="#4d4d4d", lw=0, zorder=4)[0]
        drawn["order"].append(tip(mark, f"processed-{n}", f"#{n} processed: item {index} ({by_index[index]['item']})"))
        labels.add(x, out_y, f"#{n}", ((0, -16), (0, -26), (0, 9)), 2, ha="center", color="#08306b",
                   fontweight="bold")
    legend.setdefault("processed, in order (#n); line = its wait in the queue",
                      Line2D([], [], color=RECORD, marker="s", mfc="#4d4d4d", mec="#4d4d4d", ms=st.marker))


def _actions(ax, labels, events, takes, by_index, arrive_x, lane_y, t_end, st, drawn, legend) -> None:
    """Blocked spans, snapshots, aborts, stored and persisted items, the alignment timer."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    blocked_since: dict[int, float] = {}
    for e in takes:
        for action in e["actions"]:
            name = action[0]
            if name == "block":
                blocked_since[action[1]] = e["t"]
            elif name == "unblock" and action[1] in blocked_since:
                _blocked(ax, action[1], blocked_since.pop(action[1]), e["t"], lane_y, drawn, legend)
            elif name in ("trigger", "abort"):
                trigger = name == "trigger"
                color = cp_color(action[1]) if trigger else CRASH
                rule = ax.axvline(e["t"], color=color, lw=1.4, ls=":" if trigger else "--", zorder=1)
                text = (f"snapshot {action[1]}" + (" (unaligned)" if action[2] else "") if trigger
                        else f"abort {action[1]}: {action[2]}")
                drawn["triggers" if trigger else "aborts"].append(tip(rule, f"{name}-{action[1]}", f"{text} at {e['t']:g}"))
                labels.add(e["t"], 0.55, text, ((2, 0), (2, 10)), 0, color=color, fontweight="bold")
                legend.setdefault("snapshot taken" if trigger else "checkpoint aborted",
                                  Line2D([], [], color="#555" if trigger else CRASH, lw=1.4, ls=":" if trigger else "--"))
            elif name in ("store", "persist") and action[2] in by_index:
                _kept(ax, name, action[1], by_index[action[2]], arrive_x, lane_y, st, drawn, legend)
            elif name == "timer":
                labels.add(e["t"], lane_y[e.get("channel", 0)], f"timeout timer: {action[1]:g} ms",
                           ((14, -26), (14, -36), (14, 12)), 3, color="#444")
    for ch, t0 in blocked_since.items():
        _blocked(ax, ch, t0, t_end + 0.5, lane_y, drawn, legend)


def _blocked(ax, ch: int, t0: float, t1: float, lane_y, drawn, legend) -> None:
    from matplotlib.patches import Patch

    y = lane_y[ch]
    band = ax.fill_between([t0, max(t1, t0 + 0.05)], y - 0.34, y + 0.34, facecolor="#bdbdbd", alpha=0.35,
                           edgecolor="#737373", hatch="xx", lw=0, zorder=1)
    drawn["blocked"].append(tip(band, f"blocked-{ch}-{t0:g}", f"channel {ch} blocked from {t0:g} to {t1:g}"))
    legend.setdefault("channel blocked (its items wait)", Patch(facecolor="#bdbdbd", alpha=0.5, edgecolor="#737373",
                                                                hatch="xx"))


def _kept(ax, name: str, cid: int, e, arrive_x, lane_y, st, drawn, legend) -> None:
    from matplotlib.lines import Line2D

    stored = name == "store"
    marker = "o" if stored else "D"
    x, y = arrive_x[e["index"]], lane_y[e["channel"]]
    # NOTE: a stored item is not in the snapshot (it is processed after it): black ring, not the snapshot's colour
    mark = ax.plot([x], [y + 0.3], marker=marker, ms=st.marker, mfc="white", mec="#222" if stored else cp_color(cid),
                   mew=2, lw=0, zorder=7)[0]
    what = "stored while aligning (replayed after)" if stored else "persisted as channel state"
    drawn["stored" if stored else "persisted"].append(tip(mark, f"{name}-{cid}-{e['index']}",
                                                          f"#{e['index']} {e['item']}: {what} (checkpoint {cid})"))
    legend.setdefault("stored during alignment" if stored else "persisted in the snapshot (unaligned)",
                      Line2D([], [], ls="", marker=marker, mfc="white", mec="#555", mew=2, ms=st.marker))
