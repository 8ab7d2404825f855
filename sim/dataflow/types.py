"""What kind of record each operator takes and gives, checked along the job graph.

Records are text (what a Kafka source reads) or pairs ``(key, number)`` (what ``keyed_sum``
counts). A job that feeds a ``keyed_sum`` text, or ``format_count`` a line, would fail at its
first record; ``check_record_types`` refuses it with the operator's YAML line instead. Functions
added through the Python API take and give anything, so nothing after them is checked.
"""
from __future__ import annotations

from ..digraph import topological_order

__all__ = ["check_record_types", "SIGNATURES"]

TEXT, PAIR, ANY = "text", "(key, number) pairs", "any"

#: built-in function -> (what it takes, what it gives); SAME gives what it took
SAME = "same"
SIGNATURES = {
    "split_words": (TEXT, PAIR),
    "format_count": (PAIR, TEXT),
    "lower": (TEXT, TEXT),
    "identity": (ANY, SAME),
    "pair_one": (ANY, PAIR),
}


def _signature(op, functions) -> tuple[str, str]:
    if op.type == "kafka_source":
        return ANY, TEXT
    if op.type == "keyed_sum":
        return PAIR, PAIR
    if op.type == "kafka_sink":
        return ANY, ANY
    fn = functions.get(op.function)
    builtin = fn is not None and fn.fn.__module__ == __package__ + ".functions"     # not replaced by the API
    return SIGNATURES.get(op.function, (ANY, ANY)) if builtin else (ANY, ANY)


def check_record_types(scenario, graph, functions) -> None:
    """Raise a ScenarioError at the first operator fed records it cannot take (``graph``: the
    job's :class:`~sim.digraph.Dag` or a networkx DiGraph, visited in topological order)."""
    gives: dict[str, str] = {}
    for name in topological_order(graph):
        data = graph.nodes[name]
        takes, out = _signature(data["op"], functions)
        incoming = {gives[u] for u in graph.predecessors(name)}
        got = incoming.pop() if len(incoming) == 1 else (ANY if not incoming or ANY in incoming else "mixed")
        if takes != ANY and got not in (takes, ANY):
            what = "a mix of text and pairs" if got == "mixed" else got
            raise scenario.error(f"operator '{name}' ({_what(data['op'])}) takes {takes}, but its input gives "
                                 f"{what}{_hint(data['op'], got)}", "job", "operators", data["index"])
        gives[name] = got if out == SAME else out


def _what(op) -> str:
    return op.type if op.type not in ("map", "flat_map") else f"{op.type} {op.function}"


def _hint(op, got) -> str:
    if op.type == "keyed_sum" and got == TEXT:
        return " (split lines into words first: a flat_map with function split_words)"
    return ""
