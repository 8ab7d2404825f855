"""The space-time (timing) diagram of a job, drawn from a Trace only.

Time runs left to right; one lane per (chained) subtask in plan order, a JobManager lane on top,
the Kafka topics and the readers at the bottom. Records are thin arrows (replayed ones orange; a
record that waits in a blocked channel is drawn as held until it is released), barriers bold
arrows coloured per checkpoint (unaligned ones dashed), alignment a shaded span, snapshots a solid
(sync) then hatched (async) bar, acknowledgements and completion notices small triangles,
checkpoint completion a vertical rule, crashes crosses with the downtime shaded, sink
transactions bars whose colour follows their phase, reads on their own lanes.

A long run is aggregated: records become density bands with a stated scale while barriers,
checkpoints, transactions and faults stay. The decision counts every record-level event of the
window at any trace level, so the picture's cost is bounded by what it shows, not by the run.
"""
from __future__ import annotations

from .canvas import Canvas, has_any, lane_labels, lanes_of, split, window_end, window_slice
from .lifecycle import MARK_KINDS, ROOM, lifecycle
from .marks import alignment, barriers, checkpoints, labels_states, snapshots, waiting
from .queues import QUEUE_KINDS, overtaken, overtaken_records
from .records import density, records, upstream
from .style import axes_for, style_of
from .txn import SPAN_KINDS, TXN_KINDS, downtime, faults, reads, transactions

__all__ = ["timing_diagram", "AGGREGATE_ABOVE", "BARRIERS_ABOVE", "PARTS"]

#: more record-level events than this in the window and records are drawn as density bands
AGGREGATE_ABOVE = 400
#: more barriers than this and they are drawn one collection per checkpoint, without acks and notices
BARRIERS_ABOVE = 150

#: part of the picture -> the kinds it reads (one pass sorts the events out; each part reads its own)
PARTS = {
    "sends": frozenset({"record_send"}),
    "sources": frozenset({"source_read"}),
    "appends": frozenset({"kafka_append"}),
    "reads": frozenset({"consumer_read"}),
    "processed": frozenset({"record_process"}),
    "barriers": frozenset({"barrier_send"}),
    "checkpoints": frozenset({"checkpoint_trigger", "checkpoint_complete", "checkpoint_abort", "checkpoint_ack",
                              "checkpoint_notify"}),
    "alignment": frozenset({"alignment_start", "alignment_end", "checkpoint_abort", "channel_block"}),
    "kept": frozenset({"record_buffered", "buffer_persisted", "output_persisted"}),
    "snapshots": frozenset({"snapshot_sync_start", "snapshot_sync_end", "snapshot_async_end"}),
    "txn": TXN_KINDS,
    "faults": frozenset({"task_crash", "state_restore", "inflight_restore", "job_restart"}),
    "down": frozenset({"job_failing", "job_restart", "job_failed"}),
    "replay": frozenset({"source_read", "job_restart"}),
    "blocked": frozenset({"channel_block", "channel_unblock", "job_failing"}),
    "queue": QUEUE_KINDS,
}


def timing_diagram(trace, ax=None, window=None, aggregate: bool | None = None, annotate: bool | None = None,
                   title: str | None = None, style="notebook") -> dict:
    """Draw the space-time diagram of a job trace; returns ``{category: [artists]}``.

    ``window=(lo, hi)`` in ms (either may be None) shows only that span; whatever began before it
    (open transactions, alignments, downtime) is drawn clipped to it. ``style="slide"`` draws
    for projection. ``aggregate``/``annotate`` force density bands / value labels on or off.
    """
    st = style_of(style)
    events = trace.events if hasattr(trace, "events") else list(trace)
    t_end = max((e["t"] for e in events[-3:]), default=1.0) or 1.0
    lo, hi, shown, spans = _select(events, window, t_end)
    part = split(shown, PARTS)
    span = split(spans, PARTS) if window else part
    n_records = sum(len(part[k]) for k in ("sends", "sources", "appends", "reads"))   # the RECORD_KINDS
    if aggregate is None:                # many records, or so many checkpoints that their details would blur
        aggregate = n_records > AGGREGATE_ABOVE or len(part["barriers"]) > BARRIERS_ABOVE
    annotate = n_records <= 80 if annotate is None else annotate
    # NOTE: the room under a sink's lane beyond its transaction rows is for the snapshot states
    # written above the next lane: none written, none needed
    states = not aggregate and labels_states(span["snapshots"], lo, hi, annotate)
    lanes = lanes_of(events, st.sink_room if states else min(st.sink_room, 0.3))   # every submission's subtasks
    room = ROOM if has_any(events, MARK_KINDS) else 0.0          # a row for the job's lifecycle
    units = 1 + room - min(lanes.values())
    ax = axes_for(ax, st.width, _pitch(st, units, states) * units + 1.2)
    c = Canvas(ax, st, lanes, lo, hi)
    c.top += room
    c.open_end = not (window and window[1] is not None)       # room after the last event for its labels
    c.dense = aggregate
    _lanes(c, lane_labels(events[:1] if events and events[0]["kind"] == "run_start" else events, lanes))
    _layers(c, events, part, span, t_end, aggregate, annotate)
    _frame(c, events, title)
    c.drawn["labels"] = c.labels.texts
    return c.drawn


#: a slide's lanes together are at most this tall (inches), each at least LEAST of the style's lane,
#: when no snapshot state is written between them: a picture of many lanes then fits a 16:9 slide
#: better, its text as large (fewer labels fit; the states, where written, need the full room)
SLIDE_LANES, LEAST = 7.0, 0.7


def _pitch(st, units: float, states: bool) -> float:
    """Inches per lane: the style's, or on a slide with many lanes and no states written, less (down
    to LEAST of it)."""
    if st.name != "slide" or states:
        return st.lane
    return max(st.lane * LEAST, min(st.lane, SLIDE_LANES / units))


def _layers(c: Canvas, events, part: dict, span: dict, t_end: float, aggregate: bool, annotate: bool) -> None:
    """Draw every layer, back to front: downtime, records (or their density), barriers, checkpoints,
    alignments, snapshots, transactions, reads, faults, and the job's lifecycle."""
    downtime(c, span["down"], t_end)
    if aggregate:
        density(c, part)
        upstream(c, part["appends"], span["txn"], part["sources"], annotate, dots=False, events=events)
    else:
        hops = sorted(part["sends"] + part["sources"] + part["appends"], key=lambda e: e["t"])   # few: detail
        jumped = overtaken_records(c, events, part["kept"], part["queue"], window_ends_early=not c.open_end)
        records(c, [e for e in hops if id(e) not in jumped], span["replay"], span["blocked"], annotate)
        overtaken(c, jumped)
        upstream(c, part["appends"], span["txn"], part["sources"], annotate, events=events)
    barriers(c, part["barriers"], detail=not aggregate)
    if not aggregate:
        waiting(c, part["barriers"], span["snapshots"], span["alignment"])
    checkpoints(c, part["checkpoints"], detail=not aggregate)
    alignment(c, span["alignment"], part["kept"], detail=not aggregate)
    snapshots(c, span["snapshots"], detail=not aggregate, annotate=annotate)
    transactions(c, span["txn"], t_end, detail=not aggregate)
    reads(c, part["reads"], aggregate, annotate)
    faults(c, part["faults"])
    lifecycle(c, events, t_end)             # job lifecycle, stalled readers, discarded commits


def _select(events: list, window, t_end: float):
    """``(lo, hi, events shown, span events)``: a window bisects for its own events and reads what
    lasts (transactions, alignments, downtime) from before it too, never from after it."""
    lo = window[0] if window and window[0] is not None else 0.0
    hi = window[1] if window and window[1] is not None else t_end
    if not window:
        return lo, hi, events, events
    spans = [e for e in events[:window_end(events, hi)] if e["kind"] in SPAN_KINDS and e["t"] <= hi]
    return lo, hi, window_slice(events, lo, hi), spans


def _lanes(c: Canvas, names: list[str]) -> None:
    for name, y in c.lanes.items():
        c.add("lanes", c.ax.axhline(y, color="#e6e6e6", lw=0.8, zorder=0))
    c.ax.set_yticks(list(c.lanes.values()), names)
    c.ax.snapsim_lanes = list(c.lanes)     # the lanes' own names (a tick may add the topic a reader reads)


def _frame(c: Canvas, events, title) -> None:
    from .style import finish_axes, legend_below, set_title

    ax, st = c.ax, c.style
    ax.set_xlim(c.x(c.lo), c.x(c.hi) + (st.end_room * (c.x(c.hi) - c.x(c.lo)) if c.open_end else 0))
    ax.set_ylim(min(c.lanes.values()) - 0.75, c.top)
    ax.set_xlabel(f"simulated time ({c.unit})", fontsize=st.tick)
    finish_axes(ax, st)
    start = next((e for e in events[:1] if e["kind"] == "run_start"), {})
    if not title and (c.lo > 0 or not c.open_end):          # a window says which part of the run it shows
        title = f"{start.get('scenario', '')}: {c.x(c.lo):g}–{c.x(c.hi):g} {c.unit} of the run"
    set_title(ax, title or start.get("scenario", ""), st)
    if c.legend:
        legend_below(ax, c.legend, st)
