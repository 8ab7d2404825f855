"""Schema of ``kind: chandy_lamport``: the classic marker algorithm on any directed graph."""
from typing import Annotated, Literal, Optional, Union

from pydantic import BeforeValidator, Discriminator, Field, Tag

from .common import Duration, Strict
from .units import parse_duration

__all__ = ["ChandyLamportScenario"]


class DelaySpec(Strict):
    min: Duration = 1.0
    max: Duration = 5.0
    integer: bool = True   # whole ticks, as in the classic exercises


class SendEvent(Strict):
    at: Duration = 0.0
    send: tuple[str, str, int]


class SnapshotEvent(Strict):
    at: Duration = 0.0
    snapshot: str


def _delay(value):
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        d = parse_duration(value)
        return {"min": d, "max": d, "integer": float(d).is_integer()}
    return value


def _event_kind(value):
    keys = value if isinstance(value, dict) else getattr(type(value), "model_fields", {})
    return "is:send" if "send" in keys else "is:snapshot" if "snapshot" in keys else None


Event = Annotated[Union[Annotated[SendEvent, Tag("is:send")], Annotated[SnapshotEvent, Tag("is:snapshot")]],
                  Discriminator(_event_kind, custom_error_type="event_kind",
                                custom_error_message="an event is {at, send: [from, to, tokens]} or {at, snapshot: process}")]


class SnapshotExpect(Strict):
    id: int
    nodes: dict[str, int]
    channels: dict[str, list[int]] = {}


class CLExpect(Strict):
    snapshots: Optional[list[SnapshotExpect]] = None
    total_tokens: Optional[int] = None


class ChandyLamportScenario(Strict):
    kind: Literal["chandy_lamport"]
    name: str = "chandy-lamport"
    description: str = ""
    seed: int = 0
    nodes: dict[str, int] = Field(min_length=1)
    links: list[tuple[str, str]] = []
    delay: Annotated[DelaySpec, BeforeValidator(_delay)] = DelaySpec.model_construct()
    events: list[Event] = []
    run: dict[Literal["trace"], Literal["full", "control", "summary"]] = {}
    expect: CLExpect = CLExpect.model_construct()
    source: str = Field("<scenario>", exclude=True)

    def delay_range(self) -> tuple[float, float, bool]:
        return self.delay.min, self.delay.max, self.delay.integer
