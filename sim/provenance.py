"""Provenance of records, as named tuples: where an input record came from, who wrote an output.

A record travels through the job as ``(payload, origin)``; ``origin`` is the :class:`Origin` of
the input record it came from. A sink that writes it to Kafka adds its attempt: the output
record's :class:`Provenance`. In the trace both are JSON lists in field order
(``kafka_append.origin``, ``consumer_read.origin``, ``source_read.origins``);
:meth:`Provenance.of` reads one back. A reader of an input topic reads input records: each
one's ``consumer_read.origin`` is the record itself, with its append time.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

__all__ = ["Origin", "Provenance"]


class Origin(NamedTuple):
    """An input record: its topic, partition, offset and the time it was appended."""

    topic: str
    partition: int
    offset: int
    time: float


class Provenance(NamedTuple):
    """An output record's input (topic, partition, offset, time) and the attempt that wrote it."""

    topic: str
    partition: int
    offset: int
    time: Optional[float]
    attempt: Optional[int] = None

    @classmethod
    def of(cls, value) -> Optional["Provenance"]:
        """From a trace field (a list of 3 to 5 items, oldest traces had fewer), or None if empty."""
        if not value:
            return None
        items = list(value) + [None] * (5 - len(value))
        return cls(*items[:5])

    def where(self) -> str:
        """``topic-partition@offset``."""
        return f"{self.topic}-{self.partition}@{self.offset}"
