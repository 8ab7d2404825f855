"""Human output of the CLI (rich tables). Only ``sim.cli`` imports this module."""
from __future__ import annotations

from contextlib import contextmanager

from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["print_report", "print_rows", "print_exploration", "progress_bar", "plot_sweep"]


def _ms(v) -> str:
    return "-" if v is None else f"{v:,.1f}"


def print_report(report: dict, console: Console | None = None, topics: dict | None = None) -> None:
    """Print a run's report; ``topics`` (consumer -> the topic it reads) names the readers' topics."""
    console = console or Console(highlight=False, width=max(110, Console().width))
    head = Text(f"{report['scenario']}", style="bold")
    head.append(f"  ({report['kind']}, seed {report['seed']})", style="dim")
    console.print(head)
    desc = " ".join((report.get("description") or "").split())
    if desc:
        console.print(Text(desc, style="dim"))
    kind = report["kind"]
    if kind == "job":
        _job(report, console, topics or {})
    elif kind == "gate":
        _gate(report, console)
    elif kind == "chandy_lamport":
        _snapshots(report, console)
    stats = report["stats"]
    console.print(Text(f"simulated {_ms(stats['sim_time_ms'])} ms in {stats['wall_seconds']:.3f} s wall, "
                       f"{stats.get('record_hops') or 0:,} record hops, {stats.get('events') or 0:,} events",
                       style="dim"))
    if report["ok"]:
        console.print(Text("✔ every expectation holds", style="bold green"))
    else:
        console.print(Text("✘ expectations failed:", style="bold red"))
        for f in report["failures"]:
            console.print(Text(f"  • {f}", style="red"))


MAX_EXPLANATIONS = 8


def _job(report: dict, console: Console, topics: dict) -> None:
    """Print a job run: the exactly-once verdict, counts, failovers, readers and checkpoints."""
    _verdict(report["exactly_once"], console)
    holds = report.get("lso_holds") or []
    if holds:
        # NOTE: not "stalled readers": a hold with nothing written behind it stalled nobody; each
        # sentence says whether records waited and which readers were held back
        console.print(Text("  transactions that held the last stable offset:", style="yellow"))
    for hold in holds:
        console.print(Text(f"    {hold['sentence']}", style="yellow"))
    counts = ", ".join(f"{k}={v}" for k, v in report["final_counts"].items())
    console.print(f"final counts: {counts or '(none)'}    restarts: {report['restarts']}"
                  + (f"    job failed: {report['job_failed']}" if report["job_failed"] else ""))
    _failovers(report.get("failovers") or [], console)
    if report["consumers"]:
        _consumers(report["consumers"], topics, console)
    if report["checkpoints"]:
        _checkpoints(report["checkpoints"], console)


def _verdict(eo: dict, console: Console) -> None:
    """Print the exactly-once verdict and its first explanations, so the outcome leads the report."""
    if not eo.get("judged", True):
        verdict = Text("exactly-once not judged", style="bold red")
    else:
        verdict = Text("exactly once", style="bold green") if eo["ok"] else Text("NOT exactly once", style="bold red")
        verdict.append(f"  (judged on what {eo.get('reader') or 'the read_committed reader'} read)", style="dim")
    console.print(verdict)
    shown = eo["explanation"][:MAX_EXPLANATIONS]
    for sentence in shown:
        console.print(Text(f"  {sentence}", style="green" if eo["ok"] else "yellow"))
    if len(eo["explanation"]) > len(shown):
        console.print(Text(f"  … and {len(eo['explanation']) - len(shown)} more cause(s); --json lists every "
                           f"value", style="dim"))


def _consumers(consumers: dict, topics: dict, console: Console) -> None:
    """Print what each consumer read, the first 12 values of each to keep it short; the title names
    the topic they read (one column of topics when they read several; none when not known)."""
    read = {topics.get(name) for name in consumers}
    title = f"readers of '{read.pop()}'" if len(read) == 1 and None not in read else "readers"
    t = Table(title=title, title_justify="left", show_edge=False)
    t.add_column("consumer")
    several = len(read) > 1 and None not in read
    if several:
        t.add_column("topic")
    t.add_column("values, in reading order")
    for name, values in consumers.items():
        shown = ", ".join(values[:12]) + (f", … ({len(values)} in all)" if len(values) > 12 else "")
        t.add_row(name, *([topics[name]] if several else []), shown)
    console.print(t)


def _checkpoints(cps: list, console: Console) -> None:
    """Print the first 20 checkpoints with their timings and sizes, and how many more there were."""
    t = Table(title="checkpoints (times in ms)", title_justify="left", show_edge=False)
    for col in ("id", "status", "trigger", "end-to-end", "alignment", "start delay", "size B",
                "persisted B"):
        t.add_column(col, justify="right" if col not in ("status",) else "left")
    for c in cps[:20]:
        style = {"completed": "green", "pending": "dim"}.get(c["status"], "red")
        status = c["status"] + (f" ({c['reason']})" if c["reason"] and c["reason"] != c["status"] else "")
        t.add_row(str(c["id"]), Text(status, style=style), _ms(c["trigger_time"]),
                  _ms(c["end_to_end_duration"]), _ms(c["alignment_duration"]), _ms(c["start_delay"]),
                  str(c.get("checkpointed_size") or "-"), str(c.get("persisted_in_flight") or "-"))
    if len(cps) > 20:
        t.add_row("…", f"{len(cps) - 20} more", "", "", "", "", "", "")
    console.print(t)


def _failovers(items: list, console: Console) -> None:
    """Each failover with its cause (at most 10 lines, then a count)."""
    from .analysis.failovers import describe_failover
    for f in items[:10]:
        what, then = describe_failover(f)
        console.print(Text(f"  failover at {what}", style="yellow"))
        console.print(Text(f"    → {then}", style="dim"))
    if len(items) > 10:
        console.print(Text(f"  … {len(items) - 10} more failovers", style="yellow"))


def _gate(report: dict, console: Console) -> None:
    g = report["gate"]
    t = Table(show_edge=False)
    t.add_column("")
    t.add_column("value")
    t.add_row("emitted (indexes)", str(g["emitted"]))
    t.add_row("triggered", str(g["triggered"]))
    t.add_row("aborted", str(g["aborted"]))
    t.add_row("blocked after each item", " ".join("{" + ",".join(map(str, b)) + "}" for b in g["blocked_after"]))
    if g["persisted"]:
        t.add_row("persisted (channel state)", str(g["persisted"]))
    if g["stored"]:
        t.add_row("stored for replay", str(g["stored"]))
    console.print(t)


def _snapshots(report: dict, console: Console) -> None:
    for snap in report["snapshots"]:
        t = Table(title=f"snapshot {snap['id']} (started by {snap.get('initiator', '?')})", title_justify="left",
                  show_edge=False)
        t.add_column("process / channel")
        t.add_column("recorded")
        for node, tokens in snap["nodes"].items():
            t.add_row(node, f"{tokens} token(s)")
        for ch, msgs in snap["channels"].items():
            if msgs:
                t.add_row(ch, "in flight: " + ", ".join(map(str, msgs)))
        console.print(t)


def print_rows(rows: list[dict], title: str, varied=(), console: Console | None = None) -> None:
    """A sweep's rows as one table, the varied keys first."""
    console = console or Console(highlight=False, width=max(170, Console().width))
    headers = {**{k: k for k in varied}, "exactly_once": "exactly once", "duplicates": "dup", "lost": "lost",
               "overcounted": "over", "restarts": "restarts", "job_failed": "failed",
               "restarted_tasks": "tasks restarted", "downtime_ms": "down ms", "checkpoints_completed": "cps",
               "end_to_end_ms": "e2e ms", "alignment_ms": "align ms", "persisted_bytes": "persisted B",
               "mean_read_latency_ms": "read latency ms"}
    keys = [k for k in headers if any(k in r for r in rows)]
    t = Table(title=title, title_justify="left", show_edge=False)
    for k in keys:
        t.add_column(headers[k], no_wrap=True)
    for r in rows:
        cells = []
        for k in keys:
            v = r.get(k)
            style = "red" if (k == "exactly_once" and v is False) else ""
            cells.append(Text("-" if v is None else str(v), style=style))
        t.add_row(*cells)
    console.print(t)


def plot_sweep(rows: list[dict], key: str, path: str) -> None:
    """Checkpoint duration and read latency against the varied key (matplotlib, headless)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [str(r[key]) for r in rows]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for metric, style in (("end_to_end_ms", "o-"), ("alignment_ms", "s--"), ("mean_read_latency_ms", "^:")):
        ys = [r.get(metric) for r in rows]
        if any(y is not None for y in ys):
            ax.plot(xs, [y if y is not None else float("nan") for y in ys], style, label=metric.replace("_", " "))
    ax.set_xlabel(key)
    ax.set_ylabel("ms")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


@contextmanager
def progress_bar(title: str, enabled: bool = True):
    """A rich progress bar on stderr; yields the ``progress(done, total)`` callback (None if off)."""
    if not enabled:
        yield None
        return
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)    # explorations and sweeps only

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
               TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(title, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def print_exploration(summary: dict, console: Console | None = None) -> None:
    """What an exploration found: points, runs, outcomes, and each violating window."""
    console = console or Console(highlight=False, width=max(110, Console().width))
    console.print(Text(f"{summary['scenario']}: crash-point exploration ({summary['mode']})", style="bold"))
    kept = summary["faults_kept"]
    console.print(Text("the scenario's own faults stay: " + "; ".join(kept) if kept
                       else "no fault of the scenario's own (or --no-faults)", style="dim"))
    console.print(f"baseline (no added crash): {summary['baseline']['detail']}")
    skipped = ", ".join(f"{n} {why}" for why, n in summary["skipped"].items()) or "none"
    console.print(f"{summary['points']} crash points over {len(summary['tasks'])} task(s); {summary['runs']} run "
                  f"in {summary['wall_seconds']:.2f} s on {summary['where']}; skipped as equivalent: {skipped}")
    t = Table(title=f"{len(summary['outcomes'])} distinct outcome(s)", title_justify="left", show_edge=False)
    t.add_column("points", justify="right")
    t.add_column("outcome")
    for detail, n in sorted(summary["outcomes"].items(), key=lambda kv: -kv[1]):
        t.add_row(str(n), detail)
    console.print(t)
    for line in summary["violations"]:
        console.print(Text(f"  • {line}", style="red"))
    if not summary["points"]:
        console.print(Text("✘ no crash point to explore: the run has no two distinct event instants",
                           style="bold red"))
    elif summary["ok"]:
        console.print(Text("✔ no explored crash breaks exactly-once", style="bold green"))
    else:
        console.print(Text(f"✘ {len(summary['violations'])} window(s) where a crash breaks exactly-once",
                           style="bold red"))
