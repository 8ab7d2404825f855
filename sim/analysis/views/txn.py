"""Timing-diagram parts for the outside world: sink transactions (a bar per transaction whose colour
follows its phase, with the broker's timeout abort, fenced and discarded commits marked), the
readers, crashes, downtime and restores.
"""
from __future__ import annotations

from ..describe import STATE_LIMIT, state_text
from .canvas import TASK, Canvas
from .labels import BELOW
from .style import CRASH, RESTORE, TXN_COLORS, tip

__all__ = ["SPAN_KINDS", "TXN_KINDS", "transactions", "txn_phases", "reads", "faults", "downtime"]

#: the transaction kinds a bar is made of
TXN_KINDS = frozenset({"txn_begin", "txn_precommit", "txn_commit", "txn_abort", "txn_timeout", "producer_fenced",
                       "txn_warning"})

#: kinds whose meaning lasts (spans): a window reads them from before its start to draw them clipped
SPAN_KINDS = TXN_KINDS | frozenset({
    "alignment_start", "alignment_end", "checkpoint_abort", "channel_block", "channel_unblock",
    "snapshot_sync_start", "snapshot_sync_end", "snapshot_async_end", "job_failing", "job_restart", "job_failed",
    "source_read"})

PHASE_NAMES = {"open": "open", "precommitted": "pre-committed",
               "committed": "committed", "aborted": "aborted"}


def txn_phases(events, t_end: float) -> dict[str, dict]:
    """txn -> {task, phases: [(t0, t1, phase)], marks: [(t, what, text)]} from the transaction events.

    A transaction is open from its begin, pre-committed from its pre-commit, and ends committed or
    aborted. A broker timeout aborts it while the sink still holds it as pending: the bar turns
    aborted then, and stays so until the sink's commit is refused (fenced, or discarded on restore).
    """
    txns: dict[str, dict] = {}
    for e in events:
        if e["kind"] == "txn_begin":
            # NOTE: an input producer's transaction (``transaction:`` input) has no task: no lane draws it
            txns[e["txn"]] = {"task": e.get("task"), "phases": [[e["t"], None, "open"]], "marks": [], "done": False,
                              "row": sum(t["task"] == e.get("task") for t in txns.values()) % 2}
        elif (t := txns.get(e.get("txn"))) is not None and not t["done"]:
            _step(t, e)
    for t in txns.values():
        if t["phases"][-1][1] is None:
            t["phases"][-1][1] = t_end
    return txns


def _step(t: dict, e) -> None:
    """One transaction event: close the current phase, open the next, or mark what happened."""
    kind, now, last = e["kind"], e["t"], t["phases"][-1]
    if kind == "txn_precommit" and last[2] == "open":
        last[1] = now
        t["phases"].append([now, None, "precommitted"])
    elif kind == "txn_commit":
        last[1], t["done"] = now, True
        t["marks"].append((now, "committed", f"committed ({e.get('cause', '')})"))
    elif kind == "txn_abort":
        last[1], t["done"] = now, True
        t["marks"].append((now, "sink_abort", f"aborted: {e.get('cause') or 'by the sink'}"))
    elif kind == "txn_timeout" and last[2] != "aborted":
        last[1] = now
        t["phases"].append([now, None, "aborted"])
        t["marks"].append((now, "timeout", f"broker aborted it: older than its timeout "
                                           f"({e.get('age', 0):.0f} > {e.get('timeout', 0):.0f} ms)"))
    elif kind == "producer_fenced":
        last[1], t["done"] = now, True
        what = "discarded" if e.get("recovering") else "fenced"
        t["marks"].append((now, what, ("commit discarded on restore: " if what == "discarded" else
                                       "commit failed, producer fenced: ") + str(e.get("error", ""))))
    elif kind == "txn_warning":
        t["marks"].append((now, "warning", f"warning: {e.get('age', 0):.0f} ms old, timeout "
                                           f"{e.get('timeout', 0):.0f} ms"))


#: mark -> (marker, face colour, legend text)
MARKS = {"committed": ("o", TXN_COLORS["committed"], "commit"),
         "sink_abort": ("X", TXN_COLORS["aborted"], "aborted by the sink"),
         "timeout": ("P", TXN_COLORS["aborted"], "broker aborts: timed out"),
         "fenced": ("s", "black", "commit failed: producer fenced"),
         "discarded": ("s", "white", "commit discarded (data lost)"),
         "warning": ("^", TXN_COLORS["precommitted"], "sink's warning at commit: near its timeout")}


def transactions(c: Canvas, spans, t_end: float, detail: bool) -> None:
    """One bar under the sink's lane per transaction, coloured by phase over time, with its end marked."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    used, lane_bars = set(), {}
    txns = txn_phases(spans, min(t_end, c.hi))
    # NOTE: half an end mark's width in x units, the axes taken as about 80 % of the figure's width
    half_mark = (c.x(c.hi) - c.x(c.lo)) * c.style.marker / 72 / (0.8 * c.style.width) / 2
    # NOTE: a long run is aggregated because of its records; a few transactions still get their names
    # and end marks, so that one can tell which committed and which was aborted
    detail = detail or len(txns) <= 30
    for name, t in txns.items():
        y = c.y(t["task"])
        if y is None:
            continue
        y -= 0.13 * t["row"]                     # alternate rows: overlapping transactions stay apart
        pieces = [(a, b, ph) for a0, b0, ph in t["phases"] if (ab := c.clip(a0, b0)) for a, b in [ab]]
        if pieces and c.x(pieces[-1][1]) - c.x(pieces[0][0]) < c.visible:     # begun at the very end: still show it
            a, b, ph = pieces[-1]
            pieces[-1] = (a, a + c.visible * c.scale, ph)
        # a phase too short to see (pre-committed for 0.1 ms), or hidden under the mark that ends the
        # transaction (its last piece loses half a mark's width), is not claimed by the legend
        cut = [half_mark if i == len(pieces) - 1 and t["done"] else 0.0 for i in range(len(pieces))]
        used.update(ph for (a, b, ph), hidden in zip(pieces, cut) if c.x(b) - c.x(a) - hidden >= c.visible)
        segs = [(c.x(a), max(c.x(b) - c.x(a), 0)) for a, b, _ in pieces]
        colors = [TXN_COLORS[ph] for _, _, ph in pieces]
        if detail and segs:
            bar = c.ax.broken_barh(segs, (y - 0.35, 0.09), facecolors=colors, edgecolor="#666", lw=0.4, zorder=3)
            c.labels.avoid((segs[0][0], segs[-1][0] + segs[-1][1]), (y - 0.305, y - 0.305), 5, joined=True)
            label = f"T{name.split('#')[-1]}"
            c.add("transactions", tip(bar, f"txn-{name}", f"{name}: " + "; ".join(
                f"{PHASE_NAMES[ph]} {c.ms(a)}-{c.ms(b)}" for a, b, ph in pieces)))
            # NOTE: never mirrored: left of its bar's start, "T3" would sit under the previous transaction
            c.label(c.x(pieces[0][0]), y - 0.36, label, ((2, -11), (2, -20), (-14, -4)), 3, color="#444",
                    mirror=False)
        else:
            row = lane_bars.setdefault(y, ([], []))     # one artist per row when aggregated
            row[0].extend(segs)
            row[1].extend(colors)
        used.update(_marks(c, name, t["marks"], y, detail))
    for y, (segs, colors) in lane_bars.items():
        c.add("transactions", c.ax.broken_barh(segs, (y - 0.35, 0.09), facecolors=colors, lw=0, zorder=3))
    for ph in ("open", "precommitted", "aborted"):
        if ph in used:
            c.key(f"txn {PHASE_NAMES[ph]}", Patch(facecolor=TXN_COLORS[ph], edgecolor="#666", lw=0.4))
    for what, (marker, face, text) in MARKS.items():
        if what in used:
            c.key(f"txn {text}", Line2D([], [], ls="", marker=marker, mfc=face, mec="#222", ms=c.style.marker))


def _marks(c: Canvas, name: str, marks, y: float, detail: bool) -> set[str]:
    """A transaction's end and events (commit, aborts, fenced, discarded, warning); returns the kinds drawn."""
    drawn = set()
    for when, what, text in marks:
        rare = what in ("timeout", "fenced", "discarded")
        if not c.inside(when) or not (detail or rare):             # at scale: only the rare ones
            continue
        marker, face, _ = MARKS[what]
        lift = 0.12 if what == "warning" else 0.0                  # above the bar: it often shares an instant
        mark = c.ax.plot([c.x(when)], [y - 0.305 + lift], marker=marker, ms=c.style.marker, mfc=face, mec="#222",
                         mew=0.8, lw=0, zorder=8)[0]
        c.add("txn_marks", tip(mark, f"txn-{what}-{name}", f"{name}: {text} at {c.ms(when)}"))
        drawn.add(what)
        if detail and rare:
            short = text.split(":")[0] + (f" (timeout {e_timeout} ms)" if (e_timeout := _timeout(text)) else "")
            c.label(c.x(when), y - 0.36, short, BELOW, 3, color=CRASH)
    return drawn


def _timeout(text: str) -> str | None:
    """The timeout written in a mark's text ("... (4000 > 3000 ms)" -> "3000"), if any."""
    import re

    found = re.search(r"> ([0-9]+) ms\)", text)
    return found.group(1) if found else None


def reads(c: Canvas, events, aggregate: bool, annotate: bool) -> None:
    """Each record a reader got, on its lane (read_committed dots, read_uncommitted squares), with its value."""
    from matplotlib.lines import Line2D

    if aggregate:                                             # drawn by the density bands
        return
    few = len({(e["consumer"], e["t"]) for e in events if e["kind"] == "consumer_read"}) <= 24
    for e in events:
        if e["kind"] != "consumer_read" or (y := c.y(f"reader {e['consumer']}")) is None:
            continue
        committed = e["isolation"] == "read_committed"
        dot = c.ax.plot([c.x(e["t"])], [y], marker="o" if committed else "s", ms=c.style.marker * 0.7, lw=0,
                        color=TXN_COLORS["committed"] if committed else "#666", zorder=4)[0]
        c.add("reads", tip(dot, f"read-{e['consumer']}-{e['partition']}-{e['offset']}",
                           f"{e['consumer']} ({e['isolation']}) read {e['value']} at {c.ms(e['t'])}"))
        c.key("read (read_committed)" if committed else "read (read_uncommitted)",
              Line2D([], [], ls="", marker="o" if committed else "s", color=TXN_COLORS["committed"] if committed
                     else "#666", ms=c.style.marker * 0.7))
        if annotate or few:                       # few read instants: their values, even where record values are not
            # one label for the records read at one instant (or nearly: they would overprint)
            c.label(c.x(e["t"]), y, str(e["value"]), ((3, -13), (3, 5)), 7, join=", ", color="#333")


def faults(c: Canvas, events) -> None:
    """Crashes (crosses), restores (triangles) and restarts (on the JobManager lane)."""
    from matplotlib.lines import Line2D

    _sources_restored(c, events)
    for e in events:
        y = c.y(e.get("task"))
        if e["kind"] == "task_crash" and y is not None:
            mark = c.ax.plot([c.x(e["t"])], [y], marker="X", ms=c.style.marker * 1.6, color=CRASH, mec="white",
                             lw=0, zorder=12)[0]
            c.add("crashes", tip(mark, f"crash-{e['task']}-{e['t']}", f"{e['task']} crashed: {e['reason']}"))
            c.label(c.x(e["t"]), y, "crash", ((0, 9), (0, 18), (6, -16)), 0, color=CRASH, fontweight="bold",
                         ha="center")
            c.key("crash", Line2D([], [], ls="", marker="X", color=CRASH, ms=c.style.marker))
        elif e["kind"] == "state_restore" and y is not None:
            mark = c.ax.plot([c.x(e["t"])], [y], marker=">", ms=c.style.marker * 0.9, color=RESTORE, lw=0, zorder=8)[0]
            state = state_text(e.get("state"), STATE_LIMIT)
            c.add("restores", tip(mark, f"restore-{e['task']}-{e['t']}",
                                  f"{e['task']} restored checkpoint {e['checkpoint']}: {state}"))
            c.key("state restored", Line2D([], [], ls="", marker=">", color=RESTORE, ms=c.style.marker * 0.9))
        elif e["kind"] == "inflight_restore" and y is not None:
            mark = c.ax.plot([c.x(e["t"])], [y + 0.2], marker="D", ms=c.style.marker * 0.7, color=RESTORE, lw=0,
                             zorder=9)[0]
            c.add("inflight", tip(mark, f"inflight-{e['task']}-{e['channel']}", f"{e['task']}: {e.get('n')} persisted "
                                  f"buffer(s) of checkpoint {e['checkpoint']} put back on {e['channel']}"))
            c.key("in-flight data restored", Line2D([], [], ls="", marker="D", color=RESTORE, ms=c.style.marker * 0.7))
        elif e["kind"] == "job_restart":
            # NOTE: placed after the triggers (same priority, drawn later): it can go left of its
            # instant, over the downtime, while a trigger's centred label has nowhere else to go
            c.label(c.x(e["t"]), c.y("JobManager"), f"restart from {e['checkpoint'] or 'no checkpoint'}",
                    ((2, 4), (2, -14), (2, 14)), 2, color=RESTORE, fontweight="bold")


def _sources_restored(c: Canvas, events) -> None:
    """▶ on each restarted task the trace gives no ``state_restore`` for (the sources): at a restart
    from checkpoint n every restarted task resumes from n, a source from its offsets in n."""
    from matplotlib.lines import Line2D

    restarts = [e for e in events if e["kind"] == "job_restart" and e.get("checkpoint") and c.inside(e["t"])]
    restored = {(e["task"], e["t"]) for e in events if e["kind"] == "state_restore"}
    tasks = [name for name in c.lanes if TASK.match(name)]
    for e in restarts:
        for task in e.get("tasks") or tasks:
            if (task, e["t"]) in restored or c.y(task) is None:
                continue
            mark = c.ax.plot([c.x(e["t"])], [c.y(task)], marker=">", ms=c.style.marker * 0.9, color=RESTORE, lw=0,
                             zorder=8)[0]
            c.add("restores", tip(mark, f"restore-{task}-{e['t']}", f"{task} restarted from checkpoint "
                                  f"{e['checkpoint']} (a source: from the offsets it stored)"))
            c.key("state restored", Line2D([], [], ls="", marker=">", color=RESTORE, ms=c.style.marker * 0.9))


def downtime(c: Canvas, spans, t_end: float) -> None:
    """Each restarted task's lane is shaded from its failover to its restart (a region, or every task)."""
    from matplotlib.patches import Patch

    tasks = [name for name in c.lanes if TASK.match(name)]
    down: dict[str, float] = {}

    def shade(names, until: float) -> None:
        for name in names:
            if name in down and (span := c.clip(down[name], until)) and (y := c.y(name)) is not None:
                band = c.ax.fill_between([c.x(span[0]), c.x(span[1])], y - 0.5, y + 0.5, color=CRASH, alpha=0.08,
                                         lw=0, zorder=0)
                c.add("downtime", tip(band, f"down-{name}-{down[name]}", f"{name} down {c.ms(down[name])}-"
                                      f"{c.ms(until)}: failed over, its in-flight data dropped"))
                c.key("task down (failover)", Patch(color=CRASH, alpha=0.15))
            down.pop(name, None)

    for e in spans:
        if e["kind"] == "job_failing":
            for name in e.get("restarted") or tasks:
                down.setdefault(name, e["t"])
        elif e["kind"] == "job_restart":
            shade(e.get("tasks") or list(down), e["t"])
        elif e["kind"] == "job_failed":
            shade(list(down), e["t"])
    shade(list(down), t_end)
