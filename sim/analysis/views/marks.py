"""Timing-diagram parts for the snapshot protocol: barriers, the JobManager's checkpoint events,
acknowledgements and completion notices, alignment (blocked channels, buffered and persisted data)
and the snapshots themselves.

With ``detail`` each barrier is its own arrow with a hover title; without it (aggregated runs)
barriers of one checkpoint are one line collection, so thousands of checkpoints stay cheap.
"""
from __future__ import annotations

from ..describe import STATE_LIMIT, state_text, value_text
from .canvas import Canvas
from .labels import ABOVE, BELOW
from .style import CHECKPOINT_COLORS, CRASH, cp_color, tip

__all__ = ["barriers", "waiting", "checkpoints", "alignment", "snapshots", "labels_states"]


def barriers(c: Canvas, events, detail: bool) -> None:
    """One arrow per barrier sent (sender's lane at send time -> receiver's lane at arrival)."""
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    groups: dict[tuple, list] = {}
    # colours repeat after six checkpoints: then one legend entry stands for all of them
    many = len({e["checkpoint"] for e in events}) > len(CHECKPOINT_COLORS)
    for e in events:
        if e["kind"] != "barrier_send":
            continue
        y0, y1 = c.y(e["task"]), c.y(e["to"])
        if y0 is None or y1 is None:
            continue
        cid, unaligned = e["checkpoint"], bool(e.get("unaligned"))
        color, ls = cp_color(cid), "--" if unaligned else "-"
        c.key(("barriers (colour per checkpoint)" if many else f"barrier {cid}") + (" (unaligned)" if unaligned else ""),
              Line2D([], [], color="#555" if many else color, lw=c.style.line, ls=ls))
        start, end = (c.x(e["t"]), y0), (c.x(e.get("arrive", e["t"])), y1)
        if detail:
            arrow = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9 + 2 * c.style.line, color=color,
                                    lw=c.style.line, ls=ls, shrinkA=0, shrinkB=0, zorder=5)
            c.ax.add_patch(arrow)
            overtook = f", overtook {e['overtook']} queued record(s) in the sender (aligned_timeout)" \
                if e.get("overtook") else ""
            tip(arrow, f"barrier-{cid}-{e['channel']}", f"barrier {cid}{' (unaligned)' if unaligned else ''}: "
                f"{e['task']} -> {e['to']}, sent {c.ms(e['t'])}, arrives {c.ms(e.get('arrive', e['t']))}{overtook}")
            c.add("barriers", arrow)
        else:
            groups.setdefault((cid, ls), []).append([start, end])
    for (cid, ls), segments in groups.items():
        lines = LineCollection(segments, colors=cp_color(cid), linewidths=c.style.line, linestyles=ls, zorder=5)
        c.ax.add_collection(lines)
        c.add("barriers", tip(lines, f"barriers-{cid}", f"barriers of checkpoint {cid} ({len(segments)} channels)"))


def waiting(c: Canvas, barrier_events, snapshot_spans, alignment_spans) -> None:
    """A dotted line along a task's lane from its barrier's arrival to its snapshot, where the barrier
    waited in the input queue behind records (a task that aligns shows its wait as the alignment band)."""
    from matplotlib.lines import Line2D

    arrived: dict[tuple, float] = {}
    for e in barrier_events:
        if e["kind"] == "barrier_send" and not e.get("unaligned"):
            key = (e["to"], e["checkpoint"])
            arrived[key] = min(arrived.get(key, e.get("arrive", e["t"])), e.get("arrive", e["t"]))
    aligning = {(e.get("task"), e.get("checkpoint")) for e in alignment_spans if e["kind"] == "alignment_start"}
    for e in snapshot_spans:
        key = (e.get("task"), e.get("checkpoint"))
        if e["kind"] != "snapshot_sync_start" or key not in arrived or key in aligning or c.y(key[0]) is None:
            continue
        span = c.clip(arrived[key], e["t"])
        if span is None or c.x(span[1]) - c.x(span[0]) < c.visible * 3:
            continue
        y, cid = c.y(key[0]), key[1]
        line = c.ax.plot([c.x(span[0]), c.x(span[1])], [y + 0.06, y + 0.06], color=cp_color(cid), lw=c.style.line * 0.8,
                         ls=(0, (1, 1.5)), zorder=4)[0]
        c.add("waiting", tip(line, f"wait-{cid}-{key[0]}", f"barrier {cid} waited in {key[0]}'s input queue behind "
                             f"records from {c.ms(arrived[key])} to {c.ms(e['t'])}"))
        c.key("barrier queued behind records", Line2D([], [], color="#555", lw=c.style.line * 0.8, ls=(0, (1, 1.5))))


def checkpoints(c: Canvas, events, detail: bool) -> None:
    """Triggers on the JobManager lane, completion rules, aborts, acks (task -> JM) and notices (JM -> task)."""
    from matplotlib.lines import Line2D

    jm, st = c.y("JobManager"), c.style
    acks: dict[tuple, list] = {}
    for e in events:
        kind, cid = e["kind"], e.get("checkpoint")
        if kind == "checkpoint_trigger":
            # a star, not a triangle: the triangles are the acks and completion notices of the tasks
            _point(c, "triggers", e["t"], jm, "*", cp_color(cid), f"trigger-{cid}", f"checkpoint {cid} triggered")
            # NOTE: beside the star, not centred on it: the checkpoint's own completion rule, a few ms
            # later, runs through the star and would push a centred label away (no room: its number)
            c.label(c.x(e["t"]), jm, f"trigger {cid}", tuple((st.marker * 0.4, dy) for _, dy in _jm_places(st, (1, -1, 2))),
                    2, short=f"{cid}", color=cp_color(cid))
            c.key("checkpoint triggered", Line2D([], [], color="#555", marker="*", lw=0, ms=st.marker * 1.3))
        elif kind == "checkpoint_complete":
            rule = c.ax.axvline(c.x(e["t"]), color=cp_color(cid), lw=1.2, ls=":", zorder=1)
            c.add("checkpoints", tip(rule, f"complete-{cid}", f"checkpoint {cid} completed at {c.ms(e['t'])}"))
            # NOTE: "✓3" where "✓3 complete" has no room by its rule: near it, short, beats a line lower
            c.label(c.x(e["t"]), jm, (f"✓{cid} complete", f"✓{cid}"),
                    tuple((2, dy) for _, dy in _jm_places(st, (-1, -2, -3, 1))), 1, color=cp_color(cid),
                    fontweight="bold")
            c.key("checkpoint completed", Line2D([], [], color="#555", lw=1.2, ls=":"))
        elif kind == "checkpoint_abort" and e.get("task") == "jobmanager":
            _point(c, "checkpoints", e["t"], jm, "x", CRASH, f"abort-{cid}", f"checkpoint {cid} aborted: {e['reason']}")
            c.label(c.x(e["t"]), jm, f"{cid} aborted: {e['reason']}", BELOW, 2, color=CRASH)
            c.key("checkpoint aborted", Line2D([], [], color=CRASH, marker="x", lw=0, ms=st.marker))
        elif kind in ("checkpoint_ack", "checkpoint_notify") and detail and c.y(e.get("task")) is not None:
            acks.setdefault((kind, cid), []).append(e)
    _acks(c, acks)


def _acks(c: Canvas, acks: dict) -> None:
    """The acks (hollow, above a task) and completion notices (filled, below) of each checkpoint, one
    artist per (kind, checkpoint)."""
    from matplotlib.lines import Line2D

    st = c.style
    for (kind, cid), group in acks.items():
        ack = kind == "checkpoint_ack"
        xs, ys = [c.x(e["t"]) for e in group], [c.y(e["task"]) + (0.3 if ack else -0.3) for e in group]
        line = c.ax.plot(xs, ys, ls="", marker="^" if ack else "v", ms=st.marker * 0.75, mfc="white" if ack else
                         cp_color(cid), mec=cp_color(cid), mew=1.2, zorder=7)[0]
        what = "acknowledged to the JobManager" if ack else "completion notice reached"
        c.add("acks" if ack else "notices", tip(line, f"{'ack' if ack else 'notify'}-{cid}",
                                                f"checkpoint {cid} {what}: " + ", ".join(e["task"] for e in group)))
        c.key("ack (task -> JobManager)" if ack else "completion notice (JM -> task)",
              Line2D([], [], ls="", marker="^" if ack else "v", mfc="white" if ack else "#555", mec="#555",
                     ms=st.marker * 0.75))


def _jm_places(st, rows) -> tuple:
    """Offsets (points) of a label on the JobManager lane, in rows above (1, 2, ...) or below (-1, ...)
    the lane: each row clear of the trigger stars (their half-size) and one line of text from the next."""
    star, line = st.marker * 1.3 / 2 + 1.5, st.label * 1.15
    # NOTE: a label's baseline sits a descent above its bottom (about a quarter of the size), its top
    # about three quarters of the size above it
    return tuple((0, star + st.label * 0.25 + (row - 1) * line) if row > 0 else
                 (0, -star - st.label * 0.75 + (row + 1) * line) for row in rows)


def _point(c: Canvas, category: str, t: float, y: float, marker: str, color: str, gid: str, title: str):
    size = c.style.marker * (1.3 if marker == "*" else 1.0)
    line = c.ax.plot([c.x(t)], [y], marker=marker, color=color, ms=size, lw=0, zorder=8)[0]
    return c.add(category, tip(line, gid, title))


def alignment(c: Canvas, spans, events, detail: bool) -> None:
    """Shaded alignment spans (only where a channel was really blocked), buffered and persisted data."""
    from matplotlib.lines import Line2D

    blocked = {(e["task"], e.get("checkpoint")) for e in spans if e["kind"] == "channel_block"}
    open_spans: dict[tuple, tuple] = {}
    for e in spans:
        key = (e.get("task"), e.get("checkpoint"))
        if e["kind"] == "alignment_start":
            open_spans[key] = (e["t"], e["channel"])
        elif e["kind"] in ("alignment_end", "checkpoint_abort") and key in open_spans:
            t0, channel = open_spans.pop(key)
            if key in blocked and c.y(key[0]) is not None:
                _aligning(c, key, t0, e["t"], channel)
    for key, (t0, channel) in open_spans.items():          # still aligning when the window ends
        if key in blocked and c.y(key[0]) is not None:
            _aligning(c, key, t0, c.hi, channel)
    for cat, kind, marker, name in (("buffered", "record_buffered", "s", "record stored during alignment"),
                                    ("persisted", "buffer_persisted", "D", "in-flight data persisted (unaligned)"),
                                    ("output_persisted", "output_persisted", "d",
                                     "sender's queued output overtaken (persisted)")):
        by_cid: dict[int, list] = {}
        for e in events:
            if e["kind"] == kind and c.y(e.get("task")) is not None:
                by_cid.setdefault(e["checkpoint"], []).append(e)
        for cid, mine in by_cid.items():
            line = c.ax.plot([c.x(e["t"]) for e in mine], [c.y(e["task"]) + 0.2 for e in mine], ls="", marker=marker,
                             ms=c.style.marker * 0.7, mfc="white", mec=cp_color(cid), mew=1.4, zorder=9)[0]
            values = [str(v) for e in mine for v in (e.get("values") or [])][:12]
            c.add(cat, tip(line, f"{cat}-{cid}", f"checkpoint {cid}: {name}: {len(mine)} buffer(s) " + " ".join(values)))
            if detail and cat != "buffered":            # which records the barrier overtook: one label a task
                _kept_labels(c, cid, mine)
            c.key(name, Line2D([], [], ls="", marker=marker, mfc="white", mec="#555", mew=1.4, ms=c.style.marker * 0.7))


def _kept_labels(c: Canvas, cid: int, persisted: list) -> None:
    """"kept (b,1) (e,1) (b,1) … (7 in all)": what a task persisted at one instant, one label beside its marks."""
    together: dict[tuple, list] = {}
    for e in persisted:
        together.setdefault((e["task"], e["t"]), []).extend(e.get("values") or [])
    for (task, t), values in together.items():
        if values:
            shown = " ".join(f"({value_text(v)})" if isinstance(v, (list, tuple)) else value_text(v)
                             for v in values[:3])
            more = f" … ({len(values)} in all)" if len(values) > 3 else ""
            wordings = (f"kept {shown}{more}", f"kept {len(values)}: {shown.split(' ')[0]} …") if more else (f"kept {shown}",)
            c.label(c.x(t), c.y(task) + 0.2, wordings, ((4, 4), (4, -12), (4, 14)), 4, color=cp_color(cid))


def _aligning(c: Canvas, key, t0: float, t1: float, channel: str) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    task, cid = key
    span, y = c.clip(t0, t1), c.y(task)
    if span is None:
        return
    a, b = span
    if b - a < 1e-9:                                         # aligned at once: every barrier came together
        mark = c.ax.plot([c.x(a)], [y], marker="|", ms=c.style.marker * 2, mew=2, color=cp_color(cid), zorder=6)[0]
        c.key("aligned at once", Line2D([], [], ls="", marker="|", mew=2, color="#555",
                                     ms=c.style.marker * 1.4))
    else:
        # NOTE: grey, outlined in the checkpoint's colour: a light tint of sky blue would read as "txn open"
        mark = c.ax.fill_between([c.x(a), c.x(b)], y - 0.3, y + 0.3, facecolor="#777", alpha=0.3,
                                 edgecolor=cp_color(cid), lw=1.2, zorder=1)
        c.key("alignment: input blocked", Patch(facecolor="#777", alpha=0.3, edgecolor="#333", lw=0.8))
        if not c.dense:
            c.label(c.x(a), y, f"{channel[:channel.index(']') + 1]} blocked", BELOW, 4, color=cp_color(cid))
    c.add("alignment", tip(mark, f"align-{cid}-{task}", f"{task} aligning checkpoint {cid} "
                           f"{c.ms(t0)}-{c.ms(t1)}: first barrier on {channel}; that input blocked"))


def snapshots(c: Canvas, spans, detail: bool, annotate: bool) -> None:
    """Sync phase a solid bar from its start (dot), async phase a hatched bar; the state it held."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    sync: dict[tuple, tuple] = {}
    labelled = labels_states(spans, c.lo, c.hi, annotate)
    for e in spans:
        key, y = (e.get("task"), e.get("checkpoint")), c.y(e.get("task"))
        if y is None:
            continue
        if e["kind"] == "snapshot_sync_start":
            sync[key] = (e["t"], e.get("state"))
        elif e["kind"] == "snapshot_sync_end" and key in sync:
            t0, state = sync[key]
            sync[key] = (e["t"], None)
            if not c.inside(t0) or not detail:
                continue
            color = cp_color(key[1])
            bar = c.ax.plot([c.x(t0), c.x(max(e["t"], t0))], [y, y], color=color, lw=6, solid_capstyle="butt", zorder=6)[0]
            dot = c.ax.plot([c.x(t0)], [y], marker="o", ms=c.style.marker * 0.8, color=color, zorder=7)[0]
            title = f"{key[0]} snapshot {key[1]} at {c.ms(t0)}" + (f": {state_text(state, STATE_LIMIT)}" if state else "")
            c.add("snapshots", tip(bar, f"snapshot-{key[1]}-{key[0]}", title))
            c.add("snapshots", tip(dot, f"snapshot-dot-{key[1]}-{key[0]}", title))
            c.key("snapshot (state copied)", Line2D([], [], color="#555", marker="o", lw=0, ms=c.style.marker * 0.8))
            if labelled and state not in (None, {}, []):
                c.label(c.x(t0), y, _state_wordings(state, c.style.name == "slide"), STATE_PLACES, 4, color=color,
                        linespacing=1.1)
        elif e["kind"] == "snapshot_async_end" and key in sync:
            t0, _ = sync.pop(key)
            span = c.clip(t0, e["t"])
            if span is None or not detail or c.x(span[1]) - c.x(span[0]) < c.visible:
                continue                                     # too short to see: neither drawn nor in the legend
            bar = c.ax.fill_between([c.x(span[0]), c.x(span[1])], y - 0.07, y + 0.07, facecolor="none",
                                    edgecolor=cp_color(key[1]), hatch="////", lw=0.5, zorder=5)
            c.add("snapshots", tip(bar, f"upload-{key[1]}-{key[0]}", f"{key[0]} uploads snapshot {key[1]} "
                                   f"(async) until {c.ms(e['t'])}"))
            c.labels.avoid_box(c.x(span[0]), c.x(span[1]), y - 0.07, y + 0.07)     # no "kept …" over the hatching
            c.key("snapshot upload (async)", Patch(facecolor="none", edgecolor="#555", hatch="////"))


def labels_states(spans, lo: float, hi: float, annotate: bool) -> bool:
    """Whether snapshot states are written: when values are (``annotate``), or the window holds at most
    16 snapshots (their states are the point of a short run)."""
    return annotate or sum(e["kind"] == "snapshot_sync_start" and lo <= e["t"] <= hi for e in spans) <= 16


def _state_wordings(state, narrow_first: bool) -> tuple[str, ...]:
    """A state label's wordings, tried in turn: one line; one operator of a chain per line; each entry
    on a line of its own. On a slide the narrowest comes first: the large text leaves little room
    between two checkpoints, and a wide label of the first would push out the second's."""
    # NOTE: the label layer keeps the first wording that finds a free place, and places labels one
    # after the other; so an early wide wording can leave no room for a later one
    text = dict.fromkeys((state_text(state), state_text(state, sep="\n"), state_text(state, sep="\n", wrap=True)))
    return tuple(reversed(text)) if narrow_first else tuple(text)


#: where a snapshot's state label may go: beside its dot, or right of the barrier's acks and notices
STATE_PLACES = ((3, 6), (3, -14), (3, 15), (24, 6), (24, -14), (48, 6), (48, -14), (72, 6))
