"""The ``snapsim`` command: parse, call the library, print, pick the exit code.

Exit codes: 0 every expectation holds; 1 a run finished but an expectation failed; 2 bad input
(unreadable file, invalid scenario, bad option, an output path that cannot be written), always with
a one-paragraph message, before anything runs, and never a traceback. Under ``--json`` bad input
also prints ``{"ok": false, "error": {...}}`` on stdout.
"""
from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import click

from .errors import ScenarioError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class BadInput(click.ClickException):
    """Bad input: printed as one ``error:`` paragraph; ``error`` is its JSON form."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, error: dict | None = None) -> None:
        super().__init__(message)
        self.error = error or {"message": message}

    def show(self, file=None) -> None:
        click.echo(f"error: {self.message}", err=True)


def _bad(exc: ScenarioError) -> BadInput:
    return BadInput(str(exc), {"message": exc.message, "file": exc.file, "line": exc.line, "key": exc.path})


def _output(path: str | None, option: str, suffixes=()) -> None:
    """Refuse, before anything runs, an output path that cannot be written."""
    if not path:
        return
    p = Path(path)
    if suffixes and p.suffix.lower() not in suffixes:
        raise BadInput(f"{option} {path}: expected a file name ending in {', '.join(suffixes)}")
    if p.is_dir():
        raise BadInput(f"{option} {path}: is a directory, not a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise BadInput(f"{option} {path}: the folder {parent} does not exist")
    existed = p.exists()
    try:                                  # the only sure test (permissions, read-only mounts, /proc)
        with open(p, "a", encoding="utf-8"):
            pass
        if not existed:
            p.unlink()
    except OSError as exc:
        raise BadInput(f"{option} {path}: cannot write there ({exc.strerror or exc})") from None


def _echo_json(obj, ensure_ascii: bool = False) -> None:
    """Print ``obj`` as one JSON document (``--json``). NOTE: json is imported here, not at the top:
    a run without ``--json`` never needs it (and no other module of a small run imports it)."""
    import json

    click.echo(json.dumps(obj, ensure_ascii=ensure_ascii))


PICTURES = (".png", ".svg", ".pdf")
ROWS = (".jsonl", ".ndjson", ".csv")           # explore/sweep --out: one row per run


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="snapsim")
def cli() -> None:
    """snapsim: simulate Flink's barrier snapshots and Kafka transactions, end to end."""


@cli.command()
@click.argument("file", metavar="FILE|NAME")
@click.option("--seed", type=int, help="Override the scenario's seed.")
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE", help="Override a scenario key.")
@click.option("--trace", "trace_out", type=click.Path(dir_okay=False), help="Write the trace as JSON Lines.")
@click.option("--trace-level", type=click.Choice(["full", "control", "summary"]), help="Override run.trace.")
@click.option("--diagram", "diagram_out", type=click.Path(dir_okay=False), help="Draw the timing diagram (.png/.svg).")
@click.option("--style", type=click.Choice(["notebook", "slide"]), default="notebook", show_default=True,
              help="Picture style: slide = larger text for projection.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False), help="Write the one-page HTML report.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object and nothing else.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing; only the exit code tells.")
def run(file, seed, overrides, trace_out, trace_level, diagram_out, style, html_out, as_json, quiet) -> None:
    """Run a scenario FILE (or the NAME of a shipped one) and check its expectations."""
    from .api import load_scenario, run as run_scenario

    _output(trace_out, "--trace")
    _output(diagram_out, "--diagram", PICTURES)
    _output(html_out, "--html", (".html", ".htm"))
    try:
        scenario = load_scenario(_scenario_path(file), overrides, seed)
        outcome = run_scenario(scenario, trace_level=trace_level)
    except ScenarioError as exc:          # also raised mid-run (e.g. a send of tokens a process lacks)
        raise _bad(exc) from None
    if trace_out:
        _write(trace_out, outcome.trace.dumps())
    if diagram_out:
        from .analysis.views import save
        save(outcome.trace, diagram_out, style=style)
    if html_out:
        from .report import to_html
        _write(html_out, to_html(outcome))
    if as_json:
        _echo_json(outcome.report)
    elif not quiet:
        from .cli_render import print_report
        print_report(outcome.report, topics={c.name: c.topic for c in getattr(scenario, "consumers", ())})
    sys.exit(EXIT_OK if outcome.ok else EXIT_FAILED)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def check(files) -> None:
    """Validate scenario FILES without running them."""
    from .api import load_scenario

    bad = 0
    for f in files:
        try:
            s = load_scenario(_scenario_path(f))
            click.echo(f"ok    {f} ({s.kind}: {s.name})")
        except (ScenarioError, BadInput) as exc:
            bad += 1
            click.echo(f"error: {exc.message if isinstance(exc, BadInput) else exc}", err=True)
    sys.exit(EXIT_BAD_INPUT if bad else EXIT_OK)


@cli.command("list")
@click.option("--dir", "directory", type=click.Path(file_okay=False),
              help="List the scenarios of this folder instead of the shipped ones.")
def list_(directory) -> None:
    """List the shipped scenarios (or those of --dir); `snapsim run NAME` runs one."""
    from .api import load_scenario
    from .shipped import scenario_root

    root = Path(directory) if directory else scenario_root()
    if not root.is_dir():
        raise BadInput(f"--dir {directory}: no such directory" if directory else
                       f"the shipped scenarios are missing from this installation ({root})")
    for path in sorted(root.rglob("*.yaml")):
        name = path.relative_to(root).with_suffix("").as_posix()
        try:
            s = load_scenario(path)
            summary = " ".join(s.description.split())
            click.echo(f"{name:45s} {s.kind:15s} {summary[:90]}")
        except ScenarioError as exc:
            click.echo(f"{name:45s} invalid: {exc.message}")


def _scenario_path(file: str) -> str:
    """FILE as given, or the shipped scenario called FILE (``hello_world``, ``gates/subsumed``)."""
    from .shipped import find_scenario

    if Path(file).exists():
        return file
    found = find_scenario(file)
    if found is None:
        raise _bad(ScenarioError("no such file, and no shipped scenario of that name (snapsim list shows "
                                 "them)", file=file))
    return str(found)


def _read_trace(trace_file: str):
    from .trace import Trace, TraceFormatError

    try:
        return Trace.read(trace_file)
    except FileNotFoundError:
        raise BadInput(f"{trace_file}: no such file") from None
    except TraceFormatError as exc:
        raise BadInput(f"{trace_file}: not a snapsim trace ({exc})") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise BadInput(f"{trace_file}: not a snapsim trace ({exc.__class__.__name__}: {exc})") from None


def _view_kinds() -> list[str]:
    from .analysis.views import VIEWS
    return [*VIEWS, "auto"]


@cli.command()
@click.argument("trace_file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The picture (.png/.svg/.pdf).")
@click.option("--from", "start", type=str, help="Start of the time window (e.g. 200ms, 1s).")
@click.option("--to", "end", type=str, help="End of the time window.")
@click.option("--kind", type=click.Choice(_view_kinds()), default="auto", show_default=True)
@click.option("--style", type=click.Choice(["notebook", "slide"]), default="notebook", show_default=True,
              help="Picture style: slide = larger text for projection.")
def diagram(trace_file, output, start, end, kind, style) -> None:
    """Draw a saved TRACE_FILE (JSON Lines) as a diagram."""
    from .analysis.views import save
    from .scenario import parse_duration

    _output(output, "-o", PICTURES)
    trace = _read_trace(trace_file)
    try:
        window = (parse_duration(start) if start else None, parse_duration(end) if end else None)
    except ValueError as exc:
        raise BadInput(f"--from/--to: {exc}") from None
    if None not in window and window[0] >= window[1]:
        raise BadInput(f"--from {start} --to {end}: the window is empty (--from must be before --to)")
    try:
        save(trace, output, kind=kind, window=window, style=style)
    except ValueError as exc:
        raise BadInput(f"{trace_file}: {exc}") from None
    except (KeyError, TypeError, IndexError) as exc:       # events without the fields their kind has
        raise BadInput(f"{trace_file}: not a snapsim trace (an event lacks {exc})") from None
    except OSError as exc:
        raise BadInput(f"cannot write {output}: {exc}") from None
    click.echo(f"wrote {output}")


@cli.command()
@click.argument("trace_file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", required=True, type=click.Choice(["perfetto", "shiviz"]),
              help="perfetto: Chrome/Perfetto trace-event JSON (ui.perfetto.dev); shiviz: a ShiViz log.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The file to write.")
def export(trace_file, fmt, output) -> None:
    """Write a saved TRACE_FILE in a format that standard trace viewers open."""
    from .analysis.views.export import write_export

    _output(output, "-o")
    trace = _read_trace(trace_file)
    try:
        with open(output, "w", encoding="utf-8") as fp:
            write_export(trace, fmt, fp)
    except (KeyError, TypeError, IndexError) as exc:
        raise BadInput(f"{trace_file}: not a snapsim trace (an event lacks {exc})") from None
    except OSError as exc:
        raise BadInput(f"cannot write {output}: {exc}") from None
    click.echo(f"wrote {output}")


def _many_options(fn):
    """Options shared by sweep and explore: where the runs go, where the rows go, what is printed."""
    for option in reversed([
        click.option("--workers", type=int, help="Run on a local Dask cluster of N worker processes."),
        click.option("--scheduler", metavar="ADDRESS", help="Run on an existing Dask scheduler (tcp://host:8786)."),
        click.option("--seed", type=int, help="Override the scenario's seed."),
        click.option("--out", "rows_out", type=click.Path(dir_okay=False),
                     help="Write one row per run (.jsonl or .csv; loads into pandas)."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object and nothing else."),
        click.option("--quiet", "-q", is_flag=True, help="Print nothing; only the exit code tells.")]):
        fn = option(fn)
    return fn


def _many(call, as_json: bool, quiet: bool, title: str):
    """Run ``call(progress)`` with a progress bar on a terminal; bad input and Dask trouble exit 2."""
    from .cli_render import progress_bar
    from .explore import RunnerError

    try:
        with progress_bar(title, enabled=not (as_json or quiet) and sys.stderr.isatty()) as progress:
            return call(progress)
    except ScenarioError as exc:
        raise _bad(exc) from None
    except (ValueError, RunnerError) as exc:
        raise BadInput(str(exc)) from None


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--vary", "vary", multiple=True, required=True, metavar="KEY.PATH=V1,V2,...",
              help="A key and the values to try (repeat for a grid).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Plot the first varied key (.png/.svg).")
@_many_options
def sweep(file, vary, workers, scheduler, seed, rows_out, as_json, quiet, output) -> None:
    """Run FILE once per combination of --vary values and compare the results."""
    from .explore import sweep as run_sweep, write_rows

    _output(output, "-o", PICTURES)
    grid = {}
    for item in vary:
        key, sep, values = item.partition("=")
        if not sep or not values:
            raise BadInput(f"--vary takes key.path=v1,v2,... (e.g. checkpointing.interval=100ms,1s), got {item!r}")
        grid[key.strip()] = [v.strip() for v in values.split(",")]
    _output(rows_out, "--out", ROWS)

    def call(progress):
        try:
            return run_sweep(_scenario_path(file), grid, workers, seed, scheduler=scheduler, progress=progress)
        except ScenarioError as exc:
            if exc.file and exc.file.startswith("option --set "):      # a sweep sets its --vary values
                exc.file = "option --vary " + exc.file.removeprefix("option --set ")
            raise

    rows = _many(call, as_json, quiet, "sweep")
    if rows_out:
        write_rows(rows, rows_out)
    if output:
        from .cli_render import plot_sweep
        plot_sweep(rows, next(iter(grid)), output)
    if as_json:
        _echo_json(rows, ensure_ascii=True)
    elif not quiet:
        from .cli_render import print_rows
        print_rows(rows, f"sweep of {', '.join(grid)}: {len(rows)} runs in {rows.wall_seconds:.2f} s on "
                         f"{rows.where} ({rows.runs_per_second} runs/s)", list(grid))
    sys.exit(EXIT_OK if all(r["ok"] for r in rows) else EXIT_FAILED)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--crash-points", "points", default="all", show_default=True,
              help="'all': every crash point; N: N of them, sampled.")
@click.option("--double", "pairs", type=int, default=0, help="Sample N double crashes (pairs) instead.")
@click.option("--task", "tasks", multiple=True, help="Crash only this task or operator (repeatable; default all).")
@click.option("--no-faults", is_flag=True, help="Drop the scenario's own faults (they stay by default).")
@click.option("--no-skip", is_flag=True, help="Run every point, even those provably equivalent to another.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Draw the crash-point map (.png/.svg/.pdf).")
@_many_options
def explore(file, points, pairs, tasks, no_faults, no_skip, workers, scheduler, seed, rows_out, as_json, quiet,
            output) -> None:
    """Crash FILE's job at every point where a crash can matter; show where exactly-once breaks."""
    from .explore import explore as run_explore, write_rows

    if points != "all" and (not points.isdigit() or not 1 <= int(points) <= 200_000):
        raise BadInput(f"--crash-points takes 'all' or a number from 1 to 200000, got {points!r}")
    if not 0 <= pairs <= 200_000:
        raise BadInput(f"--double takes a number of pairs from 1 to 200000, got {pairs}")
    _output(output, "-o", PICTURES)
    _output(rows_out, "--out", ROWS)
    file = _scenario_path(file)
    found = _many(lambda progress: run_explore(
        file, points, tasks, faults=not no_faults, pairs=pairs, skip=not no_skip, workers=workers,
        scheduler=scheduler, seed=seed, progress=progress), as_json, quiet, "crash points")
    summary = found.summary()
    if rows_out:
        write_rows(found.rows, rows_out)
    if output:
        from .analysis.views.crash_map import save_crash_map
        save_crash_map(found, output)
    if as_json:
        _echo_json(summary)
    elif not quiet:
        from .cli_render import print_exploration
        print_exploration(summary)
        if output:
            click.echo(f"wrote {output}")
    sys.exit(EXIT_OK if found.ok else EXIT_FAILED)


@cli.command()
@click.option("--scenarios", type=click.Path(file_okay=False), help="Scenario folder (default: the shipped ones).")
@click.option("-o", "--output", default="figures", show_default=True, type=click.Path(file_okay=False))
def figures(scenarios, output) -> None:
    """Regenerate the figures/ pictures from the shipped scenarios."""
    from .figures import make_figures, make_screenshots
    from .shipped import scenario_root

    scenarios = scenarios or str(scenario_root())
    if not Path(scenarios).is_dir():
        raise BadInput(f"--scenarios {scenarios}: no such directory")
    if Path(output).exists() and not Path(output).is_dir():
        raise BadInput(f"-o {output}: is a file, not a folder")
    try:                                   # the folder must exist and take files before anything runs
        Path(output).mkdir(parents=True, exist_ok=True)
        _output(str(Path(output) / ".snapsim-write-test"), "-o")
    except OSError as exc:
        raise BadInput(f"-o {output}: cannot write there ({exc.strerror or exc})") from None
    try:
        for path in make_figures(Path(scenarios), Path(output)):
            click.echo(f"wrote {path}")
    except ScenarioError as exc:
        raise _bad(exc) from None
    from .analysis.views.browser import BrowserError, find_browser
    if find_browser() is None:
        click.echo("skipped the report screenshots: no headless Chromium (install Debian's 'chromium')", err=True)
        return
    try:
        for path in make_screenshots(Path(scenarios), Path(output)):
            click.echo(f"wrote {path}")
    except BrowserError as exc:
        raise click.ClickException(f"report screenshot: {exc}") from None


@cli.command("import-cos418")
@click.argument("top", type=click.Path(dir_okay=False))
@click.argument("events", type=click.Path(dir_okay=False))
@click.argument("snaps", nargs=-1, type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the scenario here (default: stdout).")
def import_cos418_cmd(top, events, snaps, output) -> None:
    """Turn COS 418 Chandy-Lamport test data (TOP EVENTS [SNAPS...]) into a scenario."""
    import yaml

    from .scenario import parse_scenario
    from .scenario.cos418 import import_cos418

    _output(output, "-o")
    texts = {}
    for path in (top, events, *snaps):
        try:
            texts[path] = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        data = import_cos418(texts[top], texts[events], [texts[s] for s in snaps], Path(events).stem,
                             top, events)
        text = yaml.safe_dump(data, sort_keys=False, default_flow_style=None)
        parse_scenario(text, output or "<imported>")
    except ScenarioError as exc:
        raise _bad(exc) from None
    if output:
        _write(output, text)
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot write {path}: {exc}") from None


def main(argv: list[str] | None = None) -> None:
    """The console script: run the command, print errors as one paragraph, exit 0, 1 or 2.

    ``argv`` None: the process is this program (arguments from ``sys.argv``).
    """
    if argv is not None:
        return _main(list(argv))
    # NOTE: pydantic looks for plugins (the ``pydantic`` entry points of every installed
    # distribution) when it builds its first model: 1.5 % of a small run's instructions here, more
    # with more packages installed. This process validates only snapsim's own scenario models,
    # so the program (not the library) turns the search off; PYDANTIC_DISABLE_PLUGINS set by the
    # user, even empty (no plugin disabled), wins. Dask workers it starts inherit it.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # NOTE: the process is one command. What it imported (modules, classes, the scenario models)
    # lives until it ends, so the cyclic collector need not walk it again: freeze moves it to
    # the permanent generation (_import_quietly). At exit, Python's final collection walks every
    # object still tracked; freezing them first skips that walk (about a fifth of a small run's
    # process). Objects made in between are collected as usual (an exploration's many runs).
    _import_quietly()
    try:
        _main(sys.argv[1:])
    finally:
        gc.freeze()


def _import_quietly() -> None:
    """Import what every command uses with the cyclic collector off, then freeze it.

    NOTE: the imports make some hundred thousand objects (pydantic's schemas, the scenario models,
    classes, functions) that live until the process ends. With the collector on, its passes
    over them while they are made find no garbage; turned back on after them, its first pass would
    walk them all at once. Frozen first, it never walks them (about 6 % of a small run's process).
    ``import sim.cli`` imports none of them (``sim`` imports its names on first use), so this is
    where they are imported.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        from . import api  # noqa: F401  (load, run and judge: pydantic, the models, the runtime's entry)
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


def _main(args: list[str]) -> None:
    try:
        cli.main(args=args, prog_name="snapsim", standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        if "--json" in args:
            error = getattr(exc, "error", None) or {"message": exc.format_message()}
            _echo_json({"ok": False, "error": error})
        exc.show()
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    sys.exit(EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()
