"""The run report as one self-contained HTML page: ``sim.report.to_html(run)``.

A thin entry point over :mod:`sim.analysis.views.html`, which reads only the run's trace and its
report (itself computed from the trace).
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["to_html", "write_html"]


def to_html(run) -> str:
    """The HTML report page of a finished :class:`sim.api.Run`."""
    from .analysis.views.html import render_html
    return render_html(run.trace, run.report)


def write_html(run, path: str | Path) -> None:
    """Write :func:`to_html` of ``run`` to ``path`` (UTF-8)."""
    Path(path).write_text(to_html(run), encoding="utf-8")
