"""Execute the course's notebooks, store their outputs, and say which committed ones are stale.

A notebook is compared by its *text*: every code cell's stream text, ``text/plain`` results and
errors, plus how many pictures the cell drew. Image bytes are not compared (matplotlib's PNGs
vary with fonts and versions), and volatile text -- object addresses, wall-clock seconds -- is
masked by :func:`normalize`.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["NOTEBOOKS", "notebooks", "execute", "build", "text_outputs", "differences", "normalize"]

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
_VOLATILE = [(re.compile(r"0x[0-9a-f]{6,}"), "0x…"),
             (re.compile(r"\d+(\.\d+)? ?(s|seconds) (of )?wall"), "… wall"),
             (re.compile(r"wall_seconds': [0-9.e-]+"), "wall_seconds': …"),
             (re.compile(r"runs_per_second': [0-9.e-]+"), "runs_per_second': …")]


def notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The course's notebooks in course order: by the number their file name starts with."""
    return sorted(folder.glob("*.ipynb"), key=lambda p: (int(p.stem.split("_", 1)[0]), p.stem))


def normalize(text: str) -> str:
    """``text`` with volatile parts masked."""
    for pattern, mask in _VOLATILE:
        text = pattern.sub(mask, text)
    return text


def execute(path: Path, timeout: int = 180):
    """Run the notebook at ``path`` in a fresh kernel (its folder as working directory); returns it."""
    import nbformat
    from nbclient import NotebookClient
    book = nbformat.read(path, as_version=4)
    # NOTE: the kernel inherits this process's environment; a headless caller (pytest sets Agg)
    # would leave every figure undrawn, so the inline backend is forced for the kernel's start.
    before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        NotebookClient(book, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        if before is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = before
    return book


def build(path: Path) -> None:
    """Execute ``path`` and write it back with its outputs (kernel timings stripped)."""
    import nbformat
    book = execute(path)
    for cell in book.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(book, path)


def text_outputs(book) -> list[list[str]]:
    """Per code cell: its normalized text outputs, and one ``<image>`` line per picture."""
    cells = []
    for cell in book.cells:
        if cell.cell_type != "code":
            continue
        texts = []
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                # NOTE: the kernel splits one print run into chunks as timing allows: join them
                if texts and texts[-1].startswith("stream:"):
                    texts[-1] += out.get("text", "")
                else:
                    texts.append("stream:" + out.get("text", ""))
            elif kind == "error":
                texts.append(f"error: {out.get('ename')}: {out.get('evalue')}")
            else:
                data = out.get("data", {})
                texts.append(data.get("text/plain", ""))
                texts.extend("<image>" for key in data if key.startswith("image/"))
        cells.append([normalize(t) for t in texts])
    return cells


def differences(committed, executed) -> list[str]:
    """One sentence per code cell whose text outputs differ (empty: the committed one is fresh)."""
    old, new = text_outputs(committed), text_outputs(executed)
    if len(old) != len(new):
        return [f"{len(old)} code cells committed, {len(new)} executed"]
    return [f"code cell {i + 1}: committed {a!r:.200} but running it gives {b!r:.200}"
            for i, (a, b) in enumerate(zip(old, new)) if a != b]
