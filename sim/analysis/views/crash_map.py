"""The crash-point map: where in a job's life a crash breaks exactly-once.

Time on x, one lane per task on y; each window of crash times is coloured by what a crash of
that task there did (exactly once, duplicate, over-count, loss, job failed). When the run without
an added crash (the baseline) is already not exactly-once, a cell that did no more harm than the
baseline is grey ("as without the added crash"), so the colours show only where a crash makes it worse. Drawn over it, from
the baseline run's trace: checkpoint completions (vertical rules), the sink transactions (one
lane per sink subtask, a bar from begin to commit or abort), the scenario's own crashes and the
spans where the job was down. A strip below counts the damaged values per crash time, so a
map that is one colour (a job that loses data whatever happens) still shows where it loses more.
Input is plain data: the exploration's rows (dicts) and the baseline trace.
"""
from __future__ import annotations

from ..metrics import transactions

__all__ = ["COLOURS", "crash_map", "save_crash_map"]

#: outcome -> colour (Okabe-Ito: colour-blind safe); unexplored windows stay white
COLOURS = {"exactly_once": "#009E73", "duplicate": "#F0E442", "overcount": "#E69F00", "loss": "#D55E00",
           "job_failed": "#000000"}
LABELS = {"exactly_once": "exactly once", "duplicate": "duplicate", "overcount": "over-count", "loss": "loss",
          "job_failed": "job failed"}
#: a cell no worse than the baseline, when the baseline itself is not exactly once
SAME = "#DDDDDD"
# NOTE: the timing diagram's transaction colours: green committed, vermillion aborted, light blue open
TXN = {"committed": "#009E73", "aborted": "#D55E00", "open": "#BFE3F7"}
STYLES = {"notebook": {"size": (11, 5.2), "font": 9}, "slide": {"size": (13.3, 7.2), "font": 14}}


def _merged(rows):
    """(task, start, end, outcome) spans, consecutive windows of one outcome joined."""
    spans = []
    for r in sorted(rows, key=lambda r: (r["task"], r["window_start"])):
        last = spans[-1] if spans else None
        if last and last[0] == r["task"] and last[2] == r["window_start"] and last[3] == r["outcome"]:
            last[2] = r["window_end"]
        else:
            spans.append([r["task"], r["window_start"], r["window_end"], r["outcome"]])
    return spans


def _damage(r) -> int:
    return (r.get("lost") or 0) + (r.get("duplicates") or 0) + (r.get("overcounted") or 0)


def _relative(rows: list[dict], baseline: dict | None) -> list[dict]:
    """The rows, each outcome no worse than a damaged baseline's (same outcome, no more values hurt)
    renamed ``"same"``: then the map's colours mark only where the added crash does harm."""
    if not baseline or baseline.get("outcome") in (None, "exactly_once") or "lost" not in baseline:
        return rows
    limit = _damage(baseline)
    return [r | {"outcome": "same"} if r["outcome"] == baseline["outcome"] and _damage(r) <= limit else r
            for r in rows]


def _overlay(ax, trace, lanes: dict, end: float, font: float) -> None:
    """Checkpoint completions, sink transactions, own crashes and downtime of the baseline."""
    for e in trace:
        if e["kind"] == "checkpoint_complete":
            ax.axvline(e["t"], color="#0072B2", lw=1.2, zorder=3)
            right = e["t"] > 0.95 * end                  # near the right edge: label on the left
            ax.text(e["t"], -1.05, f" cp {e['checkpoint']} ", color="#0072B2", fontsize=font * 0.8,
                    va="top", ha="right" if right else "left", clip_on=True)
        elif e["kind"] == "task_crash" and e.get("task") in lanes:
            ax.plot(e["t"], lanes[e["task"]], marker="X", color="white", mec="black", ms=font, zorder=5)
    down, since = [], None
    for e in trace:
        if e["kind"] == "job_failing":
            since = e["t"]
        elif e["kind"] in ("job_restart", "job_failed", "run_end") and since is not None:
            down.append((since, e["t"] - since))
            since = None
    if down:
        # over the rows only (their cells span lane +-0.4), not the margins above and below them
        ax.broken_barh(down, (-0.4, len(lanes) - 0.2), facecolors=(1, 1, 1, 0.35), edgecolors="#555555", hatch="//",
                       lw=0, zorder=2)
    for txn in transactions(trace):
        lane = lanes.get(("txn", txn["task"]))
        if lane is None:
            continue
        stop = txn["ended"] if txn["ended"] is not None else end
        aborted = txn["status"] == "aborted"             # hatched: not told apart from a "loss" cell by colour alone
        ax.broken_barh([(txn["began"], stop - txn["began"])], (lane - 0.3, 0.6), facecolors=TXN[txn["status"]],
                       edgecolors="white", hatch="xx" if aborted else None, lw=0.5, zorder=3)
        if txn.get("checkpoint") and txn["status"] == "committed":    # the checkpoint whose completion committed it
            ax.text(txn["began"] + (stop - txn["began"]) / 2, lane, f"cp {txn['checkpoint']}", color="white",
                    fontsize=font * 0.7, ha="center", va="center", clip_on=True, zorder=4)


def crash_map(rows: list[dict], trace, tasks: list[str] | None = None, ax=None, damage_ax=None,
              style: str = "notebook", title: str | None = None, note: str | None = None,
              baseline: dict | None = None):
    """Draw the map on ``ax`` (and the damage strip on ``damage_ax``); returns the figure.

    ``note`` is a line under the title (e.g. what the baseline run did without an added crash);
    ``baseline`` (``Exploration.baseline``) greys out the cells no worse than the run without a crash.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    font = STYLES[style]["font"]
    if ax is None:
        fig, (ax, damage_ax) = plt.subplots(2, 1, figsize=STYLES[style]["size"], sharex=True,
                                            gridspec_kw={"height_ratios": [4, 1]})
    fig = ax.figure
    start = trace.first("run_start") or {}
    names, lanes = _map_lanes(rows, trace, start, tasks)
    rows = _relative(rows, baseline)
    single = [r for r in rows if r.get("task2") is None]
    end = max([r["window_end"] for r in rows] + [e["t"] for e in trace if e["kind"] == "run_end"] + [1.0])
    for task, a, b, outcome in _merged(single):
        if task in lanes:
            ax.broken_barh([(a, b - a)], (lanes[task] - 0.4, 0.8), facecolors=_colour(outcome), lw=0, zorder=1)
    _dots(ax, rows, lanes, len(single) < 200 and len(rows) < len(tasks) * 20, font)
    _overlay(ax, trace, lanes, end, font)
    ax.set_yticks(range(len(names)), names, fontsize=font)
    ax.set_ylim(len(names) - 0.5, -1.1)
    ax.set_xlim(0, end)
    ax.tick_params(labelsize=font)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    ax.set_title(title or f"Crash-point map: what a crash of each task at each instant does "
                          f"({start.get('scenario', '')})" + (f"\n{note}" if note else ""),
                 fontsize=font * 1.1, loc="left")
    _legend(ax, rows, trace, font, baseline)
    if damage_ax is not None:
        _damage_strip(damage_ax, single, font)
    fig.tight_layout()
    return fig


def _map_lanes(rows: list[dict], trace, start: dict, tasks: list[str] | None) -> tuple[list[str], dict]:
    """The map's row names and ``{task or ("txn", sink): row}``: the sinks' transactions on top, then
    the tasks as the trace lists them (or as the rows name them)."""
    tasks = tasks or [t["name"] if isinstance(t, dict) else t for t in start.get("tasks") or []] \
        or sorted({r["task"] for r in rows})
    sinks = sorted({t["task"] for t in transactions(trace) if t["task"]}, key=lambda t: (len(t), t))
    names = [f"txn {s}" for s in sinks] + list(tasks)
    lanes = {("txn", s): i for i, s in enumerate(sinks)}
    lanes.update({t: len(sinks) + i for i, t in enumerate(tasks)})
    return names, lanes


def _colour(outcome: str) -> str:
    return SAME if outcome == "same" else COLOURS[outcome]


def _dots(ax, rows, lanes, sparse: bool, font: float) -> None:
    """Sampled points (when few) and pairs: a dot at each crash, a line from the first to the second."""
    for r in rows:
        if r.get("task2") is not None or sparse and r["ran"]:
            ax.plot(r["at"], lanes[r["task"]], "o", color=_colour(r["outcome"]), mec="black", ms=font * 0.5, zorder=6)
        if r.get("task2") is not None:
            ax.plot([r["at"], r["at2"]], [lanes[r["task"]], lanes[r["task2"]]], color=_colour(r["outcome"]),
                    lw=0.8, zorder=5)
            ax.plot(r["at2"], lanes[r["task2"]], "o", mfc="none", mec=_colour(r["outcome"]), ms=font * 0.5, zorder=6)


def _legend(ax, rows, trace, font: float, baseline: dict | None = None) -> None:
    """Every glyph of the map, the outcomes that occur first."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    seen = [o for o in COLOURS if any(r["outcome"] == o for r in rows)]
    worse = " (worse than without it)" if any(r["outcome"] == "same" for r in rows) else ""
    handles = [Patch(color=COLOURS[o], label=LABELS[o] + worse) for o in seen]
    if worse:
        handles.insert(0, Patch(color=SAME, label=f"as without the added crash ({LABELS[baseline['outcome']]} "
                                                  f"of {_damage(baseline)})"))
    status = {t["status"] for t in transactions(trace)}
    handles += [Patch(color=TXN["committed"], label="transaction committed (cp n: its checkpoint)"),
                *([Patch(facecolor=TXN["aborted"], hatch="xx", edgecolor="white", label="transaction aborted")]
                  if "aborted" in status else []),
                *([Patch(color=TXN["open"], label="transaction open at the end")]
                  if any(t["status"] == "open" for t in transactions(trace)) else []),
                Patch(facecolor="white", edgecolor="#bbbbbb", label="no transaction open"),
                Patch(facecolor="none", edgecolor="#555555", hatch="//", label="job down (baseline)"),
                Line2D([], [], color="#0072B2", label="checkpoint completed"),
                Line2D([], [], marker="X", ls="", color="white", mec="black", label="a crash of the baseline run")]
    ax.legend(handles=handles, fontsize=font * 0.85, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def _damage_strip(ax, rows, font: float) -> None:
    from matplotlib.ticker import MaxNLocator

    worst: dict[tuple, int] = {}
    for r in rows:
        key = (r["window_start"], r["window_end"])
        worst[key] = max(worst.get(key, 0), _damage(r))
    spans = sorted(worst.items())
    xs, ys = [], []
    for (a, b), n in spans:             # a gap between windows (sampled mode) stays a gap
        if xs and xs[-1] != a:
            xs, ys = xs + [xs[-1]], ys + [float("nan")]
        xs, ys = xs + [a, b], ys + [n, n]
    if spans:
        ax.plot(xs, ys, color="#D55E00", lw=1.5)
        ax.fill_between(xs, [0 if y == y else float("nan") for y in ys], ys, color="#D55E00", alpha=0.25)
    ax.set_ylabel("values lost,\nduplicated or\nover-counted", fontsize=font * 0.85)
    ax.set_xlabel("crash time (simulated ms)", fontsize=font)
    ax.tick_params(labelsize=font)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=3))
    ax.set_ylim(0, max([1] + [n for _, n in spans]) * 1.15)


def save_crash_map(found, path, style: str = "notebook") -> None:
    """Draw an exploration (anything with ``rows``, ``baseline_trace`` and ``tasks``) to a file."""
    import matplotlib.pyplot as plt          # the library never switches the backend (pyplot picks Agg headless)

    runs = sum(r["ran"] for r in found.rows)
    note = (f"{len(found.rows)} crash points, {runs} runs; without an added crash the run "
            f"{found.baseline['detail']}")
    fig = crash_map(found.rows, found.baseline_trace, found.tasks, style=style, note=note, baseline=found.baseline)
    fig.savefig(path, dpi=150 if style == "notebook" else 100)
    plt.close(fig)
