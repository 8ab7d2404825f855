"""Timing (space-time) diagrams of a job, drawn from a Trace only.

Time runs left to right; one lane per subtask (grouped by operator, in plan order), a JobManager
lane on top, the Kafka topics and the readers at the bottom. Records are thin arrows between lanes
(replayed ones orange), barriers bold arrows coloured per checkpoint, alignment a shaded span
naming the blocked channel, buffered and persisted records small marks, snapshots a solid (sync)
then hatched (async) bar with the state they held, checkpoint completion a vertical rule,
crashes red crosses with the downtime shaded, sink transactions bars by state, reads by isolation.
Long runs are aggregated: record traffic becomes a density band per lane, barriers stay.

Every plot function takes ``ax=None``, imports matplotlib lazily, and returns what it drew
(a dict of artists by category) so tests can assert on artists instead of pixels.
"""
from __future__ import annotations

import re

__all__ = ["timing_diagram", "save_diagram", "CHECKPOINT_COLORS"]

CHECKPOINT_COLORS = ["#1f77b4", "#9467bd", "#2ca02c", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]
TXN_COLORS = {"open": "#9ecae1", "precommitted": "#fdd49e", "committed": "#74c476", "aborted": "#fb6a4a"}
RECORD, REPLAY, CRASH = "#b0b0b0", "#ff7f0e", "#d62728"
_TASK = re.compile(r"^(?P<op>.+)\[(?P<i>[0-9]+)\]$")


def cp_color(cid: int) -> str:
    return CHECKPOINT_COLORS[(cid - 1) % len(CHECKPOINT_COLORS)]


def _lanes(events) -> dict[str, float]:
    """Lane name -> y (top to bottom): JobManager, input topics, subtasks, output topics, readers."""
    start = next((e for e in events if e["kind"] == "run_start"), {})
    # run_start lists the tasks as {name, operators, subtask, parallelism} (older traces: names)
    tasks = [t["name"] if isinstance(t, dict) else t for t in start.get("tasks") or []] or \
        list(dict.fromkeys(e["task"] for e in events if _TASK.match(e.get("task") or "")))
    topics = start.get("topics") or {"input": [], "output": []}
    readers = [c["name"] for c in start.get("consumers", []) if not c["name"].startswith("_")]
    names = ["JobManager"] + [f"Kafka {t}" for t in topics["input"]] + tasks + \
        [f"Kafka {t}" for t in topics["output"]] + [f"reader {r}" for r in readers]
    return {name: -i for i, name in enumerate(names)}


def _window(events, window):
    lo, hi = window if window else (None, None)
    if lo is None and hi is None:
        return events
    lo = float("-inf") if lo is None else lo
    hi = float("inf") if hi is None else hi
    return [e for e in events if e["kind"] in ("run_start", "summary") or lo <= e["t"] <= hi]


def _unit(t_end: float) -> tuple[float, str]:
    return (1000.0, "s") if t_end > 5000 else (1.0, "ms")


def timing_diagram(trace, ax=None, window=None, aggregate: bool | None = None, annotate: bool | None = None,
                   title: str | None = None) -> dict:
    """Draw the space-time diagram of a job trace; returns ``{category: [artists]}``."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    events = _window(list(trace), window)
    lanes = _lanes(events)
    if ax is None:
        _, ax = plt.subplots(figsize=(13, 0.45 * len(lanes) + 1.8))
    t_end = max((e["t"] for e in events if e["kind"] != "summary"), default=1.0) or 1.0
    scale, unit = _unit(t_end)
    records = [e for e in events if e["kind"] == "record_send"]
    if aggregate is None:
        aggregate = len(records) > 400
    if annotate is None:
        annotate = len(records) <= 60
    drawn: dict[str, list] = {k: [] for k in ("lanes", "records", "barriers", "alignment", "snapshots",
                                              "checkpoints", "crashes", "downtime", "transactions", "reads",
                                              "buffered", "persisted", "restores", "density", "triggers")}
    for name, y in lanes.items():
        drawn["lanes"].append(ax.axhline(y, color="#e6e6e6", lw=0.8, zorder=0))
    ax.set_yticks(list(lanes.values()), list(lanes.keys()), fontsize=8)

    def y_of(task):
        return lanes.get(task)

    def x(t):
        return t / scale

    replay = _replay_windows(events)
    _downtime(ax, events, lanes, x, drawn)
    if aggregate:
        _density(ax, events, lanes, x, t_end, drawn)
    else:
        for e in records:
            y0, y1 = y_of(e["task"]), y_of(e["to"])
            if y0 is None or y1 is None:
                continue
            color = REPLAY if any(a <= e["t"] <= b for a, b in replay) else RECORD
            drawn["records"].append(ax.annotate("", xy=(x(e["arrive"]), y1), xytext=(x(e["t"]), y0),
                                                arrowprops=dict(arrowstyle="-|>", color=color, lw=0.7,
                                                                shrinkA=0, shrinkB=0), zorder=2))
            if annotate and e["values"]:
                ax.text(x(e["t"]), y0 + 0.12, _short(e["values"]), fontsize=6, color="#555", zorder=3)
        for e in events:
            if e["kind"] == "source_read" and y_of(e["task"]) is not None and e.get("origins"):
                yt = lanes.get(f"Kafka {e['origins'][0][0]}")
                if yt is not None:
                    color = REPLAY if any(a <= e["t"] <= b for a, b in replay) else RECORD
                    drawn["records"].append(ax.annotate("", xy=(x(e["t"]), y_of(e["task"])), xytext=(x(e["t"]), yt),
                                                        arrowprops=dict(arrowstyle="-|>", color=color, lw=0.6,
                                                                        shrinkA=0, shrinkB=0), zorder=2))
                    if annotate:
                        ax.text(x(e["t"]), yt + 0.12, ",".join(f"@{o[2]}" for o in e["origins"][:3]), fontsize=6,
                                color="#555")
            if e["kind"] == "kafka_append" and y_of(e["task"]) is not None:
                yt = lanes.get(f"Kafka {e['topic']}")
                if yt is not None:
                    drawn["records"].append(ax.annotate("", xy=(x(e["t"]), yt), xytext=(x(e["t"]), y_of(e["task"])),
                                                        arrowprops=dict(arrowstyle="-|>", color=RECORD, lw=0.6,
                                                                        shrinkA=0, shrinkB=0), zorder=2))
    _barriers(ax, events, lanes, x, drawn)
    _alignment(ax, events, lanes, x, drawn)
    _snapshots(ax, events, lanes, x, drawn, annotate)
    _transactions(ax, events, lanes, x, drawn, annotate)
    _reads(ax, events, lanes, x, drawn, annotate, aggregate, t_end)
    _faults(ax, events, lanes, x, drawn)
    ax.set_xlabel(f"simulated time ({unit})")
    ax.set_xlim(x(window[0]) if window and window[0] is not None else 0,
                x(window[1]) if window and window[1] is not None else x(t_end) * 1.02)
    ax.set_ylim(min(lanes.values()) - 0.7, 0.7)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    start = next((e for e in events if e["kind"] == "run_start"), {})
    ax.set_title(title or start.get("scenario", ""), loc="left", fontsize=11, fontweight="bold")
    cps = sorted({e["checkpoint"] for e in events if e["kind"] == "checkpoint_trigger"})
    handles = [Line2D([], [], color=RECORD, lw=1, label="record"), Line2D([], [], color=REPLAY, lw=1, label="replayed")]
    handles += [Line2D([], [], color=cp_color(c), lw=2.5, label=f"barrier {c}") for c in cps[:6]]
    handles += [Patch(color=TXN_COLORS[s], label=f"txn {s}") for s in ("open", "precommitted", "committed", "aborted")]
    handles += [Line2D([], [], color=CRASH, marker="X", lw=0, label="crash"),
                Patch(color=CRASH, alpha=0.12, label="task down (failover)")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    return drawn


def _short(values) -> str:
    text = ",".join(str(v if not isinstance(v, list) else tuple(v)) for v in values[:2])
    return text if len(values) <= 2 else text + "…"


def _replay_windows(events) -> list[tuple[float, float]]:
    """(start, end) after each restart while sources re-read offsets they had read before."""
    out, high = [], {}
    restart = None
    for e in events:
        if e["kind"] == "source_read":
            for origin in e.get("origins", []):
                key, offset = (origin[0], origin[1]), origin[2]
                if restart is None:
                    high[key] = max(high.get(key, -1), offset)
                elif offset > high.get(key, -1):
                    out.append((restart, e["t"]))
                    restart = None
                    high[key] = offset
        elif e["kind"] == "job_restart":
            restart = e["t"]
    if restart is not None:
        out.append((restart, float("inf")))
    return out


def _barriers(ax, events, lanes, x, drawn) -> None:
    for e in events:
        if e["kind"] == "checkpoint_trigger":
            drawn["triggers"].append(ax.plot([x(e["t"])], [lanes["JobManager"]], marker="v", color=cp_color(e["checkpoint"]),
                                             ms=7, zorder=4)[0])
            ax.text(x(e["t"]), lanes["JobManager"] + 0.2, f"trigger {e['checkpoint']}", fontsize=7,
                    color=cp_color(e["checkpoint"]), ha="center")
        elif e["kind"] == "barrier_send":
            y0, y1 = lanes.get(e["task"]), lanes.get(e["to"])
            if y0 is None or y1 is None:
                continue
            style = "-|>" if not e.get("unaligned") else "-|>,head_width=0.4"
            drawn["barriers"].append(ax.annotate(
                "", xy=(x(e.get("arrive", e["t"])), y1), xytext=(x(e["t"]), y0), zorder=5,
                arrowprops=dict(arrowstyle=style, color=cp_color(e["checkpoint"]), lw=2.2, shrinkA=0, shrinkB=0,
                                linestyle="--" if e.get("unaligned") else "-")))
        elif e["kind"] == "checkpoint_complete":
            drawn["checkpoints"].append(ax.axvline(x(e["t"]), color=cp_color(e["checkpoint"]), lw=1, ls=":", zorder=1))
            ax.text(x(e["t"]), lanes["JobManager"] - 0.4, f" ✓{e['checkpoint']}", fontsize=7,
                    color=cp_color(e["checkpoint"]), ha="left", fontweight="bold")
        elif e["kind"] == "checkpoint_abort" and e.get("task") == "jobmanager":
            drawn["checkpoints"].append(ax.plot([x(e["t"])], [lanes["JobManager"]], marker="x", color=CRASH, ms=6)[0])
            ax.text(x(e["t"]), lanes["JobManager"] - 0.35, f"{e['checkpoint']} {e['reason']}", fontsize=6,
                    color=CRASH, ha="center")


def _alignment(ax, events, lanes, x, drawn) -> None:
    open_spans: dict[tuple, tuple] = {}
    for e in events:
        key = (e.get("task"), e.get("checkpoint"))
        if e["kind"] == "alignment_start":
            open_spans[key] = (e["t"], e["channel"])
        elif e["kind"] == "alignment_end" and key not in open_spans and e.get("task") in lanes and \
                e.get("inputs", 1) > 1:
            _aligned_at_once(ax, x(e["t"]), lanes[e["task"]], key[1], drawn)
        elif e["kind"] in ("alignment_end", "checkpoint_abort") and key in open_spans:
            t0, channel = open_spans.pop(key)
            y = lanes.get(e["task"])
            if y is None:
                continue
            if e["t"] - t0 < 1e-6:
                _aligned_at_once(ax, x(e["t"]), y, key[1], drawn)
                continue
            drawn["alignment"].append(ax.fill_between([x(t0), x(e["t"])], y - 0.28, y + 0.28, color=cp_color(key[1]),
                                                      alpha=0.18, lw=0, zorder=1))
            ax.text(x(t0), y - 0.42, f"aligning {key[1]}: {channel[:channel.index(']') + 1]} blocked", fontsize=6,
                    color=cp_color(key[1]))
        elif e["kind"] in ("record_buffered", "buffer_persisted") and lanes.get(e["task"]) is not None:
            marker, cat = ("s", "buffered") if e["kind"] == "record_buffered" else ("D", "persisted")
            drawn[cat].append(ax.plot([x(e["t"])], [lanes[e["task"]] + 0.18], marker=marker, ms=4,
                                      color=cp_color(e["checkpoint"]), zorder=6, lw=0)[0])


def _aligned_at_once(ax, xt: float, y: float, cid: int, drawn) -> None:
    """Every input's barrier came at the same instant: alignment took no time."""
    drawn["alignment"].append(ax.plot([xt], [y], marker="|", ms=14, mew=2, color=cp_color(cid), zorder=6)[0])
    ax.text(xt, y - 0.42, f"aligned {cid}", fontsize=6, color=cp_color(cid))


def _snapshots(ax, events, lanes, x, drawn, annotate: bool) -> None:
    sync: dict[tuple, tuple] = {}
    for e in events:
        key = (e.get("task"), e.get("checkpoint"))
        y = lanes.get(e.get("task"))
        if y is None:
            continue
        if e["kind"] == "snapshot_sync_start":
            sync[key] = (e["t"], e.get("state"))
        elif e["kind"] == "snapshot_sync_end" and key in sync:
            t0, state = sync[key]
            c = cp_color(key[1])
            drawn["snapshots"].append(ax.plot([x(t0), x(max(e["t"], t0))], [y, y], color=c, lw=6, solid_capstyle="butt",
                                              zorder=6)[0])
            drawn["snapshots"].append(ax.plot([x(t0)], [y], marker="o", ms=5, color=c, zorder=7)[0])
            if annotate and state not in (None, {}, []):
                ax.text(x(t0), y + 0.22, _state_text(state), fontsize=6, color=c, zorder=7)
            sync[key] = (e["t"], None)
        elif e["kind"] == "snapshot_async_end" and key in sync:
            t0, _ = sync.pop(key)
            drawn["snapshots"].append(ax.fill_between([x(t0), x(e["t"])], y - 0.07, y + 0.07, facecolor="none",
                                                      edgecolor=cp_color(key[1]), hatch="////", lw=0.5, zorder=5))


def _state_text(state) -> str:
    if isinstance(state, dict):
        return "{" + ", ".join(f"{k}:{v}" if not isinstance(v, list) else f"{k}:{','.join(map(str, v))}"
                               for k, v in list(state.items())[:4]) + ("…}" if len(state) > 4 else "}")
    return str(state)


def _transactions(ax, events, lanes, x, drawn, annotate: bool) -> None:
    txns: dict[str, dict] = {}
    for e in events:
        kind = e["kind"]
        if kind == "txn_begin":
            txns[e["txn"]] = {"task": e["task"], "t0": e["t"], "pre": None, "end": None, "state": "open"}
        elif e.get("txn") in txns:
            t = txns[e["txn"]]
            if kind == "txn_precommit":
                t["pre"] = e["t"]
            elif kind == "txn_commit":
                t["end"], t["state"] = e["t"], "committed"
            elif kind in ("txn_abort", "txn_timeout") and t["end"] is None:
                t["end"], t["state"] = e["t"], "aborted"
    t_max = max((e["t"] for e in events if e["kind"] != "summary"), default=0.0)
    for name, t in txns.items():
        y = lanes.get(t["task"])
        if y is None:
            continue
        end = t["end"] if t["end"] is not None else t_max
        segments = [(t["t0"], t["pre"] or end, "open")]
        if t["pre"] is not None:
            segments.append((t["pre"], end, "precommitted"))
        for a, b, state in segments:
            color = TXN_COLORS["aborted" if t["state"] == "aborted" and state == segments[-1][2] else state]
            drawn["transactions"].append(ax.fill_between([x(a), x(b)], y - 0.36, y - 0.24, color=color, lw=0, zorder=3))
        if t["state"] == "committed":
            drawn["transactions"].append(ax.plot([x(end)], [y - 0.3], marker="|", ms=9, color="#238b45", zorder=4)[0])
        if annotate:
            ax.text(x(t["t0"]), y - 0.5, f"T{name.split('#')[-1]}", fontsize=6, color="#666")


def _reads(ax, events, lanes, x, drawn, annotate: bool, aggregate: bool = False, t_end: float = 1.0) -> None:
    if aggregate:                                # reads per time bin, as a band on each reader's lane
        bins, width = 200, t_end / 200
        counts: dict[float, list[int]] = {}
        for e in events:
            if e["kind"] == "consumer_read" and (y := lanes.get(f"reader {e['consumer']}")) is not None:
                counts.setdefault(y, [0] * (bins + 1))[min(int(e["t"] / width), bins)] += 1
        peak = max((max(r) for r in counts.values()), default=1) or 1
        for y, row in counts.items():
            hs = [0.35 * c / peak for c in row]
            drawn["reads"].append(ax.fill_between([x(i * width) for i in range(bins + 1)], [y - h for h in hs],
                                                  [y + h for h in hs], step="mid", color="#238b45", alpha=0.6, lw=0))
        return
    last: dict[float, tuple] = {}                # lane -> (x of the last label, its stack level)
    span = max((e["t"] for e in events if e["kind"] != "summary"), default=1.0) or 1.0
    for e in events:
        if e["kind"] != "consumer_read":
            continue
        y = lanes.get(f"reader {e['consumer']}")
        if y is None:
            continue
        committed = e["isolation"] == "read_committed"
        drawn["reads"].append(ax.plot([x(e["t"])], [y], marker="o" if committed else "s", ms=4, lw=0,
                                      color="#238b45" if committed else "#737373", zorder=4)[0])
        if annotate:
            prev = last.get(y)
            k = prev[1] + 1 if prev is not None and e["t"] - prev[0] < 0.04 * span else 0   # close: stack
            last[y] = (e["t"] if k == 0 else prev[0], k)
            ax.text(x(e["t"]), y - 0.28 - 0.17 * k, str(e["value"]), fontsize=6, color="#444", ha="left")


def _downtime(ax, events, lanes, x, drawn) -> None:
    """Shade each restarted task's lane from its failover to its restart (a region, or every task)."""
    tasks = [name for name in lanes if _TASK.match(name)]
    if not tasks:
        return
    t_max = max((e["t"] for e in events if e["kind"] != "summary"), default=0.0)
    down: dict[str, float] = {}

    def shade(names, until):
        for name in names:
            if name in down and name in lanes:
                y = lanes[name]
                drawn["downtime"].append(ax.fill_between([x(down[name]), x(until)], y - 0.5, y + 0.5,
                                                         color=CRASH, alpha=0.08, lw=0, zorder=0))
            down.pop(name, None)

    for e in events:
        if e["kind"] == "job_failing":
            for name in e.get("restarted") or tasks:
                down.setdefault(name, e["t"])
        elif e["kind"] == "job_restart":
            shade(e.get("tasks") or list(down), e["t"])
        elif e["kind"] == "job_failed":
            shade(list(down), e["t"])
    shade(list(down), t_max)


def _faults(ax, events, lanes, x, drawn) -> None:
    for e in events:
        y = lanes.get(e.get("task"))
        if e["kind"] == "task_crash" and y is not None:
            drawn["crashes"].append(ax.plot([x(e["t"])], [y], marker="X", ms=12, color=CRASH, zorder=9, lw=0)[0])
            ax.text(x(e["t"]), y + 0.25, "crash", fontsize=7, color=CRASH, fontweight="bold", ha="center")
        elif e["kind"] == "state_restore" and y is not None:
            drawn["restores"].append(ax.plot([x(e["t"])], [y], marker=">", ms=6, color="#2ca02c", zorder=8, lw=0)[0])
        elif e["kind"] == "job_restart":
            ax.text(x(e["t"]), lanes["JobManager"] + 0.2, f"restart from {e['checkpoint'] or 'no checkpoint'}",
                    fontsize=7, color="#2ca02c", ha="left")


def _density(ax, events, lanes, x, t_end, drawn, bins: int = 200) -> None:
    """Aggregated record traffic: processed records per time bin, as a band on each lane."""
    width = t_end / bins
    counts: dict[str, list[int]] = {}
    for e in events:
        if e["kind"] == "record_process" and e.get("task") in lanes:
            row = counts.setdefault(e["task"], [0] * (bins + 1))
            row[min(int(e["t"] / width), bins)] += e.get("n", 1)
    peak = max((max(r) for r in counts.values()), default=1) or 1
    for task, row in counts.items():
        y = lanes[task]
        xs = [x(i * width) for i in range(bins + 1)]
        hs = [0.35 * c / peak for c in row]
        drawn["density"].append(ax.fill_between(xs, [y - h for h in hs], [y + h for h in hs], step="mid",
                                                color=RECORD, alpha=0.7, lw=0, zorder=1))


def save_diagram(trace, path, kind: str = "auto", window=None) -> None:
    """Draw the trace's natural diagram (or ``kind``) and save it as PNG/SVG/PDF."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from .diagram_other import checkpoint_chart, cl_diagram, gate_diagram

    kinds = {e["kind"] for e in trace}
    if kind == "auto":
        kind = "gate" if "gate_item" in kinds else "chandy_lamport" if "cl_record" in kinds or "cl_send" in kinds \
            else "timing"
    if kind == "gate":
        drawn = gate_diagram(trace)
    elif kind == "chandy_lamport":
        drawn = cl_diagram(trace, window=window)
    elif kind == "checkpoints":
        drawn = checkpoint_chart(trace)
    else:
        drawn = timing_diagram(trace, window=window)
    fig = _figure_of(drawn)
    fig.tight_layout()
    # no timestamps in the files: the same trace gives the same picture, byte for byte
    metadata = {"Date": None} if str(path).lower().endswith((".svg", ".pdf")) else None
    with matplotlib.rc_context({"svg.hashsalt": "snapsim"}):
        fig.savefig(path, dpi=150, metadata=metadata)
    plt.close(fig)


def _figure_of(drawn: dict):
    for artists in drawn.values():
        for artist in artists:
            fig = getattr(artist, "figure", None)
            if fig is not None:
                return fig
    import matplotlib.pyplot as plt
    return plt.gcf()
