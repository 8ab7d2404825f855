"""The drawing context the timing diagram's parts share: lanes, time scale, window, legend, labels.

Lanes come from the trace's task names only (``run_start.tasks``, or the names seen in events), so
a chained task ("source->split[0]") is one lane like any other and new kinds of lanes need no
special case. The window is ``[lo, hi]`` in simulated ms; every part clips what it draws to it.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right

from ..subtasks import TASK, all_task_names, has_any, resubmitted_tasks
from .labels import LabelLayer

__all__ = ["Canvas", "has_any", "keep_clear", "lane_labels", "lanes_of", "reader_topics", "resubmitted_tasks", "task_names", "window_slice", "window_end", "split", "TASK"]



def task_names(events) -> list[str]:
    """Subtask names in plan order, a rescaled job's later subtasks included (:func:`all_task_names`)."""
    return all_task_names(events)


def reader_topics(events) -> dict[str, str | None]:
    """Declared reader (consumer) name -> the topic it reads, from ``run_start.consumers`` (hidden ``_`` ones left out)."""
    start = next((e for e in events if e["kind"] == "run_start"), {})
    return {c["name"]: c.get("topic") for c in start.get("consumers", []) if not c["name"].startswith("_")}


def lane_labels(events, lanes) -> list[str]:
    """The lanes' names as shown: a reader of anything but one of the job's output topics names the
    topic it reads ("reader raw (lines)"), as its lane sits among the job's inputs or last."""
    start = next((e for e in events if e["kind"] == "run_start"), {})
    outputs = set((start.get("topics") or {}).get("output", ()))
    readers = reader_topics(events)
    def shown(name: str) -> str:
        topic = readers.get(name[len("reader "):]) if name.startswith("reader ") else None
        return f"{name} ({topic})" if topic and topic not in outputs else name
    return [shown(name) for name in lanes]


def lanes_of(events, sink_room: float = 0.0) -> dict[str, float]:
    """Lane name -> y (top to bottom): JobManager, input topics, subtasks by operator, output topics;
    each reader next to the topic it reads: just above an input topic, just below an output topic
    (a reader of a topic without a lane goes last).

    Lanes are one unit apart; a task that holds a Kafka sink gets ``sink_room`` more below it, for
    its two rows of transactions (and the labels written above the next lane)."""
    start = next((e for e in events if e["kind"] == "run_start"), {})
    topics = start.get("topics") or {"input": [], "output": []}
    readers = reader_topics(events)
    def of(t) -> list[str]:
        return [f"reader {r}" for r, read in readers.items() if read == t]

    # NOTE: a reader sits on the side of its topic away from the job (above an input topic, below an
    # output topic), so the arrows between the topic and the job's tasks never cross its reads
    shown = set(topics["input"]) | set(topics["output"])
    names = ["JobManager"] + [n for t in topics["input"] for n in of(t) + [f"Kafka {t}"]] + task_names(events) + \
        [n for t in topics["output"] for n in [f"Kafka {t}"] + of(t)] + \
        [f"reader {r}" for r, t in readers.items() if t not in shown]
    names = list(dict.fromkeys(names))              # a topic both read and written keeps its first lane
    sinks = {c["operator"] for c in start.get("connectors", []) if c.get("type") == "kafka_sink"}
    chains = {t["name"]: t.get("operators", ()) for t in start.get("tasks", []) if isinstance(t, dict)}
    def sink(name) -> bool:              # a subtask of a later submission: its chain is in its name
        operators = chains.get(name) or ((m := TASK.match(name)) and m["op"].split("->")) or ()
        return bool(sinks.intersection(operators))

    lanes, y = {}, 0.0
    for name, below in zip(names, names[1:] + [""]):
        lanes[name] = y
        # NOTE: the full room only between two sinks (the lower one's snapshot labels sit under the
        # upper one's transactions); above a topic or a reader, two rows of bars need little
        y -= 1.0 + (0.0 if not sink(name) else sink_room if sink(below) else min(sink_room, 0.3))
    return lanes


#: how far out of time order the trace may be (ms): see window_slice
DISORDER = 50.0


def window_slice(events: list, lo: float, hi: float) -> list:
    """The events with ``lo <= t <= hi``, found by bisection: a window reads only its own events."""
    # NOTE: the runtime emits most events at env.now, which never decreases, but a few are written
    # ahead with their own time (a snapshot's synchronous phase is emitted with its end time), so
    # the trace is only nearly sorted. Bisecting with a margin and then filtering exactly is
    # correct as long as no event is written more than DISORDER ms out of order.
    i = bisect_left(events, lo - DISORDER, key=_t)
    j = bisect_right(events, hi + DISORDER, key=_t)
    return [e for e in events[i:j] if lo <= e["t"] <= hi]


def window_end(events: list, hi: float) -> int:
    """Index past the last event that may have ``t <= hi`` (see :data:`DISORDER`)."""
    return bisect_right(events, hi + DISORDER, key=_t)


def split(events, parts: dict[str, frozenset]) -> dict[str, list]:
    """One pass over the events: ``{part: [its events, in trace order]}`` (an event may feed several parts)."""
    out: dict[str, list] = {part: [] for part in parts}
    index: dict[str, list] = {}                          # kind -> the appends of the parts that read it
    for part, kinds in parts.items():
        for kind in kinds:
            index.setdefault(kind, []).append(out[part].append)
    nothing = ()
    for e in events:
        for append in index.get(e["kind"], nothing):
            append(e)
    return out


def keep_clear(labels: LabelLayer, artist, soft: bool = False) -> None:
    """Register a line's markers and segments, a vertical rule or an arrow as a place labels avoid
    (``soft``: a thin record line, which labels about marks may cross when nothing else is free)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    if isinstance(artist, FancyArrowPatch):
        (xa, ya), (xb, yb) = artist._posA_posB
        labels.avoid((xa, xb), (ya, yb), max(artist.get_linewidth(), 1.0) + 1, joined=True, soft=soft)
    elif isinstance(artist, Line2D):
        xs, ys = artist.get_xdata(), artist.get_ydata()
        if artist.get_transform() != artist.axes.transData:        # axvline/axhline: a rule in axes coordinates
            # NOTE: an axhline is a lane's own line (labels sit on lanes): only a vertical rule is in the way
            if xs[0] == xs[-1]:
                labels.avoid((xs[0],), (None,), artist.get_linewidth() + 1)
            return
        if artist.get_marker() not in (None, "None", "", " "):
            labels.avoid(xs, ys, artist.get_markersize())
        if artist.get_linestyle() not in ("None", "", " ") and len(xs) > 1:
            labels.avoid(xs, ys, artist.get_linewidth() + 1, joined=True, soft=soft)


def _t(e) -> float:
    return e["t"]


class Canvas:
    """One axes being drawn on: lanes, x scale, window, the label layer and the legend entries."""

    def __init__(self, ax, style, lanes: dict[str, float], lo: float, hi: float) -> None:
        self.ax, self.style, self.lanes, self.lo, self.hi = ax, style, lanes, lo, hi
        self.scale, self.unit = (1000.0, "s") if hi - lo > 5000 else (1.0, "ms")
        self.labels = LabelLayer(ax, style.label)
        self.legend: dict[str, object] = {}
        self.drawn: dict[str, list] = {}
        self.dense = False                      # aggregated: one place per label, fewer legend entries
        self._joinable: dict[tuple, tuple] = {}  # (row, priority) -> (x, label) of the last label with a join
        self.visible = (self.x(hi) - self.x(lo)) * 0.003    # narrower than this (x units) cannot be seen
        self.top = 0.85                         # the axes' top, above the JobManager lane (y 0)

    def x(self, t: float) -> float:
        return t / self.scale

    def y(self, lane) -> float | None:
        return self.lanes.get(lane)

    def clip(self, a: float, b: float):
        """``(a, b)`` cut to the window, or None if it lies outside."""
        a, b = max(a, self.lo), min(b, self.hi)
        return (a, b) if a <= b else None

    def inside(self, t: float) -> bool:
        return self.lo <= t <= self.hi

    def label(self, x: float, y: float, text, offsets, priority: int = 5, join: str | None = None, **kw):
        """A label (see :class:`LabelLayer`); in a dense picture only its first place is tried, so labels
        are dropped rather than stacked. With ``join``, a label on the same row at (nearly) the same
        instant as the previous such one is appended to it ("p0@1,p0@2"), so values read in order; when
        the figure is drawn, labels of the row that would touch are merged too (LabelLayer's ``join``)."""
        if join is not None:
            last = self._joinable.get((y, priority))
            if last is not None and x - last[0] <= self.visible:
                self.labels.append(last[1], text)
                return last[1]
        label = self.labels.add(x, y, text, offsets[:1] if self.dense else offsets, priority, join=join, **kw)
        if join is not None:
            self._joinable[(y, priority)] = (x, label)
        return label

    def add(self, category: str, artist):
        """Remember ``artist`` under ``category`` (what tests and callers get back); returns it.
        Its marks and lines are kept free of labels (see :meth:`LabelLayer.avoid`)."""
        self.drawn.setdefault(category, []).append(artist)
        if not self.dense:
            keep_clear(self.labels, artist, soft=category in ("records", "held", "overtaken"))
        return artist

    def key(self, label: str, handle) -> None:
        """A legend entry, added the first time something of that look is drawn."""
        self.legend.setdefault(label, handle)

    def ms(self, t: float) -> str:
        """A time for a hover title."""
        return f"{t:.1f} ms" if t < 10_000 else f"{t / 1000:.2f} s"
