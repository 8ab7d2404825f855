"""The other pictures: a gate's alignment, checkpoint statistics, classic Chandy-Lamport runs.

Like :mod:`sim.analysis.diagram`, each function reads a Trace only, takes ``ax=None``, imports
matplotlib lazily and returns ``{category: [artists]}``.
"""
from __future__ import annotations

from .diagram import CRASH, RECORD, cp_color
from .metrics import checkpoints

__all__ = ["gate_diagram", "checkpoint_chart", "cl_diagram"]


def gate_diagram(trace, ax=None, title: str | None = None) -> dict:
    """Channels as lanes, items as they arrive, blocked spans, triggers and aborts, processing order."""
    import matplotlib.pyplot as plt

    events = list(trace)
    arrivals = [e for e in events if e["kind"] == "gate_arrive"]
    channels = max((e["channel"] for e in arrivals), default=0) + 1
    if ax is None:
        _, ax = plt.subplots(figsize=(max(7, 0.55 * len(arrivals) + 2), 0.7 * channels + 1.6))
    drawn = {k: [] for k in ("lanes", "data", "barriers", "markers", "blocked", "triggers", "aborts", "order")}
    for ch in range(channels):
        drawn["lanes"].append(ax.axhline(-ch, color="#e6e6e6", lw=0.8, zorder=0))
    ax.set_yticks([-c for c in range(channels)], [f"channel {c}" for c in range(channels)], fontsize=9)
    for e in arrivals:
        y, item, t = -e["channel"], e["item"], e["t"]
        if item.startswith(("BAR", "UBAR")):
            cid = int(item.split("(")[1].split(",")[0])
            drawn["barriers"].append(ax.plot([t, t], [y - 0.3, y + 0.3], color=cp_color(cid), lw=3,
                                             ls="--" if item.startswith("U") else "-", zorder=4)[0])
            ax.text(t, y + 0.34, str(cid), color=cp_color(cid), fontsize=8, ha="center", fontweight="bold")
        elif item.startswith("CAN"):
            drawn["markers"].append(ax.plot([t], [y], marker="x", ms=10, color=CRASH, zorder=4, lw=0)[0])
        elif item.startswith("EOP"):
            drawn["markers"].append(ax.plot([t], [y], marker="|", ms=16, color="black", zorder=4, lw=0)[0])
        else:
            drawn["data"].append(ax.plot([t], [y], marker="s", ms=9, color=RECORD, zorder=3, lw=0)[0])
        ax.text(t, y - 0.42, str(e["index"]), fontsize=7, ha="center", color="#777")
    blocked_since: dict[int, tuple] = {}
    order = 0
    t_end = max((e["t"] for e in events), default=0.0) + 1
    for e in events:
        for action in e.get("actions", []):
            name = action[0]
            if name == "block":
                blocked_since[action[1]] = e["t"]
            elif name == "unblock" and action[1] in blocked_since:
                t0 = blocked_since.pop(action[1])
                drawn["blocked"].append(ax.fill_between([t0, max(e["t"], t0 + 0.05)], -action[1] - 0.25, -action[1] + 0.25,
                                                        color="#fdae6b", alpha=0.45, lw=0, zorder=1))
            elif name == "trigger":
                drawn["triggers"].append(ax.axvline(e["t"], color=cp_color(action[1]), lw=1.2, ls=":", zorder=2))
                ax.text(e["t"], 0.55, f"snapshot {action[1]}" + (" (unaligned)" if action[2] else ""),
                        color=cp_color(action[1]), fontsize=8, ha="center")
            elif name == "abort":
                drawn["aborts"].append(ax.axvline(e["t"], color=CRASH, lw=1, ls="--", zorder=2))
                ax.text(e["t"], 0.55, f"abort {action[1]}: {action[2]}", color=CRASH, fontsize=8, ha="center")
            elif name == "emit":
                order += 1
                item = next(a for a in arrivals if a["index"] == action[1])
                drawn["order"].append(ax.text(item["t"] + 0.12, -item["channel"] + 0.12, f"#{order}", fontsize=7,
                                              color="#08519c", zorder=5))
    for ch, t0 in blocked_since.items():
        drawn["blocked"].append(ax.fill_between([t0, t_end], -ch - 0.25, -ch + 0.25, color="#fdae6b", alpha=0.45, lw=0))
    start = next((e for e in events if e["kind"] == "run_start"), {})
    ax.set_title(title or start.get("scenario", "gate"), loc="left", fontsize=11, fontweight="bold")
    ax.set_xlabel("arrival time (steps); #n = processing order; orange = blocked")
    ax.set_ylim(-channels + 0.4, 0.9)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    return drawn


def checkpoint_chart(trace, ax=None, title: str | None = None) -> dict:
    """Per checkpoint, like Flink's checkpoint history: durations (bars) and sizes (line)."""
    import matplotlib.pyplot as plt

    cps = checkpoints(trace)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6, 0.6 * len(cps) + 3), 3.6))
    drawn = {"end_to_end": [], "alignment": [], "start_delay": [], "size": [], "failed": []}
    ids = [c["id"] for c in cps]
    width = 0.27
    for k, (key, color) in enumerate((("end_to_end_duration", "#4292c6"), ("alignment_duration", "#fd8d3c"),
                                      ("start_delay", "#74c476"))):
        xs = [i + (k - 1) * width for i in range(len(cps))]
        ys = [c.get(key) or 0 for c in cps]
        bars = ax.bar(xs, ys, width, color=color, label=key.replace("_", " ").replace(" duration", ""))
        drawn[key.replace("_duration", "") if key != "start_delay" else "start_delay"].extend(bars)
    for i, c in enumerate(cps):
        if c["status"] != "completed":
            drawn["failed"].append(ax.text(i, 0, c["status"], color=CRASH, rotation=90, fontsize=8, ha="center",
                                           va="bottom"))
    ax.set_xticks(range(len(cps)), [str(i) for i in ids])
    ax.set_xlabel("checkpoint")
    ax.set_ylabel("ms")
    twin = ax.twinx()
    sizes = [(c.get("checkpointed_size") or 0) / 1024 for c in cps]
    persisted = [(c.get("persisted_in_flight") or 0) / 1024 for c in cps]
    drawn["size"].append(twin.plot(range(len(cps)), sizes, "k.-", label="checkpointed size (KiB)")[0])
    if any(persisted):
        drawn["size"].append(twin.plot(range(len(cps)), persisted, "m.--", label="persisted in-flight (KiB)")[0])
    twin.set_ylabel("KiB")
    lines, labels = ax.get_legend_handles_labels()
    lines2, labels2 = twin.get_legend_handles_labels()
    ax.legend(lines + lines2, labels + labels2, fontsize=7, loc="upper left", frameon=False)
    start = next((e for e in trace if e["kind"] == "run_start"), {})
    ax.set_title(title or f"{start.get('scenario', '')}: checkpoints", loc="left", fontsize=11, fontweight="bold")
    return drawn


def cl_diagram(trace, ax=None, window=None, title: str | None = None) -> dict:
    """Processes as lanes, token messages and markers as arrows, each snapshot's cut across the lanes."""
    import matplotlib.pyplot as plt

    events = list(trace)
    nodes = list(dict.fromkeys(e.get("task") for e in events if e["kind"] in ("cl_send", "cl_receive",
                                                                             "cl_record", "cl_marker_send")))
    for e in events:
        for key in ("src", "dst", "node"):
            if e["kind"].startswith("cl_") and e.get(key) and e[key] not in nodes:
                nodes.append(e[key])
    lanes = {n: -i for i, n in enumerate(sorted(nodes))}
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 0.6 * len(lanes) + 1.6))
    drawn = {k: [] for k in ("lanes", "messages", "markers", "records", "cuts", "channel_state")}
    for n, y in lanes.items():
        drawn["lanes"].append(ax.axhline(y, color="#e6e6e6", lw=0.8, zorder=0))
    ax.set_yticks(list(lanes.values()), list(lanes.keys()), fontsize=9)
    sends = [e for e in events if e["kind"] == "cl_send"]
    receives = [e for e in events if e["kind"] == "cl_receive"]
    pending: dict[tuple, list] = {}
    for e in sends:
        pending.setdefault((e["src"], e["dst"]), []).append(e)
    recorded_windows: dict[tuple, list] = {}      # (src, dst) -> [(t0, t1, sid)] while dst recorded src
    record_time = {(e["snapshot"], e["node"]): e["t"] for e in events if e["kind"] == "cl_record"}
    for e in events:
        if e["kind"] == "cl_channel_recorded" and e["messages"]:
            t0 = record_time.get((e["snapshot"], e["dst"]), e["t"])
            recorded_windows.setdefault((e["src"], e["dst"]), []).append((t0, e["t"], e["snapshot"]))
    for e in receives:
        queue = pending.get((e["src"], e["dst"]))
        send = queue.pop(0) if queue else None
        if send is None:
            continue
        inside = [w for w in recorded_windows.get((e["src"], e["dst"]), []) if w[0] < e["t"] <= w[1]]
        color = cp_color(inside[0][2] + 1) if inside else "#969696"
        cat = "channel_state" if inside else "messages"
        drawn[cat].append(ax.annotate("", xy=(e["t"], lanes[e["dst"]]), xytext=(send["t"], lanes[e["src"]]),
                                      arrowprops=dict(arrowstyle="-|>", color=color, lw=2.2 if inside else 1.0,
                                                      shrinkA=0, shrinkB=0), zorder=3))
        ax.text((send["t"] + e["t"]) / 2, (lanes[e["src"]] + lanes[e["dst"]]) / 2, str(e["tokens"]), fontsize=7,
                color=color, zorder=4)
    for e in events:
        if e["kind"] == "cl_marker_send":
            drawn["markers"].append(ax.annotate("", xy=(e["arrive"], lanes[e["dst"]]), xytext=(e["t"], lanes[e["src"]]),
                                                arrowprops=dict(arrowstyle="-|>", color=cp_color(e["snapshot"] + 1),
                                                                lw=1, ls="--", shrinkA=0, shrinkB=0), zorder=2))
    by_snapshot: dict[int, list] = {}
    for (sid, node), t in record_time.items():
        by_snapshot.setdefault(sid, []).append((lanes[node], t, node))
    for sid, points in sorted(by_snapshot.items()):
        color = cp_color(sid + 1)
        points.sort(reverse=True)
        drawn["cuts"].append(ax.plot([p[1] for p in points], [p[0] for p in points], color=color, lw=2.5, alpha=0.6,
                                     zorder=5, label=f"snapshot {sid} cut")[0])
        tokens = {e["node"]: e["tokens"] for e in events if e["kind"] == "cl_record" and e["snapshot"] == sid}
        for y, t, node in points:
            drawn["records"].append(ax.plot([t], [y], "o", color=color, ms=7, zorder=6)[0])
            ax.text(t, y + 0.18, f"{tokens[node]}", color=color, fontsize=7, ha="center", fontweight="bold")
    if window:
        ax.set_xlim(*[w for w in window])
    start = next((e for e in events if e["kind"] == "run_start"), {})
    ax.set_title(title or start.get("scenario", "chandy-lamport"), loc="left", fontsize=11, fontweight="bold")
    ax.set_xlabel("time (ticks); numbers = tokens; thick coloured arrows = recorded channel state")
    if by_snapshot:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    return drawn
