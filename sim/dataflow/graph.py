"""The logical job as a graph, and its expansion into subtasks and channels.

``JobGraph.build(scenario)`` checks the operators and edges (functions exist, no cycle, no
dangling edge, sources first and sinks last, forward edges between equal parallelism, keyed_sum
fed by a hash partitioner) and raises :class:`ScenarioError` with the key's YAML line otherwise.
``expand()`` turns it into the physical plan: operators joined by a chainable edge (docs/architecture.md)
share a task; one :class:`TaskSpec` per chain and parallel instance, one :class:`ChannelSpec` per
(upstream task, downstream task) pair of each edge between chains.

The graph is a :class:`~sim.digraph.Dag` (``JobGraph.dag``): importing networkx costs about a
quarter of a small run. ``JobGraph.graph`` is the same graph as a ``networkx.DiGraph``, built on
first access for code that wants networkx's algorithms.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..digraph import Dag, is_acyclic
from ..scenario import JobScenario
from ..values import Record, Value, set_field
from .functions import FunctionRegistry

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["JobGraph", "TaskSpec", "ChannelSpec", "PhysicalPlan", "PARTITIONERS"]

PARTITIONERS = ("forward", "rebalance", "hash", "broadcast")


class ChannelSpec(Value):
    """One network channel of the physical plan, between two tasks: ``index`` its global number,
    ``edge`` the logical graph's edge number, ``src`` the sending task (``source->split[0]``),
    ``dst`` the receiving one (``count[1]``), ``gate_index`` its position in dst's input gate."""

    __slots__ = ("index", "edge", "src", "dst", "partitioner", "gate_index")

    def __init__(self, index: int, edge: int, src: str, dst: str, partitioner: str, gate_index: int = 0) -> None:
        set_field(self, "index", index)
        set_field(self, "edge", edge)
        set_field(self, "src", src)
        set_field(self, "dst", dst)
        set_field(self, "partitioner", partitioner)
        set_field(self, "gate_index", gate_index)

    @property
    def name(self) -> str:
        """``<sender>-><receiver>``, e.g. ``source->split[0]->count[1]``."""
        return f"{self.src}->{self.dst}"


class TaskSpec(Record):
    """One (chained) subtask: its operators, in chain order, and its channels."""

    __slots__ = ("name", "operators", "index", "parallelism", "ops", "inputs", "outputs")

    def __init__(self, name: str, operators: list[str], index: int, parallelism: int, ops: list,
                 inputs: list[ChannelSpec] | None = None, outputs: list[list[ChannelSpec]] | None = None) -> None:
        self.name = name                  # "source->split[0]", "count[1]"
        self.operators = operators        # ["source", "split"]
        self.index = index
        self.parallelism = parallelism
        self.ops = ops                    # the operators' scenario models, in chain order
        self.inputs = [] if inputs is None else inputs
        self.outputs = [] if outputs is None else outputs     # per out-edge, by dst index

    @property
    def head(self):
        """The first operator's scenario model (a source, or the one reading the input gate)."""
        return self.ops[0]


class PhysicalPlan(Record):
    """Every task of the job and every channel between them."""

    __slots__ = ("tasks", "channels")

    def __init__(self, tasks: list[TaskSpec], channels: list[ChannelSpec]) -> None:
        self.tasks = tasks
        self.channels = channels

    def describe(self) -> list[dict]:
        """``[{name, operators, subtask, parallelism}]`` for the trace's ``run_start``."""
        return [{"name": t.name, "operators": list(t.operators), "subtask": t.index, "parallelism": t.parallelism}
                for t in self.tasks]


class JobGraph:
    """Operators as nodes (attributes ``op``, ``index``, ``parallelism``), edges with their
    ``partitioner``, ``index`` and YAML ``path``."""

    def __init__(self, scenario: JobScenario, dag: Dag) -> None:
        self.scenario = scenario
        self.dag = dag
        self._nx = None

    @property
    def graph(self) -> "nx.DiGraph":
        """The job as a ``networkx.DiGraph`` (built on first access; the methods here read ``dag``)."""
        if self._nx is None:
            self._nx = self.dag.to_networkx()
        return self._nx

    @classmethod
    def build(cls, scenario: JobScenario, functions: FunctionRegistry | None = None) -> "JobGraph":
        """Check the scenario's job and build its graph; ScenarioError (with the YAML line) if it is wrong."""
        functions = functions or FunctionRegistry()
        spec = scenario.job
        g = Dag()
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
    def _check(scenario, g: Dag) -> None:
        if not is_acyclic(g):              # rare: name the cycle as networkx walks it
            import networkx as nx
            cycle = nx.find_cycle(g.to_networkx())
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

    def chainable(self, a: str, b: str) -> bool:
        """May ``a -> b`` run in one task? Flink's rule (docs/architecture.md, StreamingJobGraphGenerator.isChainable).

        NOTE: Flink also chains an operator that has further, unchained outputs; here a chain is a
        line (one output per chained operator), so a fan-out ends the chain at the fanning operator.
        """
        g = self.dag
        up, down = g.nodes[a], g.nodes[b]
        return (self.scenario.job.chaining and g.edges[a, b]["partitioner"] == "forward"
                and up["parallelism"] == down["parallelism"] and g.out_degree(a) == 1 and g.in_degree(b) == 1
                and up["op"].chain and down["op"].chain and not down["op"].start_new_chain)

    def chains(self) -> list[list[str]]:
        """The operator chains, in operator order of their heads."""
        g = self.dag
        order = sorted(g.nodes, key=lambda n: g.nodes[n]["index"])
        out = []
        for name in order:
            preds = list(g.predecessors(name))
            if len(preds) == 1 and self.chainable(preds[0], name):
                continue                               # inside a chain started upstream
            chain = [name]
            while g.out_degree(chain[-1]) == 1:
                nxt = next(iter(g.successors(chain[-1])))
                if not self.chainable(chain[-1], nxt):
                    break
                chain.append(nxt)
            out.append(chain)
        return out

    def expand(self) -> PhysicalPlan:
        """One task per chain and parallel instance; channels per partitioner (forward: i -> i)."""
        g = self.dag
        tasks: dict[str, list[TaskSpec]] = {}        # by chain head
        tail_of: dict[str, str] = {}                 # operator -> head of its chain
        for chain in self.chains():
            par, head = g.nodes[chain[0]]["parallelism"], chain[0]
            label = "->".join(chain)
            tasks[head] = [TaskSpec(f"{label}[{i}]", list(chain), i, par, [g.nodes[n]["op"] for n in chain])
                           for i in range(par)]
            for n in chain:
                tail_of[n] = head
        channels: list[ChannelSpec] = []
        for a, b, data in sorted(g.edges(data=True), key=lambda e: e[2]["index"]):
            if tail_of[a] == tail_of[b]:
                continue                               # chained: a method call, no channel
            part = data["partitioner"]
            for up in tasks[tail_of[a]]:
                outs = []
                for down in tasks[tail_of[b]]:
                    if part == "forward" and down.index != up.index:
                        continue
                    ch = ChannelSpec(len(channels), data["index"], up.name, down.name, part, len(down.inputs))
                    channels.append(ch)
                    down.inputs.append(ch)
                    outs.append(ch)
                up.outputs.append(outs)
        return PhysicalPlan([t for head in tasks for t in tasks[head]], channels)
