"""Timing-diagram parts for the data: record arrows (replayed and held ones distinct), Kafka reads
and writes, and, for long runs, density bands with a stated scale instead of single records.
"""
from __future__ import annotations

from .canvas import Canvas, window_end
from .labels import ABOVE
from .style import COMMIT, CRASH, RECORD, REPLAY, tip

__all__ = ["RECORD_KINDS", "records", "upstream", "density", "replay_windows", "blocked_spans"]

#: the record-level kinds: one artist each when drawn one by one (what decides aggregation)
RECORD_KINDS = frozenset({"record_send", "source_read", "kafka_append", "consumer_read"})


def replay_windows(events) -> list[tuple[float, float]]:
    """(start, end) after each restart while sources re-read offsets they had read before."""
    out, high, restart = [], {}, None
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


def blocked_spans(events) -> dict[str, list[tuple[float, float]]]:
    """channel -> [(blocked from, released at)]: a channel stays blocked until unblocked or the job fails."""
    out: dict[str, list] = {}
    since: dict[str, float] = {}
    for e in events:
        kind = e["kind"]
        if kind == "channel_block":
            since.setdefault(e["channel"], e["t"])
        elif kind == "channel_unblock" and e["channel"] in since:
            out.setdefault(e["channel"], []).append((since.pop(e["channel"]), e["t"]))
        elif kind == "job_failing":
            for ch, t0 in since.items():
                out.setdefault(ch, []).append((t0, e["t"]))
            since.clear()
    for ch, t0 in since.items():
        out.setdefault(ch, []).append((t0, float("inf")))
    return out


def records(c: Canvas, events, replays, blocks, annotate: bool) -> None:
    """Every record hop as a thin arrow; a record arriving on a blocked channel waits there, drawn as held."""
    from matplotlib.lines import Line2D

    replay = replay_windows(replays)
    blocked = blocked_spans(blocks)
    for e in events:
        kind = e["kind"]
        if kind == "record_send":
            _send(c, e, replay, blocked, annotate)
        elif kind == "source_read" and e.get("origins") and c.y(e.get("task")) is not None:
            topic = c.y(f"Kafka {e['origins'][0][0]}")
            if topic is not None:
                replayed = any(a <= e["t"] <= b for a, b in replay)
                offsets = ",".join(f"p{o[1]}@{o[2]}" for o in e["origins"][:3])      # partition@offset
                _arrow(c, "records", e["t"], topic, e["t"], c.y(e["task"]), REPLAY if replayed else RECORD,
                       f"read-{e['task']}-{offsets}", f"{e['task']} read {offsets} from Kafka")
                if annotate:
                    c.label(c.x(e["t"]), topic, offsets, ABOVE, 8, join=",", color="#555")
        elif kind == "kafka_append" and c.y(e.get("task")) is not None:
            topic = c.y(f"Kafka {e['topic']}")
            if topic is not None:
                _arrow(c, "records", e["t"], c.y(e["task"]), e["t"], topic, RECORD,
                       f"append-{e['topic']}-{e['partition']}-{e['offset']}",
                       f"{e['task']} wrote {e['value']} to {e['topic']}-{e['partition']}@{e['offset']}"
                       + (f" in {e['txn']}" if e.get("txn") else ""))
    if c.drawn.get("records"):
        c.key("record", Line2D([], [], color=RECORD, lw=1.2))
    if c.drawn.get("held"):
        c.key("held in a blocked channel", Line2D([], [], color=RECORD, lw=1.4, ls=(0, (2, 2)), marker="o",
                                                 mfc="white", ms=5))


def upstream(c: Canvas, appends, txns, sources, annotate: bool, dots: bool = True, events=()) -> None:
    """Records an upstream ``transaction:`` input item wrote (a ``kafka_append`` with a transaction and
    no task) as small dots on their topic's lane, labelled partition@offset (a record a source read is
    labelled by that read); its commit or abort as a tick (green) or a cross (red) on the same lane.
    ``dots=False`` (an aggregated picture: the topic's band counts the records) draws only the ends.
    An end inside the window belongs to it by its own time, even when its records precede the window
    (their topic is then looked up in ``events``, the whole trace)."""
    written = [e for e in appends if not e.get("task") and e.get("txn") and c.y(f"Kafka {e['topic']}") is not None]
    if dots:
        _input_dots(c, written, {tuple(o[:3]) for e in sources for o in e.get("origins", ())}, annotate)
    topics = {e["txn"]: e["topic"] for e in written}
    missing = {e["txn"] for e in txns if e["kind"] in ("txn_commit", "txn_abort") and not e.get("task")
               and c.inside(e["t"]) and e.get("txn") not in topics}
    if missing:
        topics.update(_topics_before(events, missing, c.lo))
    _input_ends(c, txns, {txn: topic for txn, topic in topics.items() if c.y(f"Kafka {topic}") is not None})


def _topics_before(events, missing: set, lo: float) -> dict[str, str]:
    """Input transaction -> the topic it wrote, for the ``missing`` ones, from their appends before ``lo``."""
    found: dict[str, str] = {}
    # NOTE: searched backwards from the window's start: an input transaction writes shortly before it ends
    for i in range(window_end(events, lo) - 1, -1, -1):
        e = events[i]
        if e["kind"] == "kafka_append" and not e.get("task") and e.get("txn") in missing:
            found.setdefault(e["txn"], e["topic"])
            if len(found) == len(missing):
                break
    return found


def _input_dots(c: Canvas, written, read: set, annotate: bool) -> None:
    from matplotlib.lines import Line2D

    for e in written:
        y = c.y(f"Kafka {e['topic']}")
        mark = c.ax.plot([c.x(e["t"])], [y], marker="o", ms=c.style.marker * 0.6, color=RECORD, zorder=3)[0]
        c.add("input_records", tip(mark, f"input-{e['topic']}-{e['partition']}-{e['offset']}",
                                  f"{e['txn']} wrote {e['value']} to {e['topic']}-{e['partition']}@{e['offset']}"))
        if annotate and (e["topic"], e["partition"], e["offset"]) not in read:
            c.label(c.x(e["t"]), y, f"p{e['partition']}@{e['offset']}", ABOVE, 8, color="#555")
    if written:
        c.key("record written by an input transaction", Line2D([], [], ls="", marker="o", ms=4, color=RECORD))


def _input_ends(c: Canvas, txns, topics: dict[str, str]) -> None:
    from matplotlib.lines import Line2D

    for e in txns:
        if e["kind"] in ("txn_commit", "txn_abort") and e.get("txn") in topics and c.lo <= e["t"] <= c.hi:
            commit = e["kind"] == "txn_commit"
            end, look = ("committed", dict(marker="$✓$", color=COMMIT)) if commit else \
                ("aborted", dict(marker="x", color=CRASH))
            mark = c.ax.plot([c.x(e["t"])], [c.y(f"Kafka {topics[e['txn']]}")], ms=c.style.marker, zorder=3, **look)[0]
            c.add("input_txn", tip(mark, f"input-txn-{e['txn']}", f"{e['txn']} {end} at {c.ms(e['t'])}"))
            c.key(f"input transaction {end}", Line2D([], [], ls="", **look))


def _send(c: Canvas, e, replay, blocked, annotate: bool) -> None:
    y0, y1 = c.y(e["task"]), c.y(e["to"])
    if y0 is None or y1 is None:
        return
    arrive = e.get("arrive", e["t"])
    color = REPLAY if any(a <= e["t"] <= b for a, b in replay) else RECORD
    values = _short(e.get("values") or [])
    _arrow(c, "records", e["t"], y0, arrive, y1, color, f"record-{e['channel']}-{e['t']}",
           f"{e['task']} -> {e['to']}: {values or str(e.get('n', 1)) + ' record(s)'} sent {c.ms(e['t'])}")
    if annotate and values:
        c.label(c.x(e["t"]), y0, values, ABOVE, 9, join=",", color="#555")
    held = next((b for a, b in blocked.get(e["channel"], ()) if a <= arrive < b), None)
    if held is not None:
        span = c.clip(arrive, min(held, c.hi))
        if span:
            line = c.ax.plot([c.x(span[0]), c.x(span[1])], [y1 - 0.12, y1 - 0.12], color=color, lw=1.4,
                             ls=(0, (2, 2)), marker="o", markevery=[0], mfc="white", ms=5, zorder=4)[0]
            c.add("held", tip(line, f"held-{e['channel']}-{e['t']}", f"{values or 'record'} held in the blocked "
                              f"channel {e['channel']} from {c.ms(arrive)} until {c.ms(held)}"))


def _arrow(c: Canvas, category: str, t0: float, y0: float, t1: float, y1: float, color: str, gid: str, title: str):
    from matplotlib.patches import FancyArrowPatch

    arrow = FancyArrowPatch((c.x(t0), y0), (c.x(t1), y1), arrowstyle="-|>", mutation_scale=8, color=color, lw=0.9,
                            shrinkA=0, shrinkB=0, zorder=2)
    c.ax.add_patch(arrow)
    if color == REPLAY:
        from matplotlib.lines import Line2D
        c.key("replayed record", Line2D([], [], color=REPLAY, lw=1.2))
    return c.add(category, tip(arrow, gid, title))


def _short(values) -> str:
    text = ",".join(str(v if not isinstance(v, list) else tuple(v)) for v in values[:2])
    return text if len(values) <= 2 else text + "…"


class _Lanes(dict):
    """Lane name -> index; a name without a lane is -1."""

    def __missing__(self, key) -> int:
        return -1


def _bin_counts(c: Canvas, parts: dict, bins: int, width: float) -> dict[float, list[int]]:
    """lane y -> records per bin. Fields are pulled out per kind in bulk (map, itemgetter) and numpy bins them.

    Tasks count what they processed (full traces) or, failing that, a sink what it wrote; topics
    count what was read from or written to them; readers what they read.
    """
    from operator import itemgetter

    import numpy as np          # matplotlib's own dependency

    names = list(c.lanes)
    lane = _Lanes((name, i) for i, name in enumerate(names)).__getitem__
    totals = np.zeros(len(names) * bins, dtype=np.int64)
    t_of, n_of = itemgetter("t"), itemgetter("n")

    def add(group, lane_names, counts=None) -> None:
        nonlocal totals
        at = np.minimum(((np.fromiter(map(t_of, group), float, len(group)) - c.lo) / width).astype(np.int64), bins - 1)
        ids = np.fromiter(map(lane, lane_names), np.int64, len(group))
        keep = ids >= 0
        weights = None if counts is None else np.fromiter(counts, float, len(group))[keep]
        totals += np.bincount(ids[keep] * bins + at[keep], weights=weights, minlength=totals.size).astype(np.int64)

    processed, appends = parts["processed"], parts["appends"]
    if processed:
        add(processed, map(itemgetter("task"), processed), map(n_of, processed))
    if appends:
        add(appends, ("Kafka " + topic for topic in map(itemgetter("topic"), appends)))
        if not processed:
            add(appends, map(itemgetter("task"), appends))
    if parts["sources"]:
        group = parts["sources"]
        add(group, ("Kafka " + e["origins"][0][0] if e.get("origins") else "" for e in group), map(n_of, group))
    if parts["reads"]:
        add(parts["reads"], ("reader " + name for name in map(itemgetter("consumer"), parts["reads"])))
    out = {}
    for i, name in enumerate(names):
        row = totals[i * bins:(i + 1) * bins]
        if row.any():
            out[c.lanes[name]] = row.tolist()
    return out


def density(c: Canvas, parts: dict, bins: int = 200) -> None:
    """Records per time bin as a band on each lane, each lane with its own stated scale (written at its end).

    ``parts`` holds the window's record-level events by kind: ``processed``, ``appends``, ``sources``, ``reads``.
    """
    from matplotlib.patches import Patch

    width = (c.hi - c.lo) / bins or 1.0
    counts = _bin_counts(c, parts, bins, width)
    if not counts:
        return
    from matplotlib.transforms import blended_transform_factory

    xs = [c.x(c.lo + (i + 0.5) * width) for i in range(bins)]
    right = blended_transform_factory(c.ax.transAxes, c.ax.transData)
    for y, row in counts.items():
        peak = max(row) or 1
        hs = [0.38 * n / peak for n in row]
        band = c.ax.fill_between(xs, [y - h for h in hs], [y + h for h in hs], step="mid", color=RECORD, alpha=0.75,
                                 lw=0, zorder=1)
        name = next(k for k, v in c.lanes.items() if v == y)
        c.add("density", tip(band, f"density-{name}", f"{name}: {sum(row)} records in the window, at most "
                             f"{peak} per {width:.3g} ms"))
        # NOTE: each lane has its own scale (a burst of reads would flatten every task's band), so the
        # lane's peak is written at its right end: the band's full height is that many records per bin.
        c.add("density_scale", c.ax.text(1.003, y, f"{peak}", transform=right, fontsize=c.style.label,
                                         va="center", ha="left", color="#555"))
    c.key(f"records per {width:.3g} ms (full band = the number at the lane's right end)",
          Patch(color=RECORD, alpha=0.75))
