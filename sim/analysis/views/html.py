"""The one-page HTML report of a run: verdict, timing diagram, state at any instant, tables.

:func:`render_html` turns a trace and its report (the ``--json`` object, itself computed from the
trace) into one self-contained page: no server, no network, no files beside it. The timing
diagram is inline SVG; clicking on it (or the step buttons, the slider, the arrow keys, or a URL
fragment ``#t=152``) moves a cursor and shows the state of every task, partition and checkpoint
at that instant. The states are computed here, in Python, by :class:`sim.analysis.state.Timeline`
at every event instant and embedded as JSON; the page's small script only looks them up and
draws them.
"""
from __future__ import annotations

import html
import json
from importlib import resources

from ..describe import txn_text
from ..state import MOMENT_KINDS, Timeline, describe
from .state_text import as_pictures
from .svgmap import figure_svg, lane_of, own_figure, timing_svg

__all__ = ["render_html"]

MAX_STATES = 600      # instants whose state is embedded (a long run is sampled, moments kept)
MAX_EVENTS = 4000     # events listed for hovering


def _esc(v) -> str:
    return html.escape("" if v is None else str(v))


def _ms(v) -> str:
    return "–" if v is None else f"{v:,.1f}"


def _table(head: list[str], rows: list[list], cls: str = "") -> str:
    th = "".join(f"<th>{_esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    if not rows:
        body = f'<tr><td colspan="{len(head)}" class="none">none</td></tr>'
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


# --- the data behind the interactive part -------------------------------------------------------
def _compact(state: dict) -> dict:
    """A state trimmed for embedding: labels instead of values, no per-instant flags, states and
    transactions written as the pictures write them (see :func:`.state_text.as_pictures`)."""
    state = dict(state)
    state.pop("transactions", None)
    for task in state["tasks"]:
        for ch in task["channels"]:
            for item in ch["items"]:
                item.pop("values", None)
                item.pop("arrived", None)             # the page compares ``arrive`` with the time shown
    return as_pictures(state)


_POOLED = ("partitions", "checkpoints", "readers", "failure", "restore")


def _pooled(states: list[dict]) -> tuple[list, list[dict]]:
    """Share equal parts between states: each task, partition table, ... is stored once in a pool.

    NOTE: between two instants most tasks do not change; pooling makes the page grow with what
    changes, not with instants x tasks. The page's script resolves the indexes back.
    """
    pool, index, out = [], {}, []

    def ref(obj) -> int:
        key = json.dumps(obj, sort_keys=True, separators=(",", ":"))
        if key not in index:
            index[key] = len(pool)
            pool.append(obj)
        return index[key]

    for state in states:
        state = dict(state, tasks=[ref(task) for task in state["tasks"]])
        state.update({k: ref(state[k]) for k in _POOLED})
        out.append(state)
    return pool, out


_HOPS = ("record_send", "record_receive", "record_process", "source_read", "kafka_append", "consumer_read")


def _hover_events(events) -> list[dict]:
    """The events listed for hovering: every control event, record hops thinned to fit the budget."""
    events = [e for e in events if e["kind"] not in ("run_start", "summary")]
    if len(events) <= MAX_EVENTS:
        return events
    control = [e for e in events if e["kind"] not in _HOPS]
    hops = [e for e in events if e["kind"] in _HOPS]
    room = max(MAX_EVENTS - len(control), 0)
    kept = hops[:: len(hops) // room + 1] if room else []
    chosen = {id(e) for e in control[:MAX_EVENTS]} | {id(e) for e in kept}
    return [e for e in events if id(e) in chosen]


def _data(trace, geo: dict) -> dict:
    timeline = Timeline(trace)
    # NOTE: a long run keeps MAX_STATES instants: every crash and restore, the other moments,
    # then evenly spaced ones; a click between two shows the earlier.
    instants = timeline.times if len(timeline.times) <= MAX_STATES else timeline.pick(MAX_STATES)
    lanes = {lane["name"] for lane in geo["lanes"]}
    events = [[e["t"], lane_of(e, lanes), describe(e)] for e in _hover_events(timeline.events)]
    moments = timeline.moment_times()
    pool, states = _pooled([_compact(s) for s in timeline.states(instants)])
    return {"times": instants, "states": states, "pool": pool, "events": events, "moments": moments, "geo": geo,
            "level": timeline.level}


def _json_script(obj) -> str:
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    # NOTE: "</script" would end the element early and "<!--" changes how HTML parses script
    # text; "\u003c" is the same JSON string with no "<" at all.
    return text.replace("<", "\\u003c")


# --- the sections ---------------------------------------------------------------------------------
def _verdict(report: dict) -> str:
    ok = report["ok"]
    parts = [f'<div class="verdict {"ok" if ok else "bad"}">'
             f'{"✔ every expectation holds" if ok else "✘ expectations failed"}</div>']
    if report.get("failures"):
        parts.append("<ul class='failures'>" + "".join(f"<li>{_esc(f)}</li>" for f in report["failures"]) + "</ul>")
    eo = report.get("exactly_once")
    if eo is not None:
        cls = "ok" if eo["ok"] else "bad"
        verdict = ("exactly-once not judged" if not eo.get("judged", True) else
                   "exactly once" if eo["ok"] else "NOT exactly once")
        reader = eo.get("reader") or f"reader {eo.get('consumer')}"     # internal reader names are never shown
        parts.append(f'<p class="{cls}"><b>{verdict}</b> (judged on what {_esc(reader)} read)</p>')
        parts.append("<ul>" + "".join(f"<li>{_esc(s)}</li>" for s in eo.get("explanation", [])) + "</ul>")
    if report.get("job_failed"):
        parts.append(f'<p class="bad">The job failed for good: {_esc(report["job_failed"])}</p>')
    if "final_counts" in report:
        counts = ", ".join(f"{_esc(k)}={_esc(v)}" for k, v in report["final_counts"].items()) or "(none)"
        parts.append(f"<p>Final counts: {counts} · restarts: {_esc(report.get('restarts'))} · "
                     f"run ended: {_esc(report.get('run_end'))}</p>")
    return "\n".join(parts)


def _checkpoints(report: dict, trace) -> str:
    rows = [[_esc(c["id"]), f'<span class="st-{_esc(c["status"])}">{_esc(c["status"])}</span>', _esc(c.get("reason")),
             _ms(c.get("trigger_time")), _ms(c.get("end_to_end_duration")), _ms(c.get("alignment_duration")),
             _ms(c.get("start_delay")), _esc(c.get("checkpointed_size")), _esc(c.get("persisted_in_flight"))]
            for c in report.get("checkpoints", [])]
    table = _table(["id", "status", "reason", "triggered (ms)", "end to end (ms)", "alignment (ms)",
                    "start delay (ms)", "size (bytes)", "persisted in-flight"], rows)
    return table + (_chart_svg(trace) if rows else "")


def _chart_svg(trace) -> str:
    from .checkpoints import checkpoint_chart

    fig = own_figure()
    checkpoint_chart(trace, ax=fig.add_subplot())
    return f'<div class="chart">{figure_svg(fig)}</div>'


def _other_svg(trace) -> str:
    """The natural diagram of a gate or Chandy-Lamport run."""
    from . import auto_kind, view

    fig = own_figure()
    view(auto_kind(trace))(trace, ax=fig.add_subplot())
    return f'<div class="chart">{figure_svg(fig)}</div>'


def _failovers(report: dict) -> str:
    rows = [[_ms(f["t"]), _esc(f.get("task") or "the coordinator"), _esc(f.get("reason")),
             _esc(", ".join(f.get("restarted") or [])), _esc(f.get("outcome")), _esc(f.get("restored_checkpoint")),
             _ms(f.get("delay"))] for f in report.get("failovers", [])]
    return _table(["failed at (ms)", "failed task", "reason", "tasks restarted", "outcome", "restored checkpoint",
                   "restart delay (ms)"], rows)


def _transactions(report: dict) -> str:
    rows = [[f'<span title="{_esc(x["id"])}">{_esc(txn_text(x["id"], of=False))}</span>', _esc(x.get("task")), _esc(x.get("checkpoint")),
             f'<span class="st-{_esc(x["status"])}">{_esc(x["status"])}</span>', _esc(x.get("records")),
             _ms(x.get("began")), _ms(x.get("ended")), _esc(x.get("cause"))] for x in report.get("transactions", [])]
    return _table(["transaction", "sink", "checkpoint", "status", "records", "began (ms)", "ended (ms)", "cause"], rows)


def _readers(report: dict) -> str:
    rows = [[f"<code>{_esc(name)}</code>", _esc(len(values)), " ".join(f"<code>{_esc(v)}</code>" for v in values[:200])
             + (" …" if len(values) > 200 else "")] for name, values in report.get("consumers", {}).items()]
    return _table(["reader", "records read", "values, in reading order"], rows)


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _player(trace) -> str:
    svg, geo = timing_svg(trace)
    data = _data(trace, geo)
    buttons = "".join(f'<span class="step"><button data-kind="{k}" data-dir="-1" title="previous {k}">◀</button>'
                      f'{k}<button data-kind="{k}" data-dir="1" title="next {k}">▶</button></span>'
                      for k in MOMENT_KINDS)
    return (f'<div id="diagram" title="click to see the state at that instant">{svg}<div id="cursor"></div>'
            f'<div id="tip"></div></div>\n'
            f'<div id="controls"><button data-dir="-1" data-kind="event" title="previous event (←)">◀ event</button>'
            f'<input id="slider" type="range" min="0" max="{len(data["times"]) - 1}" value="0">'
            f'<button data-dir="1" data-kind="event" title="next event (→)">event ▶</button> {buttons}</div>\n'
            f'<div id="state" aria-live="polite"><p>Click on the diagram to see the state at that instant.</p></div>\n'
            f'<script type="application/json" id="snapsim-data">{_json_script(data)}</script>')


def render_html(trace, report: dict) -> str:
    """The report page of a run (see the module docstring) as one HTML string."""
    title = _esc(report.get("scenario"))
    sections = [f"<h1>{title}</h1>", f'<p class="desc">{_esc(report.get("description"))}</p>',
                '<h2 id="verdict">Verdict</h2>', _verdict(report)]
    if report.get("kind") == "job":
        sections += ['<h2 id="timing">Timing diagram and state at an instant</h2>',
                     "<p class='hint'>Click on the diagram, drag the slider, use ← → or step to the next "
                     "barrier, snapshot, crash, restore or commit. Hover to see what happened where.</p>",
                     _player(trace),
                     '<h2 id="checkpoints">Checkpoints</h2>', _checkpoints(report, trace),
                     '<h2 id="failovers">Failovers</h2>', _failovers(report),
                     '<h2 id="transactions">Transactions</h2>', _transactions(report),
                     '<h2 id="readers">What each reader saw</h2>', _readers(report)]
    else:
        result = report.get("gate") or report.get("snapshots")
        sections += ['<h2 id="picture">Diagram</h2>', _other_svg(trace),
                     '<h2 id="result">Result</h2>', f'<pre class="json">{_esc(json.dumps(result, indent=1))}</pre>']
    stats = report.get("stats") or {}
    sections.append(f"<footer>snapsim · seed {_esc(report.get('seed'))} · simulated {_ms(stats.get('sim_time_ms'))} ms"
                    f" · {_esc(stats.get('events'))} events · trace level {_esc(_level(trace))}</footer>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title} · snapsim</title>"
            f"<style>{_asset('report.css')}</style></head>\n<body>\n" + "\n".join(sections) +
            (f"\n<script>{_asset('report.js')}</script>" if report.get("kind") == "job" else "") +
            "\n</body></html>\n")


def _level(trace) -> str:
    start = next((e for e in trace if e["kind"] == "run_start"), {})
    return start.get("level") or getattr(trace, "level", "full")
