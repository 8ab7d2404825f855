"""The small job graph (sim.digraph.Dag) answers as networkx.DiGraph does, orders included."""
import networkx as nx
import pytest
from hypothesis import given, settings, strategies as st

import sim
from sim.dataflow import JobGraph
from sim.digraph import Dag, is_acyclic, lexicographic_order, topological_order

# a random directed graph: nodes 0..n-1 in a shuffled insertion order, edges in a random order
graphs = st.integers(1, 8).flatmap(lambda n: st.tuples(
    st.permutations(range(n)),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n)))   # self-loops too


def _both(spec):
    nodes, edges = spec
    dag, g = Dag(), nx.DiGraph()
    for n in nodes:
        dag.add_node(n, index=n)
        g.add_node(n, index=n)
    for k, (a, b) in enumerate(edges):
        dag.add_edge(a, b, k=k)
        g.add_edge(a, b, k=k)
    return dag, g


@settings(max_examples=150, deadline=None)
@given(graphs)
def test_reads_like_networkx(spec):
    dag, g = _both(spec)
    assert list(dag) == list(g) and list(dag.nodes(data=True)) == list(g.nodes(data=True))
    assert list(dag.edges(data=True)) == list(g.edges(data=True))
    for n in g:
        assert list(dag.predecessors(n)) == list(g.predecessors(n))
        assert list(dag.successors(n)) == list(g.successors(n))
        assert (dag.in_degree(n), dag.out_degree(n)) == (g.in_degree(n), g.out_degree(n))
    for a, b in g.edges:
        assert dag.has_edge(a, b) and dag.edges[a, b] == g.edges[a, b]
    built = dag.to_networkx()
    assert list(built.nodes(data=True)) == list(g.nodes(data=True))
    assert list(built.edges(data=True)) == list(g.edges(data=True))
    assert all(list(built.predecessors(n)) == list(g.predecessors(n)) for n in g)
    copy = dag.copy()
    copy.add_edge("x", spec[0][0], k=-1)
    copy.nodes[spec[0][0]]["index"] = -1
    assert "x" not in dag and dag.nodes[spec[0][0]]["index"] == spec[0][0]        # its own structure
    assert [e for e in copy.edges(data=True) if e[0] != "x"] == list(g.edges(data=True))


@settings(max_examples=150, deadline=None)
@given(graphs)
def test_orders_as_networkx(spec):
    dag, g = _both(spec)
    acyclic = nx.is_directed_acyclic_graph(g)
    assert is_acyclic(dag) == acyclic
    if acyclic:
        assert topological_order(dag) == list(nx.topological_sort(g))
        assert topological_order(g) == list(nx.topological_sort(g))      # it reads a DiGraph too
        key = lambda n: -n                                                # noqa: E731
        assert lexicographic_order(dag, key) == list(nx.lexicographical_topological_sort(g, key=key))


def test_job_graph_is_still_a_networkx_digraph():
    """``JobGraph.graph`` stays the documented networkx DiGraph, equal to the small one."""
    s = sim.load_scenario("scenarios/recovery/shuffle_crash_exactly_once.yaml")
    job = JobGraph.build(s)
    assert isinstance(job.graph, nx.DiGraph) and job.graph is job.graph
    assert list(job.graph.nodes(data=True)) == list(job.dag.nodes(data=True))
    assert list(job.graph.edges(data=True)) == list(job.dag.edges(data=True))


def test_a_cycle_is_named_as_networkx_walks_it():
    """The small graph finds the cycle; networkx's ``find_cycle`` names it, as before: it walks
    depth first from the first operator (source -> split -> count -> format) and meets split
    again, so the cycle reads split -> count -> format -> split and the edge that closes it,
    format -> split (``job.edges[3]``, line 16 of the text), is blamed."""
    text = """\
kind: job
name: cycle
input: [{topic: in, at: 1, value: "a b"}]
kafka: {topics: {in: {partitions: 1}, out: {partitions: 1}}}
job:
  operators:
    - {name: source, type: kafka_source, topic: in}
    - {name: split, type: flat_map, function: split_words}
    - {name: count, type: keyed_sum}
    - {name: format, type: map, function: format_count}
    - {name: sink, type: kafka_sink, topic: out}
  edges:
    - {from: source, to: split}
    - {from: split, to: count}
    - {from: count, to: format}
    - {from: format, to: split}
    - {from: format, to: sink}
"""
    with pytest.raises(sim.ScenarioError) as caught:
        sim.load_text(text, "cycle.yaml")
    assert caught.value.message == "the job graph has a cycle: split -> count -> format -> split"
    assert (caught.value.line, caught.value.path) == (16, "job.edges[3]")
