"""Task references (``split``, ``split[1]``) and the one resolver that maps them to tasks.

A reference names an operator, optionally with a subtask index. With chaining, one task runs
several operators, so a reference to any operator of a chain resolves to the chained task
(``split[0]`` -> ``source->split[0]``). Faults, ``explore --task`` and the trace readers all
resolve through :func:`resolve`.
"""
from __future__ import annotations

from ..scenario.common import TASK_REF
from ..values import Value, set_field

__all__ = ["TaskRef", "resolve", "TASK_REF"]


class TaskRef(Value):
    """``operator`` or ``operator[index]``."""

    __slots__ = ("operator", "index")

    def __init__(self, operator: str, index: int | None = None) -> None:
        set_field(self, "operator", operator)
        set_field(self, "index", index)

    @classmethod
    def parse(cls, text: str) -> "TaskRef":
        """Parse a reference; ValueError if it is not ``name`` or ``name[i]``."""
        m = TASK_REF.match(text)
        if m is None:
            raise ValueError(f"'{text}' is not a task reference: expected an operator name or name[i]")
        index = m.group("index")
        return cls(m.group("name"), None if index is None else int(index))

    def __str__(self) -> str:
        return self.operator if self.index is None else f"{self.operator}[{self.index}]"

    def matches(self, operators, subtask: int) -> bool:
        """Does this reference name the task running ``operators`` as subtask ``subtask``?"""
        return self.operator in operators and (self.index is None or self.index == subtask)


def resolve(ref: "TaskRef | str", tasks: list) -> list:
    """Every task that ``ref`` names, in plan order.

    ``tasks`` are objects with ``operators`` and ``index`` (the physical plan's TaskSpec, a running
    task's ``spec``) or the trace's ``{name, operators, subtask}`` dicts.
    """
    ref = TaskRef.parse(ref) if isinstance(ref, str) else ref
    out = []
    for t in tasks:
        if isinstance(t, dict):
            hit = ref.matches(t["operators"], t["subtask"])
        else:
            hit = ref.matches(t.operators, t.index)
        if hit:
            out.append(t)
    return out
