"""Small value classes: what travels in a channel, a task's mail, a handler's actions, the job's
plan, a run's result.

:class:`Value` gives a class with ``__slots__`` what ``@dataclass(frozen=True, slots=True)``
gave it: equality and hashing by type and field values, a ``Name(field=value, ...)`` repr,
``dataclasses.FrozenInstanceError`` on assignment, pickling and copying, ``__match_args__``.
Each class writes its own ``__init__`` (fields set with ``object.__setattr__``, as a frozen
dataclass's generated ``__init__`` does). :class:`Record` is the mutable kind (a plain
``@dataclass``: no hash).

NOTE: a dataclass compiles five to eight generated functions per class when its module is
imported (``slots=True`` also builds the class twice): 2 to 7 M instructions a class, about 8 %
of a small ``snapsim run``'s whole process for the thirty classes it loads (docs/performance.md).
These methods are written once here instead.
"""
from dataclasses import FrozenInstanceError

__all__ = ["Value", "Record", "set_field", "replace", "FrozenInstanceError"]

set_field = object.__setattr__
"""``set_field(self, name, value)``: how an ``__init__`` sets a field of a frozen value."""


def replace(value, **changes):
    """A copy of ``value`` with the fields ``changes`` names changed, as ``dataclasses.replace``:
    the class's ``__init__`` is called with every field (by name), so its checks run again."""
    unknown = set(changes) - set(value._fields)
    if unknown:
        raise TypeError(f"{type(value).__qualname__} has no field(s) {sorted(unknown)}")
    return type(value)(**{name: getattr(value, name) for name in value._fields} | changes)


class Value:
    """Base of a frozen value class: its fields are its ``__slots__`` (a subclass's after its
    base's)."""

    __slots__ = ()
    _fields: tuple = ()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls._fields = cls._fields + tuple(cls.__dict__.get("__slots__", ()))
        cls.__match_args__ = cls._fields

    def _values(self) -> tuple:
        return tuple([getattr(self, name) for name in self._fields])

    def __eq__(self, other) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({fields})"

    def __setattr__(self, name, value) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self):
        return self.__class__, self._values()


class Record(Value):
    """A mutable value: a plain ``@dataclass`` (equality by type and fields, the same repr, no hash),
    its fields still its ``__slots__``."""

    __slots__ = ()
    __hash__ = None
    __setattr__ = object.__setattr__
    __delattr__ = object.__delattr__
