"""``python -m sim.course build [NOTEBOOK ...]`` stores fresh outputs; ``verify`` reports stale ones.

Exit codes: 0 all done / all fresh, 1 a notebook is stale or a cell failed, 2 bad arguments.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .build import build, differences, execute, notebooks

USAGE = "usage: python -m sim.course build|verify [NOTEBOOK.ipynb ...]"


def main(argv: list[str]) -> int:
    """Run the command; returns the exit code."""
    if not argv or argv[0] not in ("build", "verify"):
        print(USAGE, file=sys.stderr)
        return 2
    paths = [Path(p) for p in argv[1:]] or notebooks()
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"error: no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    import nbformat
    from nbclient.exceptions import CellExecutionError
    status = 0
    for path in paths:
        try:
            if argv[0] == "build":
                build(path)
                print(f"built {path.name}")
                continue
            stale = differences(nbformat.read(path, as_version=4), execute(path))
        except CellExecutionError as err:
            lines = [line for line in str(err).splitlines() if line.strip()]
            print(f"FAILED {path.name}:", *lines[-12:], sep="\n  ", file=sys.stderr)
            status = 1
            continue
        print(f"{'stale' if stale else 'fresh'} {path.name}", *stale, sep="\n  ")
        status = status or int(bool(stale))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
