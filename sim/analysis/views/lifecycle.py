"""Timing-diagram part for what happens around the job: its lifecycle and the readers it stalls.

* Just above the JobManager lane: savepoints taken (a check mark with the savepoint's name), a job
  stopped with a savepoint finishing (a box; the request is the savepoint's checkpoint trigger),
  cancellation, and each new submission (what it restored from, at which parallelism, or why it
  could not). Between a stop/cancel and the next submission
  no job runs: the JobManager and task lanes are shaded.
* On a read_committed reader's lane: a hatched span while a never-committed transaction held the
  last stable offset of a partition it reads with records waiting behind it (from
  :func:`sim.analysis.lso.lso_holds`, the report's intervals that held something back), labelled with
  the transaction that held it.
* On the sink's transaction bar: a commit KafkaSink's committer discarded without failing over.

Everything is read from the trace, like every other part.
"""
from __future__ import annotations

import re

from ..lso import lso_holds
from .canvas import TASK, Canvas, task_names, window_end
from .labels import ABOVE, BELOW, INSIST
from .style import CRASH, OKABE_ITO, RESTORE, tip
from .txn import MARKS, TXN_KINDS, txn_phases

__all__ = ["LIFECYCLE_KINDS", "MARK_KINDS", "ROW", "ROOM", "GLYPHS", "lifecycle", "stalls", "discarded_commits", "job_marks", "submissions",
           "undeployed"]

#: the trace kinds this part reads (besides the transaction kinds and what lso_holds replays)
LIFECYCLE_KINDS = frozenset({"lifecycle", "savepoint_complete", "job_finished", "job_cancelled", "job_submit",
                             "commit_discarded"})

#: the lane of a subtask the running submission does not have
ABSENT = "#f4f4f4"
#: the kinds drawn in the lifecycle row (a trace with one of them gets the row's room)
MARK_KINDS = ("savepoint_complete", "job_finished", "job_cancelled", "job_submit")

#: mark -> (marker, colour, legend text)
GLYPHS = {"savepoint": (r"$\checkmark$", RESTORE, "savepoint completed"),
          "finished": ("s", "white", "job stopped with a savepoint: finished"),
          "cancel": ("8", CRASH, "job cancelled"),
          "submit": ("H", OKABE_ITO["blue"], "job submitted")}

#: the lifecycle row's height above the JobManager lane, and the room (lanes) it adds to the picture's top
ROW, ROOM = 0.65, 0.45

_READS = LIFECYCLE_KINDS | TXN_KINDS
_SOURCE_READER = re.compile(r"^operator '(?P<op>.+)' \(read_committed source\)$")


def lifecycle(c: Canvas, events: list, t_end: float) -> None:
    """Draw the lifecycle marks, the stalled readers and the discarded commits of ``events`` (the whole trace)."""
    mine = [e for e in events[:window_end(events, c.hi)] if e["kind"] in _READS]
    job_marks(c, mine, t_end)
    if any(e["kind"] == "job_submit" for e in mine):
        undeployed(c, events[:window_end(events, c.hi)], t_end)
    discarded_commits(c, mine, t_end)
    start = next((e for e in events[:1] if e["kind"] == "run_start"), {})
    committed = any(r.get("isolation") == "read_committed"
                    for r in (start.get("consumers") or []) + (start.get("connectors") or []))
    # NOTE: only a transaction that never committed holds a reader back; replaying every append
    # (lso_holds) is skipped when the transactions seen up to the window's end all committed
    begun = {e["txn"] for e in mine if e["kind"] == "txn_begin"}
    unfinished = begun - {e["txn"] for e in mine if e["kind"] == "txn_commit"}
    if (committed or not start) and unfinished:           # no read_committed reader: nothing can stall
        stalls(c, lso_holds(events), t_end)


def job_marks(c: Canvas, events: list, t_end: float) -> None:
    """Savepoints, stop, finish, cancel and submissions on the JobManager lane; no-job spans shaded."""
    y = c.y("JobManager")
    if y is None:
        return
    idle_since, stop = None, 0.0
    for e in events:
        kind, t = e["kind"], e["t"]
        if kind == "savepoint_complete":
            _mark(c, "savepoint", t, y, f"savepoint {e['savepoint']}", f"savepoint {e['savepoint']} completed "
                  f"(checkpoint {e['checkpoint']})", short=e["savepoint"])
        elif kind == "lifecycle" and e["action"] == "stop-with-savepoint":
            stop = t                              # drawn as the savepoint's checkpoint trigger
        elif kind == "job_finished":
            idle_since = t
            _mark(c, "finished", t, y, "", f"stop-with-savepoint requested at {c.ms(stop)}: the job finished "
                  f"after savepoint {e.get('savepoint')}")
        elif kind == "job_cancelled":
            idle_since = t
            still = ", ".join(e.get("open_transactions") or []) or "none"
            _mark(c, "cancel", t, y, "cancel", f"job cancelled; transactions left open: {still}")
        elif kind == "job_submit":
            if idle_since is not None:
                _idle(c, idle_since, t)
                idle_since = None
            _mark(c, "submit", t, y, _submitted(e), _submitted(e),
                  short=None if e.get("error") else f"p={e.get('parallelism')}")
    if idle_since is not None:
        _idle(c, idle_since, t_end)


def _submitted(e: dict) -> str:
    """``submit from sp1, p=4`` (or why the submission failed)."""
    if e.get("error"):
        return f"submit failed: {e['error']}"
    source = e.get("source") or "none"
    origin = "no state" if source == "none" else source if e.get("checkpoint") is None else \
        f"{source} (cp {e['checkpoint']})" if source == "latest_checkpoint" else source
    return f"submit from {origin}, p={e.get('parallelism')}"


def _mark(c: Canvas, what: str, t: float, y: float, text: str, title: str, short: str | None = None) -> None:
    """One lifecycle glyph at ``t`` on the JobManager lane, with its label (if any) and legend entry;
    on a slide, where the large text leaves little room, the label may be cut to ``short``."""
    from matplotlib.lines import Line2D

    if not c.inside(t):
        return
    marker, color, legend = GLYPHS[what]
    size = c.style.marker * (1.5 if what in ("savepoint", "finished") else 1.1)
    # NOTE: a row of its own above the JobManager lane, over the checkpoint triggers' labels; a stop's savepoint
    # and the job finishing share an instant: the tick is drawn into the (white) box, a ticked box
    edge = {"mec": "#222", "mew": 1.0} if what == "finished" else {}
    mark = c.ax.plot([c.x(t)], [y + ROW], marker=marker, ms=size, color=color, lw=0,
                     zorder=11 if what == "finished" else 12, **edge)[0]
    c.add("lifecycle", tip(mark, f"lifecycle-{what}-{t}", f"{title} at {c.ms(t)}"))
    if text:
        # NOTE: right of the mark's edge: beside it, a line higher (a savepoint's label and the next
        # submission's are often close), or lower (over the triggers' labels)
        dx = size / 2 + 2
        places = ((dx, 2), (dx, 2 + 1.4 * c.style.label), (dx, -10))
        slide = c.style.name == "slide"
        c.label(c.x(t), y + ROW, _wordings(text, slide), places, 0, short=short if slide else None, mirror=False,
                color=color if what != "savepoint" else "#222")
    c.key(legend, Line2D([], [], ls="", marker=marker, color=color, ms=size, **edge))


def _wordings(text: str, narrow_first: bool) -> tuple[str, ...]:
    """A lifecycle label on one line or on two (broken at the space nearest its middle); ``narrow_first``
    (a slide) the two lines first: its large text would leave the next mark's label no room."""
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if not spaces:
        return (text,)
    cut = min(spaces, key=lambda i: abs(len(text) - 2 * i))
    both = (text, text[:cut] + "\n" + text[cut + 1:])
    return both[::-1] if narrow_first else both


def _idle(c: Canvas, since: float, until: float) -> None:
    """No job runs from ``since`` to ``until``: shade the JobManager and task lanes."""
    from matplotlib.patches import Patch

    span = c.clip(since, until)
    if span is None:
        return
    for name, y in c.lanes.items():
        if name == "JobManager" or TASK.match(name):
            band = c.ax.fill_between([c.x(span[0]), c.x(span[1])], y - 0.5, y + 0.5, facecolor="#f0f0f0",
                                     edgecolor="#bbbbbb", hatch="..", lw=0, zorder=0)
            c.add("idle", tip(band, f"idle-{name}-{since}", f"no job running {c.ms(since)}-{c.ms(until)}"))
    c.key("no job running", Patch(facecolor="#f0f0f0", edgecolor="#bbbbbb", hatch=".."))


def submissions(events, t_end: float) -> list[tuple[float, float, set | None]]:
    """``(start, end, its subtasks)`` of each submission that ran; the subtasks are None where the trace
    does not say them all: the first submission's are the plan's (``run_start``), a later one's are
    those its completed checkpoints name (every subtask acknowledges), with any other seen acting."""
    start = next((e for e in events[:1] if e["kind"] == "run_start"), {})
    runs = [[0.0, t_end, set(task_names(events[:1])) if start.get("tasks") else set(), bool(start.get("tasks"))]]
    for e in events:
        kind = e["kind"]
        if kind == "job_submit" and not e.get("error"):
            runs[-1][1] = min(runs[-1][1], e["t"])
            runs.append([e["t"], t_end, set(), False])
        elif kind in ("job_finished", "job_cancelled", "job_failed"):
            runs[-1][1] = min(runs[-1][1], e["t"])
        elif kind == "checkpoint_complete":
            runs[-1][2].update((e.get("stats") or {}).get("tasks") or ())
            runs[-1][3] = True
        elif TASK.match(e.get("task") or ""):
            runs[-1][2].add(e["task"])
    return [(t0, t1, tasks if known else None) for t0, t1, tasks, known in runs]


def undeployed(c: Canvas, events: list, t_end: float) -> None:
    """A pale band on each subtask lane while the running submission has no such subtask (a job
    resubmitted with another parallelism has more or fewer of them)."""
    from matplotlib.patches import Patch

    for t0, t1, tasks in submissions(events, t_end):
        span = c.clip(t0, t1)
        if tasks is None or span is None:
            continue
        for name, y in c.lanes.items():
            if TASK.match(name) and name not in tasks:
                band = c.ax.fill_between([c.x(span[0]), c.x(span[1])], y - 0.5, y + 0.5, facecolor=ABSENT, lw=0,
                                         zorder=0)
                c.add("undeployed", tip(band, f"undeployed-{name}-{t0}", f"{name} does not exist in the submission "
                                        f"running {c.ms(t0)}-{c.ms(t1)} (another parallelism)"))
                c.key("no such subtask (another parallelism)", Patch(facecolor=ABSENT, edgecolor="#d0d0d0", lw=0.6))


def _reader_lanes(c: Canvas, reader: str) -> list[str]:
    """The lanes of a held-back reader: a consumer's own lane, or the subtasks of a read_committed source."""
    if f"reader {reader}" in c.lanes:
        return [f"reader {reader}"]
    m = _SOURCE_READER.match(reader)
    if not m:
        return []
    return [name for name in c.lanes if (t := TASK.match(name)) and m["op"] in t["op"].split("->")]


def stalls(c: Canvas, holds: list, t_end: float) -> None:
    """A hatched span on each held-back reader's lane for each hold that kept records from it (some were
    written behind the holding transaction), labelled with that transaction."""
    from matplotlib.patches import Patch

    for h in holds:
        if not h["waited"]:
            # NOTE: nothing was written behind it: the reader had nothing to wait for, no stall to draw
            # (the transaction's own bar shows how long it stayed open and who ended it)
            continue
        end = h["end"] if h["end"] is not None else t_end
        span = c.clip(h["start"], end)
        if span is None:
            continue
        until = f"until {c.ms(end)} ({h['ended']})" if h["end"] is not None else "past the end of the run"
        title = (f"{h['topic']}-{h['partition']}: last stable offset held at {h['offset']} by {h['txn']} "
                 f"({h['transactional_id']}) from {c.ms(h['start'])} {until}; {h['waited']} record(s) waited")
        for lane in (name for reader in h["readers"] for name in _reader_lanes(c, reader)):
            y = c.y(lane)
            bar = c.ax.broken_barh([(c.x(span[0]), c.x(span[1]) - c.x(span[0]))], (y - 0.17, 0.34),
                                   facecolors="none", edgecolor=CRASH, hatch="////", lw=0.8, zorder=2)
            c.add("stalls", tip(bar, f"stall-{lane}-{h['txn']}-{h['partition']}", f"{lane} stalled: {title}"))
            c.label(c.x(span[0]), y, f"stalled: T{h['txn'].split('#')[-1]} ({h['transactional_id']}) holds "
                    f"{h['topic']}-{h['partition']}, {h['waited']} record(s) waiting", ((2, 11), (2, -19), (2, 21)), 2,
                    color=CRASH)
            c.key("reader stalled: last stable offset held",
                  Patch(facecolor="none", edgecolor=CRASH, hatch="////", lw=0.8))


def discarded_commits(c: Canvas, events: list, t_end: float) -> None:
    """KafkaSink's committer discarded a refused commit (no failover): marked just above its transaction's bar."""
    from matplotlib.lines import Line2D

    found = [e for e in events if e["kind"] == "commit_discarded" and not e.get("recovering") and c.inside(e["t"])]
    if not found:
        return
    bars = txn_phases([e for e in events if e["kind"] in TXN_KINDS], t_end)
    marker, face, legend = MARKS["discarded"]
    for e in found:
        bar = bars.get(e["txn"])
        y = c.y(bar["task"]) if bar else c.y(e.get("task"))
        if y is None:
            continue
        # NOTE: the same y as the transaction bar's marks (txn.py), lifted above it: the bar's own
        # "commit failed, producer fenced" mark sits at the same instant
        y += -0.13 * (bar["row"] if bar else 0) - 0.305 + 0.14
        mark = c.ax.plot([c.x(e["t"])], [y], marker=marker, ms=c.style.marker, mfc=face, mec="#222", mew=0.8,
                         lw=0, zorder=9)[0]
        c.add("txn_marks", tip(mark, f"txn-discarded-{e['txn']}", f"{e['txn']}: KafkaSink's committer discarded "
                               f"the commit ({e['error']}), no failover: {e['records']} record(s) lost"))
        c.label(c.x(e["t"]), y, "discarded, no failover", ((4, 4), (4, 14), (4, 24), (-120, 4), (-120, 14)),
                INSIST, color=CRASH)
        c.key(f"txn {legend}", Line2D([], [], ls="", marker=marker, mfc=face, mec="#222", ms=c.style.marker))
