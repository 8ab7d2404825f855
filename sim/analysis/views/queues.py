"""Timing-diagram part: the records an unaligned barrier overtook, drawn as channel state.

An unaligned barrier does not wait behind the buffers queued in its channel: the task takes it as
soon as it can, snapshots, and persists those buffers as channel state; they are processed after
the snapshot. So each overtaken record was sent *before* the barrier and processed *after* it was
taken: drawn from its send to its processing, its arrow crosses the barrier's arrow. That is
overtaking, and it is how the Chandy–Lamport diagram draws channel state: such a record's arrow is
drawn in the checkpoint's colour, from its sender when sent to its receiver when the task took it
from the queue (a small hollow circle on the receiver's lane marks where it joined the queue), in
place of the usual grey arrow to its arrival.

Which records: the channel is FIFO, so the ``n`` buffers persisted on a channel are the last ``n``
records sent on it before that checkpoint's barrier, and they are the first ``n`` taken from it
after the barrier was. Needs ``record_receive`` events (``trace: full``); without them only the
persisted marks of :func:`sim.analysis.views.marks.alignment` are drawn.
"""
from __future__ import annotations

from .canvas import Canvas
from .style import cp_color, tip

__all__ = ["QUEUE_KINDS", "overtaken_records", "overtaken"]

#: the kinds this part reads in its window (besides buffer_persisted)
QUEUE_KINDS = frozenset({"record_receive", "barrier_receive"})
#: how many events back from a checkpoint's persisting the records it overtook are looked for
LOOKBACK = 50_000


def overtaken_records(c: Canvas, events: list, kept, queue, window_ends_early: bool) -> dict[int, tuple]:
    """``{id(record_send event): (send, taken at, checkpoint)}`` for every record a barrier overtook.

    ``events`` is the whole trace (the overtaken records may have been sent before the window: they
    are looked up backwards from the persisting, at most :data:`LOOKBACK` events); ``kept`` and
    ``queue`` the window's ``buffer_persisted`` and receive events. A record not yet taken when a
    window ends early is taken "at the window's end" (its arrow runs out of the picture)."""
    persisted: dict[tuple, list] = {}                 # (task, channel, checkpoint) -> [persisted at, buffers]
    for e in kept:
        if e["kind"] == "buffer_persisted" and c.y(e.get("task")) is not None:
            entry = persisted.setdefault((e["task"], e["channel"], e["checkpoint"]), [e["t"], 0])
            entry[1] += e.get("n", 1)
    out: dict[int, tuple] = {}
    for (task, channel, cid), (t, n) in persisted.items():
        ahead = _ahead(events, channel, cid, n, t)
        taken = _taken_after(queue, channel, cid, len(ahead))
        taken += [c.hi * 1.05] * (len(ahead) - len(taken)) if window_ends_early else []
        out.update((id(send), (send, t_taken, cid)) for send, t_taken in zip(ahead, taken))
    return out


def overtaken(c: Canvas, found: dict[int, tuple]) -> None:
    """Each overtaken record's arrow, sender (when sent) to receiver (when taken), in its checkpoint's colour."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    for send, t_taken, cid in found.values():
        y0, y1 = c.y(send["task"]), c.y(send["to"])
        if y0 is None or y1 is None or send["t"] > c.hi or t_taken < c.lo:
            continue
        color, arrive = cp_color(cid), send.get("arrive", send["t"])
        arrow = FancyArrowPatch((c.x(send["t"]), y0), (c.x(t_taken), y1), arrowstyle="-|>", mutation_scale=9,
                                color=color, lw=1.1, shrinkA=0, shrinkB=0, zorder=4)
        c.ax.add_patch(arrow)
        values = ",".join(str(v if not isinstance(v, list) else tuple(v)) for v in (send.get("values") or []))
        c.add("overtaken", tip(arrow, f"overtaken-{cid}-{send['channel']}-{send['t']}",
                               f"{values or 'a record'} {send['task']} -> {send['to']}: sent {c.ms(send['t'])}, "
                               f"queued from {c.ms(arrive)}, overtaken by the unaligned barrier {cid} and persisted "
                               f"as channel state, processed {c.ms(t_taken)}"))
        if c.inside(arrive) and arrive < t_taken:       # where it joined the queue
            c.add("overtaken", c.ax.plot([c.x(arrive)], [y1], ls="", marker="o", ms=c.style.marker * 0.5,
                                         mfc="white", mec=color, mew=1.0, zorder=5)[0])
        c.key("record overtaken by an unaligned barrier (channel state): sent → processed",
              Line2D([], [], color="#555", lw=1.1))


def _ahead(events: list, channel: str, cid: int, n: int, persisted_at: float) -> list:
    """The last ``n`` records sent on ``channel`` before checkpoint ``cid``'s barrier, oldest first."""
    from .canvas import window_end

    out, barrier_seen = [], False
    i = window_end(events, persisted_at)
    for e in reversed(events[max(0, i - LOOKBACK):i]):
        if e.get("channel") != channel:
            continue
        if e["kind"] == "barrier_send" and e["checkpoint"] == cid:
            barrier_seen = True
        elif e["kind"] == "record_send" and barrier_seen:
            out.append(e)
            if len(out) == n:
                break
    return out[::-1]


def _taken_after(queue, channel: str, cid: int, n: int) -> list[float]:
    """When the first ``n`` buffers were taken from ``channel`` after checkpoint ``cid``'s barrier was."""
    out, seen = [], False
    for e in queue:
        if e.get("channel") != channel:
            continue
        if e["kind"] == "barrier_receive" and e["checkpoint"] == cid:
            seen = True
        elif e["kind"] == "record_receive" and seen:
            out.append(e["t"])
            if len(out) == n:
                break
    return out
