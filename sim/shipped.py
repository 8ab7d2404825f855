"""The scenarios shipped with snapsim, found from any directory.

An installed snapsim carries them as the package data ``sim.scenarios`` (``pyproject.toml`` maps
the repository's ``scenarios/`` folder there); a checkout (or an editable install) reads the
``scenarios/`` folder beside ``sim/``.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["scenario_root", "find_scenario", "shipped_names"]


def scenario_root() -> Path:
    """The folder of the shipped scenarios."""
    here = Path(__file__).resolve().parent
    installed = here / "scenarios"            # package data of an installed wheel
    return installed if installed.is_dir() else here.parent / "scenarios"


def shipped_names() -> dict[str, Path]:
    """``{name: path}`` of every shipped scenario; a name is its path under the folder without
    ``.yaml`` (``gates/subsumed``); a file name alone (``subsumed``) also works when unique."""
    root = scenario_root()
    paths = sorted(root.rglob("*.yaml")) if root.is_dir() else []
    names = {p.relative_to(root).with_suffix("").as_posix(): p for p in paths}
    stems: dict[str, list[Path]] = {}
    for p in paths:
        stems.setdefault(p.stem, []).append(p)
    for stem, found in stems.items():
        if len(found) == 1:
            names.setdefault(stem, found[0])
    return names


def find_scenario(name: str) -> Path | None:
    """The shipped scenario called ``name`` (``hello_world``, ``gates/subsumed``, with or without
    ``.yaml``), or None."""
    key = name[:-5] if name.endswith(".yaml") else name
    return shipped_names().get(key.removeprefix("scenarios/"))
