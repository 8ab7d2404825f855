"""The course's self-checks: worked answers hold, wrong ones do not, every exercise is wired up.

The true answers are never written here: ``check`` works them out by running the simulator, and
the worked answers in notebooks/solutions.md (derived by hand there) must pass it.
"""
import re

import nbformat
import pytest

from sim.course import EXERCISES, check
from sim.course.build import NOTEBOOKS, normalize, notebooks
from sim.course.checks import _load

SOLUTIONS = (NOTEBOOKS / "solutions.md").read_text()
CALLS = re.findall(r"```python\n(check\(.*?\))\n```", SOLUTIONS, re.S)


def _checked_in_notebooks() -> set[str]:
    found = set()
    for path in notebooks():
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                found.update(re.findall(r'check\("([\d.]+)"', cell.source))
    return found


def test_every_exercise_has_a_self_check_cell_and_a_solution():
    _load()
    solved = {re.match(r'check\("([\d.]+)"', c).group(1) for c in CALLS}
    assert set(EXERCISES) == _checked_in_notebooks() == solved


@pytest.mark.parametrize("call", CALLS, ids=lambda c: re.match(r'check\("([\d.]+)"', c).group(1))
def test_the_worked_answer_holds(call):
    verdict = eval(call, {"check": check})            # the calls are this repository's own file
    assert verdict.ok, str(verdict)


@pytest.mark.parametrize("exercise, wrong", [
    ("1.1", {"item": 2, "checkpoint1": "aborted"}),           # item 2 brings 100 bytes: under 150
    ("2.3", {"checkpoints": [1, 1]}),                          # checkpoint 2 completed at 603 ms < 700
    ("3.1", {"transaction": "sink[0]#2"}),                     # #2 was open, not pre-committed
    ("4.3", {"points": 0, "window": (0, 1205.5)}),             # before checkpoint 1 nothing is restored
    ("5.1", {"timeout_s": 15}),                                # works, but 14 s works too: not the smallest
    ("12.1", {"overrides": ["job.operators[4].transaction_timeout=1min"]}),   # start_from latest still loses
])
def test_a_wrong_answer_is_refused_with_a_hint(exercise, wrong):
    verdict = check(exercise, **wrong)
    assert not verdict.ok and "Hint:" in str(verdict)


def test_unanswered_unknown_and_unreadable_answers():
    assert "no answer yet" in str(check("2.1", lost=None))
    with pytest.raises(KeyError, match="no exercise '9.9'"):
        check("9.9", x=1)
    assert "cannot read the answer" in str(check("2.1", lost="three"))
    refused = check("12.1", overrides=["input=[]"])             # the world may not change, only the job
    assert not refused.ok and "configuration only" in str(refused)
    assert "cannot read" in str(check("12.1", overrides=["job.operators[4].transaction_timeout=1mn"]))


def test_normalize_masks_only_volatile_text():
    assert normalize("<Figure at 0x7f3a2b1c0d90>") == "<Figure at 0x…>"
    assert normalize("hello:::2 at 1205.5 ms") == "hello:::2 at 1205.5 ms"
