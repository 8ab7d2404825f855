"""The classic Chandy-Lamport (1985) marker algorithm, as pure logic (no SimPy).

A :class:`Process` holds tokens. To take snapshot ``sid`` it records its own state and sends one
marker on every outgoing channel before sending anything else on it. On a marker from channel
``c``: if it has not recorded yet, it records its state, records ``c`` as empty and sends its
markers; otherwise it closes the recording of ``c``, whose state is every message received on
``c`` after recording and before this marker. It is done with ``sid`` once every incoming channel
has delivered its marker. Several snapshots may run at once; each has its own id.
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Process", "LocalSnapshot", "NotEnoughTokens", "SendMarkers", "ChannelRecorded", "Recorded", "Done"]


class NotEnoughTokens(ValueError):
    """A send of more tokens than the process holds."""


@dataclass
class LocalSnapshot:
    """One process's part of snapshot ``sid``."""
    sid: int
    tokens: int
    recording: set[str]                                   # incoming channels still recording
    channels: dict[str, list[int]] = field(default_factory=dict)   # src -> messages recorded


@dataclass(frozen=True)
class SendMarkers:
    """Send a marker of snapshot ``sid`` on each link to ``to``."""
    sid: int
    to: tuple[str, ...]


@dataclass(frozen=True)
class Recorded:
    """The process recorded its ``tokens`` for snapshot ``sid``."""
    sid: int
    tokens: int


@dataclass(frozen=True)
class ChannelRecorded:
    """The link ``src`` -> this process closed for snapshot ``sid``: the token messages recorded on it."""
    sid: int
    src: str
    messages: tuple[int, ...]


@dataclass(frozen=True)
class Done:
    """This process finished snapshot ``sid`` (every incoming link closed)."""
    sid: int


class Process:
    """A process of the classic algorithm: tokens, links, and its local snapshots by id."""

    def __init__(self, name: str, tokens: int, incoming: list[str], outgoing: list[str]) -> None:
        self.name = name
        self.tokens = tokens
        self.incoming = list(incoming)
        self.outgoing = list(outgoing)
        self.snapshots: dict[int, LocalSnapshot] = {}

    def send(self, dst: str, tokens: int) -> None:
        """Give ``tokens`` to ``dst`` (the message is then in flight)."""
        if dst not in self.outgoing:
            raise ValueError(f"{self.name} has no link to {dst}")
        if tokens > self.tokens:
            raise NotEnoughTokens(f"{self.name} holds {self.tokens} token(s) and cannot send {tokens}")
        self.tokens -= tokens

    def receive(self, src: str, tokens: int) -> None:
        """A token message from ``src``: count it, and record it where ``src`` is being recorded."""
        self.tokens += tokens
        for snap in self.snapshots.values():
            if src in snap.recording:
                snap.channels.setdefault(src, []).append(tokens)

    def start(self, sid: int) -> list:
        """Initiate snapshot ``sid``: record state, record every incoming channel, send markers."""
        if sid in self.snapshots:
            raise ValueError(f"{self.name} already took part in snapshot {sid}")
        return self._record(sid, None)

    def on_marker(self, src: str, sid: int) -> list:
        """A marker of ``sid`` from ``src``."""
        snap = self.snapshots.get(sid)
        if snap is None:
            return self._record(sid, src)
        snap.recording.discard(src)
        out: list = [ChannelRecorded(sid, src, tuple(snap.channels.get(src, ())))]
        if not snap.recording:
            out.append(Done(sid))
        return out

    def _record(self, sid: int, src: str | None) -> list:
        recording = {c for c in self.incoming if c != src}
        snap = self.snapshots[sid] = LocalSnapshot(sid, self.tokens, recording)
        out: list = [Recorded(sid, snap.tokens)]
        if src is not None:
            out.append(ChannelRecorded(sid, src, ()))
        out.append(SendMarkers(sid, tuple(self.outgoing)))
        if not recording:
            out.append(Done(sid))
        return out
