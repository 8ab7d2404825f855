"""The course's self-checks: does a student's answer to a notebook exercise hold?

    from sim.course import check
    check("4.3", window=(1205, 2000))     # ✔ holds, or ✘ with a hint

Every exercise's true answer is worked out by running the simulator when the check is called
(nothing is stored), so a check can only pass when the tool says so. ``python -m sim.course
build`` re-executes every notebook and stores its outputs; ``python -m sim.course verify`` says
which committed notebooks are stale. Worked answers are in ``notebooks/solutions.md``.
"""
from .checks import EXERCISES, Exercise, Verdict, check

__all__ = ["check", "Verdict", "Exercise", "EXERCISES"]
