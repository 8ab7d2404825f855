"""Schema of ``kind: gate``: one task's input gate with a hand-scripted arrival sequence."""
import re
from typing import Annotated, Literal, Optional

from pydantic import BeforeValidator, Field, field_validator

from .common import Duration, Strict
from .job import FlinkVersion
from .versions import DEFAULT_VERSION

__all__ = ["GateScenario", "GateItem", "parse_gate_item"]

_ITEM = re.compile(r"^\s*(?:(?P<data>B)(?P<dch>[0-9]+)(?:\((?P<size>[0-9]+)\))?"
                   r"|(?P<ev>U?BAR|CAN)\(\s*(?P<id>[0-9]+)\s*,\s*(?P<ech>[0-9]+)\s*\)"
                   r"|EOP\(\s*(?P<pch>[0-9]+)\s*\))\s*$")


class GateItem(Strict):
    """One arrival: ``data`` (a buffer), ``barrier``, ``cancel`` or ``eop`` on ``channel``."""

    what: Literal["data", "barrier", "cancel", "eop"]
    channel: int
    checkpoint: Optional[int] = None
    size: int = 1
    unaligned: bool = False
    at: Optional[float] = None
    text: str


def parse_gate_item(text: str, at: Optional[float] = None) -> GateItem:
    """``B0`` / ``B2(100)`` / ``BAR(1,0)`` / ``UBAR(1,0)`` / ``CAN(1,0)`` / ``EOP(1)`` -> GateItem."""
    m = _ITEM.match(text) if isinstance(text, str) else None
    if not m:
        hint = ""
        if isinstance(text, str) and text.count("(") != text.count(")"):
            hint = ' (in a [..] list, quote items that hold a comma: "BAR(1,0)")'
        raise ValueError(f"expected an item B<ch>, B<ch>(bytes), BAR(<id>,<ch>), UBAR(<id>,<ch>), "
                         f"CAN(<id>,<ch>) or EOP(<ch>), got {text!r}{hint}")
    if m.group("data"):
        return GateItem(what="data", channel=int(m.group("dch")), size=int(m.group("size") or 1),
                        at=at, text=text.strip())
    if m.group("ev"):
        ev = m.group("ev")
        return GateItem(what="cancel" if ev == "CAN" else "barrier", channel=int(m.group("ech")),
                        checkpoint=int(m.group("id")), unaligned=ev == "UBAR", at=at, text=text.strip())
    return GateItem(what="eop", channel=int(m.group("pch")), at=at, text=text.strip())


class TimedItem(Strict):
    item: str
    at: Optional[Duration] = None

    @field_validator("item")
    @classmethod
    def _parses(cls, text):
        parse_gate_item(text)
        return text


def _timed(value):
    return {"item": value} if isinstance(value, str) else value


class GateExpect(Strict):
    emitted: Optional[list[int]] = None
    triggered: Optional[list[int]] = None
    aborted: Optional[list[tuple[int, str]]] = None
    blocked_after: Optional[list[list[int]]] = None
    persisted: Optional[dict[int, list[int]]] = None


class GateScenario(Strict):
    kind: Literal["gate"]
    name: str
    description: str = ""
    seed: int = 0
    flink_version: FlinkVersion = DEFAULT_VERSION
    channels: int = Field(ge=1, le=10_000)
    handler: Literal["aligned", "at_least_once", "unaligned", "alternating"] = "aligned"
    alignment: Literal["buffer", "block"] = "block"            # absent: by flink_version
    end_of_partition: Literal["align", "abort"] = "align"      # absent: by flink_version
    max_buffered_bytes: int = Field(0, ge=0)
    aligned_timeout: Duration = 0.0
    processing_time: Duration = 0.0
    step: Duration = 1.0
    created: dict[int, Duration] = {}
    sequence: list[Annotated[TimedItem, BeforeValidator(_timed)]] = Field(min_length=1)
    expect: GateExpect = GateExpect.model_construct()
    source: str = Field("<scenario>", exclude=True)

    def items(self) -> list[GateItem]:
        """The sequence as GateItems, with arrival times filled in (index x step by default)."""
        out = []
        for i, raw in enumerate(self.sequence):
            out.append(parse_gate_item(raw.item, raw.at if raw.at is not None else i * self.step))
        return out
