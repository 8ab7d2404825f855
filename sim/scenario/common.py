"""Shared pydantic building blocks: strict frozen models, durations, rates, comparisons."""
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PrivateAttr
from pydantic_core import core_schema

from .errors import ScenarioError

from .units import parse_duration, parse_rate

__all__ = ["Strict", "Before", "Duration", "Rate", "Comparison", "compare", "TASK_REF"]


class Strict(BaseModel):
    """Base of every scenario model: unknown keys are errors, objects are frozen.

    NOTE: an empty default is written ``= []`` or ``= {}`` (pydantic copies it for each object),
    not ``Field(default_factory=list)``: pydantic reads a factory's signature, and reading a
    built-in's loads Python's tokenizer, a few milliseconds of every start-up. The modules of
    models (common, job, lifecycle, gate, chandy_lamport) do not ``from __future__ import
    annotations``: pydantic would compile each annotation string back into the type it names.

    NOTE: ``defer_build``: no model builds its validator when its class is made; a kind's top
    model builds one for itself, every nested model's schema inside it, when the first file of
    that kind is read (``JobScenario`` alone for a job). A default sub-object is written
    ``= Spec.model_construct()`` (the object ``Spec()`` would give, made without a validator),
    not ``= Spec()``, which would build ``Spec``'s own validator at import.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, populate_by_name=True,
                              allow_inf_nan=False, defer_build=True)
    _lines: dict = PrivateAttr(default_factory=dict)

    def error(self, message: str, *path) -> "ScenarioError":
        """A ScenarioError about key ``path`` of this (top-level) scenario, with its YAML line."""
        from .translate import line_for
        from .yamlsrc import path_str
        return ScenarioError(message, file=getattr(self, "source", None), line=line_for(self._lines, path),
                             path=path_str(path) or None)


class Before:
    """``Annotated[type, Before(func)]``: ``func(value)`` runs before the type's validation, as with
    pydantic's ``BeforeValidator``. NOTE: the same core schema, but ``BeforeValidator`` reads
    ``func``'s signature (does it take an ``info``?) at every field that uses it; a scenario model
    has about sixty such fields."""

    __slots__ = ("func",)

    def __init__(self, func) -> None:
        self.func = func

    def __get_pydantic_core_schema__(self, source_type, handler):
        return core_schema.no_info_before_validator_function(self.func, handler(source_type))


Duration = Annotated[float, Before(parse_duration)]
Rate = Annotated[float, Before(parse_rate)]

_CMP = re.compile(r"^\s*(==|>=|<=|!=|>|<)?\s*(-?[0-9]+)\s*$")


def _comparison(value):
    if isinstance(value, bool):
        raise ValueError("expected a number or a comparison such as '>= 1'")
    if isinstance(value, int):
        return f"== {value}"
    if isinstance(value, str) and (m := _CMP.match(value)):
        return f"{m.group(1) or '=='} {int(m.group(2))}"
    raise ValueError(f"expected a number or a comparison such as '>= 1', got {value!r}")


Comparison = Annotated[str, Before(_comparison)]
"""A normalised comparison ``"<op> <int>"``; a bare number means equality."""


def compare(actual: int, comparison: str) -> bool:
    """Does ``actual`` satisfy ``comparison`` (as normalised by :data:`Comparison`)?"""
    op, number = comparison.split()
    n = int(number)
    return {"==": actual == n, ">=": actual >= n, "<=": actual <= n, "!=": actual != n,
            ">": actual > n, "<": actual < n}[op]


TASK_REF = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_\-]*)(\[(?P<index>[0-9]+)\])?$")
