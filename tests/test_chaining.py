"""Operator chaining (docs/architecture.md): which operators share a task, and what a chained task is."""
import pytest

import sim
from sim import load_text, run
from sim.dataflow import FunctionRegistry, JobGraph
from sim.dataflow.refs import TaskRef, resolve

from .conftest import HELLO


def chains(text):
    return JobGraph.build(load_text(text), FunctionRegistry()).chains()


def test_forward_edges_of_equal_parallelism_chain_and_the_hash_edge_cuts():
    # source -> split forward (parallelism 1 both); split -> count is hash (keyed_sum): a new task;
    # count -> format -> sink forward: the tutorial's two kinds of tasks
    assert chains(HELLO) == [["source", "split"], ["count", "format", "sink"]]


def test_chaining_false_gives_one_task_per_operator():
    text = HELLO.replace("  parallelism: 1", "  parallelism: 1\n  chaining: false")
    assert chains(text) == [["source"], ["split"], ["count"], ["format"], ["sink"]]


def test_chain_false_cuts_on_both_sides_and_start_new_chain_only_upstream():
    # disableChaining(): format neither joins count nor lets sink join it
    off = HELLO.replace("function: format_count}", "function: format_count, chain: false}")
    assert chains(off) == [["source", "split"], ["count"], ["format"], ["sink"]]
    # startNewChain(): format starts a chain that sink may join
    new = HELLO.replace("function: format_count}", "function: format_count, start_new_chain: true}")
    assert chains(new) == [["source", "split"], ["count"], ["format", "sink"]]


def test_unequal_parallelism_does_not_chain():
    # source 1 vs split 2: the edge defaults to rebalance, so they are two tasks
    text = HELLO.replace("  parallelism: 1", "  parallelism: 2").replace(
        "start_from: earliest}", "start_from: earliest, parallelism: 1}")
    assert chains(text)[:2] == [["source"], ["split"]]


def test_the_trace_and_the_json_list_the_chained_tasks():
    r = run(load_text(HELLO))
    expected = [{"name": "source->split[0]", "operators": ["source", "split"], "subtask": 0, "parallelism": 1},
                {"name": "count->format->sink[0]", "operators": ["count", "format", "sink"], "subtask": 0,
                 "parallelism": 1}]
    assert r.trace.first("run_start")["tasks"] == expected
    assert r.report["tasks"] == expected
    # one channel: the hash edge between the two tasks
    assert {e["channel"] for e in r.trace.of("barrier_send")} == {"source->split[0]->count->format->sink[0]"}


def test_a_fault_naming_any_operator_of_a_chain_hits_the_chained_task():
    r = run(load_text(HELLO + "faults:\n  - {at: 250, crash: format}\nrestart: {strategy: fixed_delay, delay: 10ms}\n"))
    assert r.trace.first("task_crash")["task"] == "count->format->sink[0]"
    assert r.report["exactly_once"]["ok"] and r.report["restarts"] == 1


def test_a_record_fault_counts_the_records_entering_its_operator_inside_the_chain():
    # one word per line; format runs inside count->format->sink, so its 2nd record is world's count
    # (hello@100, world@200): the crash comes when world reaches format, after 200 plus one hop
    r = run(load_text(HELLO + "faults:\n  - {task: format, on_record: 2}\nrestart: {strategy: fixed_delay, delay: 10ms}\n"))
    crash = r.trace.first("fault_injected")
    assert crash["task"] == "count->format->sink[0]" and "record 2" in crash["detail"]
    assert 200 < crash["t"] < 300
    assert r.report["exactly_once"]["ok"]


def test_one_resolver_for_task_references():
    plan = JobGraph.build(load_text(HELLO.replace("  parallelism: 1", "  parallelism: 2")), FunctionRegistry()).expand()
    names = lambda ref: [t.name for t in resolve(ref, plan.tasks)]      # noqa: E731
    assert names("split") == ["source->split[0]", "source->split[1]"]
    assert names("sink[1]") == ["count->format->sink[1]"]
    assert names(TaskRef("count", 0)) == ["count->format->sink[0]"]
    assert resolve("split[0]", [{"name": "x", "operators": ["source", "split"], "subtask": 0}])
    with pytest.raises(ValueError):
        TaskRef.parse("split[")


def test_unknown_chaining_keys_are_errors():
    with pytest.raises(sim.ScenarioError) as err:
        load_text(HELLO.replace("function: format_count}", "function: format_count, chian: false}"))
    assert "chian" in str(err.value)
