"""A small directed graph (no dependencies): what validating, expanding and judging a job read.

Importing networkx costs about a quarter of a small ``snapsim run``, and a job graph has a
handful of operators. :class:`Dag` keeps the same structure as ``networkx.DiGraph`` (nodes and
each node's successors and predecessors in insertion order, an attribute dict per node and per
edge) and answers the part of its read API this package uses with the same meaning and the same
orders, so code written for a DiGraph reads a Dag unchanged: ``nodes``, ``nodes[n]``,
``nodes(data=True)``, ``edges[a, b]``, ``edges(data=True)``, ``predecessors``, ``successors``,
``in_degree(n)``, ``out_degree(n)``, ``has_edge``, ``in``, ``len``, ``copy``; ``add_node``, ``add_edge``,
``add_edges_from``.
:meth:`Dag.to_networkx` builds the equal DiGraph (``JobGraph.graph``, and the error path that
names a cycle the way ``networkx.find_cycle`` walks it).
"""
from __future__ import annotations

import heapq
from typing import Callable, Hashable, Iterator

__all__ = ["Dag", "topological_order", "lexicographic_order", "is_acyclic"]


class _Nodes:
    """``dag.nodes``: iterate the nodes, ``nodes[n]`` is n's attribute dict, ``nodes(data=True)`` pairs."""

    def __init__(self, nodes: dict) -> None:
        self._nodes = nodes

    def __call__(self, data: bool = False) -> Iterator:
        return iter(self._nodes.items()) if data else iter(self._nodes)

    def __getitem__(self, node):
        return self._nodes[node]

    def __iter__(self):
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, node) -> bool:
        return node in self._nodes


class _Edges:
    """``dag.edges``: ``edges[a, b]`` is the edge's attribute dict; ``edges(data=True)`` gives
    ``(a, b, attrs)`` node by node, each node's successors in the order they were added (networkx's order)."""

    def __init__(self, succ: dict) -> None:
        self._succ = succ

    def __call__(self, data: bool = False) -> Iterator:
        for a, nbrs in self._succ.items():
            for b, attrs in nbrs.items():
                yield (a, b, attrs) if data else (a, b)

    def __getitem__(self, edge):
        a, b = edge
        return self._succ[a][b]

    def __iter__(self):
        return self()


class Dag:
    """Nodes and directed edges with attribute dicts, in insertion order (a DiGraph's read API)."""

    def __init__(self) -> None:
        self._node: dict = {}
        self._succ: dict = {}
        self._pred: dict = {}
        self._order: dict = {}          # (a, b) -> None, in the order the edges were first added
        self.nodes = _Nodes(self._node)
        self.edges = _Edges(self._succ)

    def add_node(self, node: Hashable, **attrs) -> None:
        """Add ``node`` (or update its attributes, as networkx does)."""
        if node not in self._node:
            self._node[node], self._succ[node], self._pred[node] = {}, {}, {}
        self._node[node].update(attrs)

    def add_edge(self, a: Hashable, b: Hashable, **attrs) -> None:
        """Add ``a -> b`` (missing ends first, ``a`` then ``b``); an existing edge gets its attributes updated."""
        for node in (a, b):
            if node not in self._node:
                self.add_node(node)
        data = self._succ[a].get(b, {})
        data.update(attrs)
        self._succ[a][b] = self._pred[b][a] = data
        self._order[a, b] = None

    def add_edges_from(self, edges) -> None:
        """Add each ``(a, b)`` of ``edges``."""
        for a, b in edges:
            self.add_edge(a, b)

    def has_edge(self, a, b) -> bool:
        return a in self._succ and b in self._succ[a]

    def successors(self, node) -> Iterator:
        return iter(self._succ[node])

    def predecessors(self, node) -> Iterator:
        return iter(self._pred[node])

    def out_degree(self, node) -> int:
        return len(self._succ[node])

    def in_degree(self, node) -> int:
        return len(self._pred[node])

    def __contains__(self, node) -> bool:
        return node in self._node

    def __iter__(self):
        return iter(self._node)

    def __len__(self) -> int:
        return len(self._node)

    def copy(self) -> "Dag":
        """A copy with its own structure and attribute dicts (the attributes' values are shared)."""
        new = Dag()
        for node, attrs in self._node.items():
            new.add_node(node, **attrs)
        for a, b in self._order:
            new.add_edge(a, b, **self._succ[a][b])
        return new

    def to_networkx(self):
        """The equal ``networkx.DiGraph``: same nodes, edges, attributes and orders (imports networkx)."""
        import networkx as nx

        g = nx.DiGraph()
        for node, attrs in self._node.items():
            g.add_node(node, **attrs)
        for a, b in self._order:        # the order edges were added: each node's predecessors keep theirs
            g.add_edge(a, b, **self._succ[a][b])
        return g


def topological_order(graph) -> list:
    """The nodes of ``graph`` (a :class:`Dag` or a networkx DiGraph) in ``networkx.topological_sort``'s
    order: generation by generation (Kahn's algorithm), each in node and successor order.
    ValueError if the graph has a cycle."""
    indegree = {n: graph.in_degree(n) for n in graph}
    generation = [n for n, d in indegree.items() if d == 0]
    order = []
    while generation:
        order += generation
        following = []
        for node in generation:
            for child in graph.successors(node):
                indegree[child] -= 1
                if indegree[child] == 0:
                    following.append(child)
        generation = following
    if len(order) != len(indegree):
        raise ValueError("the graph has a cycle")
    return order


def is_acyclic(graph) -> bool:
    """Has ``graph`` no directed cycle?"""
    try:
        topological_order(graph)
    except ValueError:
        return False
    return True


def lexicographic_order(graph, key: Callable) -> list:
    """A topological order that takes, among the nodes ready, the one with the smallest ``key``
    first (``networkx.lexicographical_topological_sort`` with a key unique per node).
    ValueError if the graph has a cycle."""
    indegree = {n: graph.in_degree(n) for n in graph}
    ready = [(key(n), i, n) for i, n in enumerate(indegree) if indegree[n] == 0]
    heapq.heapify(ready)
    position = {n: i for i, n in enumerate(indegree)}
    order = []
    while ready:
        node = heapq.heappop(ready)[2]
        order.append(node)
        for child in graph.successors(node):
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(ready, (key(child), position[child], child))
    if len(order) != len(indegree):
        raise ValueError("the graph has a cycle")
    return order
