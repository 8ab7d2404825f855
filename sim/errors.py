"""The one error type for bad input: :class:`ScenarioError` (also ``sim.scenario.ScenarioError``).

A module of its own, outside ``sim.scenario``, so that the program (``sim.cli``) can name it
without importing the scenario models (pydantic) before it has paused the garbage collector.
"""
from __future__ import annotations

__all__ = ["ScenarioError"]


class ScenarioError(Exception):
    """Bad input: names the file, the YAML line, the key path and what was expected.

    The CLI prints ``str(error)`` and exits with code 2; nothing else ever reaches the user for
    invalid input.
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 path: str | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.path = path
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.file or "<scenario>"
        if self.line is not None:
            where += f", line {self.line}"
        if self.path:
            where += f", key '{self.path}'"
        return f"{where}: {self.message}"
