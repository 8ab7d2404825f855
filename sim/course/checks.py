"""The self-check machinery: an exercise, its check, and the verdict a notebook shows.

An :class:`Exercise` knows how to work out the true answer by running the simulator (``truth``)
and how to compare a student's answer with it (``holds``). :func:`check` returns a
:class:`Verdict`, which a notebook displays as one line: ✔ with what the tool found, or ✘ with a
hint. The library never prints: the verdict is shown by the notebook's display machinery.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..scenario import ScenarioError
from ..shipped import scenario_root

__all__ = ["Exercise", "Verdict", "check", "exercise", "EXERCISES", "scenario"]

EXERCISES: dict[str, "Exercise"] = {}


@dataclass(frozen=True)
class Exercise:
    """One exercise: ``truth()`` runs the simulator, ``holds(answer, truth)`` judges an answer."""

    id: str
    question: str
    truth: Callable[[], Any]
    holds: Callable[[dict, Any], bool]
    hint: str
    found: Callable[[Any], str] = str          # what the tool found, said after a correct answer


@dataclass(frozen=True)
class Verdict:
    """Whether an answer holds; ``str(verdict)`` is the sentence a notebook shows."""

    exercise: str
    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return f"{'✔' if self.ok else '✘'} exercise {self.exercise}: {self.message}"

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        return f"**{'✔' if self.ok else '✘'} exercise {self.exercise}**: {self.message}"


def exercise(id: str, question: str, hint: str, holds: Callable[[dict, Any], bool],
             found: Callable[[Any], str] = str):
    """Decorator registering ``truth`` as exercise ``id`` with its judge ``holds``."""
    def wrap(truth):
        EXERCISES[id] = Exercise(id, question, truth, holds, hint, found)
        return truth
    return wrap


def scenario(name: str):
    """The path of a shipped scenario, ``"recovery/two_crashes"``."""
    return scenario_root() / f"{name}.yaml"


def check(exercise_id: str, **answer) -> Verdict:
    """Judge ``answer`` (keyword arguments, as each exercise's question names them).

    Raises KeyError for an unknown exercise. A missing or mistyped answer is a ✘ with the names
    the exercise expects, never an exception, so a notebook cell always shows a verdict.
    """
    _load()
    ex = EXERCISES.get(exercise_id)
    if ex is None:
        raise KeyError(f"no exercise {exercise_id!r}; there are {', '.join(sorted(EXERCISES))}")
    if not answer or any(value is None for value in answer.values()):
        return Verdict(exercise_id, False, f"no answer yet. {ex.question}")
    truth = ex.truth()
    try:
        ok = bool(ex.holds(answer, truth))
    except (KeyError, TypeError, ValueError, ScenarioError) as err:
        return Verdict(exercise_id, False, f"cannot read the answer ({err!s}). {ex.question}")
    if ok:
        return Verdict(exercise_id, True, f"holds. The tool finds: {ex.found(truth)}")
    return Verdict(exercise_id, False, f"does not hold. Hint: {ex.hint}")


def _load() -> None:
    """Import the exercise modules once (they register themselves)."""
    from . import exercises_a, exercises_b, exercises_c, exercises_d, exercises_e, exercises_f  # noqa: F401
