"""The logical job on networkx, and its expansion into subtasks and channels.

``JobGraph.build(scenario)`` checks the operators and edges (functions exist, no cycle, no
dangling edge, sources first and sinks last, forward edges between equal parallelism, keyed_sum
fed by a hash partitioner) and raises :class:`ScenarioError` with the key's YAML line otherwise.
``expand()`` turns it into the physical plan: one :class:`SubtaskSpec` per parallel instance and
one :class:`ChannelSpec` per (upstream subtask, downstream subtask) pair of each edge.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from ..scenario import JobScenario
from .functions import FunctionRegistry

__all__ = ["JobGraph", "SubtaskSpec", "ChannelSpec", "PhysicalPlan", "PARTITIONERS"]

PARTITIONERS = ("forward", "rebalance", "hash", "broadcast")


@dataclass(frozen=True)
class ChannelSpec:
    index: int                # global channel number
    edge: int                 # edge number in the logical graph
    src: str                  # "split[0]"
    dst: str                  # "count[1]"
    partitioner: str
    gate_index: int = 0       # position of this channel in dst's input gate

    @property
    def name(self) -> str:
        return f"{self.src}->{self.dst}"


@dataclass
class SubtaskSpec:
    name: str                 # "split[1]"
    operator: str
    index: int
    parallelism: int
    op: object                # the operator's scenario model
    inputs: list[ChannelSpec] = field(default_factory=list)
    outputs: list[list[ChannelSpec]] = field(default_factory=list)   # per out-edge, by dst index


@dataclass
class PhysicalPlan:
    subtasks: list[SubtaskSpec]
    channels: list[ChannelSpec]


class JobGraph:
    """Operators as nodes (with their parallelism), edges with their partitioner."""

    def __init__(self, scenario: JobScenario, graph: nx.DiGraph) -> None:
        self.scenario = scenario
        self.graph = graph

    @classmethod
    def build(cls, scenario: JobScenario, functions: FunctionRegistry | None = None) -> "JobGraph":
        functions = functions or FunctionRegistry()
        spec = scenario.job
        g = nx.DiGraph()
        for i, op in enumerate(spec.operators):
            if op.type in ("flat_map", "map"):
                fn = functions.get(op.function)
                if fn is None or fn.kind != op.type:
                    known = ", ".join(functions.names(op.type))
                    raise scenario.error(f"unknown {op.type} function '{op.function}' (known: {known})",
                                         "job", "operators", i, "function")
            g.add_node(op.name, op=op, index=i, parallelism=op.parallelism or spec.parallelism)
        edges = [(e.from_, e.to, e.partitioner, ("job", "edges", j)) for j, e in enumerate(spec.edges)]
        if not spec.edges:
            ops = spec.operators
            edges = [(a.name, b.name, None, ("job", "operators", k + 1)) for k, (a, b) in enumerate(zip(ops, ops[1:]))]
        for n, (a, b, part, path) in enumerate(edges):
            for end, name in (("from", a), ("to", b)):
                if name not in g:
                    raise scenario.error(f"edge {end} unknown operator '{name}' (operators: {', '.join(g)})", *path)
            if g.has_edge(a, b):
                raise scenario.error(f"edge {a} -> {b} is listed twice", *path)
            g.add_edge(a, b, partitioner=part or cls._default_partitioner(g, a, b), index=n, path=path)
        cls._check(scenario, g)
        return cls(scenario, g)

    @staticmethod
    def _default_partitioner(g, a, b) -> str:
        if g.nodes[b]["op"].type == "keyed_sum":
            return "hash"
        return "forward" if g.nodes[a]["parallelism"] == g.nodes[b]["parallelism"] else "rebalance"

    @staticmethod
    def _check(scenario, g: nx.DiGraph) -> None:
        try:
            cycle = nx.find_cycle(g)
        except nx.NetworkXNoCycle:
            cycle = None
        if cycle:
            a, b = cycle[-1][0], cycle[-1][1]
            raise scenario.error("the job graph has a cycle: " + " -> ".join([c[0] for c in cycle] + [cycle[0][0]]),
                                 *g.edges[a, b]["path"])
        for name, data in g.nodes(data=True):
            op, path = data["op"], ("job", "operators", data["index"])
            ins, outs = g.in_degree(name), g.out_degree(name)
            if op.type == "kafka_source" and ins:
                raise scenario.error(f"source '{name}' cannot have an input edge", *path)
            if op.type != "kafka_source" and not ins:
                raise scenario.error(f"operator '{name}' has no input: it is dangling (add an edge to it)", *path)
            if op.type == "kafka_sink" and outs:
                raise scenario.error(f"sink '{name}' cannot have an output edge", *path)
            if op.type != "kafka_sink" and not outs:
                raise scenario.error(f"operator '{name}' has no output: it is dangling (add an edge from it)", *path)
        for a, b, data in g.edges(data=True):
            part = data["partitioner"]
            if part == "forward" and g.nodes[a]["parallelism"] != g.nodes[b]["parallelism"]:
                raise scenario.error(f"a forward edge {a} -> {b} needs equal parallelism "
                                     f"({g.nodes[a]['parallelism']} vs {g.nodes[b]['parallelism']}); "
                                     "use rebalance or hash", *data["path"])
            if g.nodes[b]["op"].type == "keyed_sum" and part != "hash":
                raise scenario.error(f"keyed_sum '{b}' needs its input partitioned by key (partitioner: hash), "
                                     f"got {part}", *data["path"])

    def expand(self) -> PhysicalPlan:
        """One subtask per parallel instance; channels per partitioner (forward: i -> i)."""
        g = self.graph
        subtasks: dict[str, list[SubtaskSpec]] = {}
        order = sorted(g.nodes, key=lambda n: g.nodes[n]["index"])
        for name in order:
            par = g.nodes[name]["parallelism"]
            subtasks[name] = [SubtaskSpec(f"{name}[{i}]", name, i, par, g.nodes[name]["op"]) for i in range(par)]
        channels: list[ChannelSpec] = []
        for a, b, data in sorted(g.edges(data=True), key=lambda e: e[2]["index"]):
            part = data["partitioner"]
            for up in subtasks[a]:
                outs = []
                for down in subtasks[b]:
                    if part == "forward" and down.index != up.index:
                        continue
                    ch = ChannelSpec(len(channels), data["index"], up.name, down.name, part, len(down.inputs))
                    channels.append(ch)
                    down.inputs.append(ch)
                    outs.append(ch)
                up.outputs.append(outs)
        return PhysicalPlan([t for name in order for t in subtasks[name]], channels)
