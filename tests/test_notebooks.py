"""Every course notebook runs top to bottom in a fresh kernel, and its committed outputs are fresh.

One execution per notebook serves both checks: no cell errors, and the re-executed text outputs
(normalized: images by count, volatile numbers masked) equal the committed ones. A notebook
edited without ``python -m sim.course build`` fails here with the cells that changed.
"""
import nbformat
import pytest

from sim.course.build import differences, execute, notebooks

NOTEBOOKS = notebooks()


def test_the_course_has_its_notebooks():
    names = [p.stem.split("_", 1)[0] for p in NOTEBOOKS]
    assert names == sorted(names, key=int) and len(NOTEBOOKS) >= 8
    assert names[:7] == [str(i) for i in range(7)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_its_outputs_are_fresh(path):
    committed = nbformat.read(path, as_version=4)
    code = [c for c in committed.cells if c.cell_type == "code"]
    assert any(c.get("outputs") for c in code), \
        f"{path.name} is committed without outputs: run python -m sim.course build {path}"
    executed = execute(path)
    outputs = [o for cell in executed.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    errors = [f"{o.get('ename')}: {o.get('evalue')}" for o in outputs if o.get("output_type") == "error"]
    assert not errors
    assert any("image/png" in o.get("data", {}) for o in outputs), "a notebook shows at least one diagram"
    stale = differences(committed, executed)
    assert not stale, f"{path.name} is stale (python -m sim.course build {path}):\n" + "\n".join(stale)
