"""The ``snapsim`` command: parse, call the library, print, pick the exit code.

Exit codes: 0 every expectation holds; 1 a run finished but an expectation failed; 2 bad input
(unreadable file, invalid scenario, bad option, an output path that cannot be written), always with
a one-paragraph message, before anything runs, and never a traceback. Under ``--json`` bad input
also prints ``{"ok": false, "error": {...}}`` on stdout.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .scenario import ScenarioError

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


PICTURES = (".png", ".svg", ".pdf")


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
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object and nothing else.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing; only the exit code tells.")
def run(file, seed, overrides, trace_out, trace_level, diagram_out, as_json, quiet) -> None:
    """Run a scenario FILE (or the NAME of a shipped one) and check its expectations."""
    from .api import load_scenario, run as run_scenario

    _output(trace_out, "--trace")
    _output(diagram_out, "--diagram", PICTURES)
    try:
        scenario = load_scenario(_scenario_path(file), overrides, seed)
        outcome = run_scenario(scenario, trace_level=trace_level)
    except ScenarioError as exc:          # also raised mid-run (e.g. a send of tokens a process lacks)
        raise _bad(exc) from None
    if trace_out:
        _write(trace_out, outcome.trace.dumps())
    if diagram_out:
        from .analysis.diagram import save_diagram
        save_diagram(outcome.trace, diagram_out)
    if as_json:
        click.echo(json.dumps(outcome.report, ensure_ascii=False))
    elif not quiet:
        from .cli_render import print_report
        print_report(outcome.report)
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


@cli.command()
@click.argument("trace_file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The picture (.png/.svg).")
@click.option("--from", "start", type=str, help="Start of the time window (e.g. 200ms, 1s).")
@click.option("--to", "end", type=str, help="End of the time window.")
@click.option("--kind", type=click.Choice(["timing", "gate", "checkpoints", "auto"]), default="auto",
              show_default=True)
def diagram(trace_file, output, start, end, kind) -> None:
    """Draw a saved TRACE_FILE (JSON Lines) as a diagram."""
    from .analysis.diagram import save_diagram
    from .scenario import parse_duration
    from .trace import Trace

    _output(output, "-o", PICTURES)
    try:
        trace = Trace.read(trace_file)
    except FileNotFoundError:
        raise BadInput(f"{trace_file}: no such file") from None
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise BadInput(f"{trace_file}: not a snapsim trace ({exc.__class__.__name__}: {exc})") from None
    try:
        window = (parse_duration(start) if start else None, parse_duration(end) if end else None)
    except ValueError as exc:
        raise BadInput(f"--from/--to: {exc}") from None
    try:
        save_diagram(trace, output, kind=kind, window=window)
    except (KeyError, TypeError, IndexError) as exc:       # events without the fields their kind has
        raise BadInput(f"{trace_file}: not a snapsim trace (an event lacks {exc})") from None
    click.echo(f"wrote {output}")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--vary", "vary", multiple=True, required=True, metavar="KEY.PATH=V1,V2,...",
              help="A key and the values to try (repeat for a grid).")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
@click.option("--seed", type=int, help="Override the scenario's seed.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Plot the first varied key (.png/.svg).")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
def sweep(file, vary, workers, seed, output, as_json) -> None:
    """Run FILE once per combination of --vary values and compare the results."""
    from .explore import sweep as run_sweep

    _output(output, "-o", PICTURES)
    grid = {}
    for item in vary:
        key, sep, values = item.partition("=")
        if not sep or not values:
            raise BadInput(f"--vary takes key.path=v1,v2,... (e.g. checkpointing.interval=100ms,1s), got {item!r}")
        grid[key.strip()] = [v.strip() for v in values.split(",")]
    try:
        rows = run_sweep(_scenario_path(file), grid, workers, seed)
    except ScenarioError as exc:
        if exc.file and exc.file.startswith("option --set "):      # a sweep sets its --vary values
            exc.file = "option --vary " + exc.file.removeprefix("option --set ")
        raise _bad(exc) from None
    if output:
        from .cli_render import plot_sweep
        plot_sweep(rows, next(iter(grid)), output)
    if as_json:
        click.echo(json.dumps(rows))
    else:
        from .cli_render import print_rows
        print_rows(rows, "sweep of " + ", ".join(grid))
    sys.exit(EXIT_OK if all(r["ok"] for r in rows) else EXIT_FAILED)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--crash-points", "points", default="20", show_default=True, help="How many crash instants.")
@click.option("--task", help="Crash only this operator (default: each in turn).")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
def explore(file, points, task, workers, as_json) -> None:
    """Crash FILE's job at many instants and show which crashes break exactly-once."""
    from .explore import explore as run_explore

    if points == "all":
        points = "50"
    if not points.isdigit() or not 1 <= int(points) <= 10_000:
        raise BadInput(f"--crash-points takes a number from 1 to 10000 or 'all', got {points!r}")
    file = _scenario_path(file)
    _check_task(file, task)
    try:
        rows = run_explore(file, int(points), task, workers)
    except ScenarioError as exc:
        raise _bad(exc) from None
    except ValueError as exc:
        raise BadInput(f"{file}: {exc}") from None
    if as_json:
        click.echo(json.dumps(rows))
    else:
        from .cli_render import print_rows
        print_rows(rows, "crash points")
    sys.exit(EXIT_OK if all(r["exactly_once"] for r in rows) else EXIT_FAILED)


def _check_task(file: str, task: str | None) -> None:
    """--task must name an operator of FILE's job (blamed on the option, not the file)."""
    from .api import load_scenario

    if task is None:
        return
    try:
        scenario = load_scenario(file)
    except ScenarioError as exc:
        raise _bad(exc) from None
    names = [op.name for op in getattr(getattr(scenario, "job", None), "operators", [])]
    if task not in names:
        raise BadInput(f"--task {task}: not an operator of {file}'s job (operators: {', '.join(names) or 'none'})")


@cli.command()
@click.option("--scenarios", default="scenarios", show_default=True, type=click.Path(file_okay=False))
@click.option("-o", "--output", default="figures", show_default=True, type=click.Path(file_okay=False))
def figures(scenarios, output) -> None:
    """Regenerate the figures/ pictures from the shipped scenarios."""
    from .figures import make_figures

    if Path(output).exists() and not Path(output).is_dir():
        raise BadInput(f"-o {output}: is a file, not a folder")
    if not Path(scenarios).is_dir():
        raise BadInput(f"{scenarios}: no such directory (run from the project folder or pass --scenarios)")
    try:
        for path in make_figures(Path(scenarios), Path(output)):
            click.echo(f"wrote {path}")
    except ScenarioError as exc:
        raise _bad(exc) from None


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
    """The console script: run the command, print errors as one paragraph, exit 0, 1 or 2."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        cli.main(args=args, prog_name="snapsim", standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        if "--json" in args:
            error = getattr(exc, "error", None) or {"message": exc.format_message()}
            click.echo(json.dumps({"ok": False, "error": error}, ensure_ascii=False))
        exc.show()
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    sys.exit(EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()
