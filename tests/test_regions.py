"""Pipelined regions from the job graph's channels (SEMANTICS.md 7)."""
from sim import load_text
from sim.dataflow import JobGraph
from sim.dataflow.regions import pipelined_regions, region_of

from .conftest import HELLO


def regions_of(text):
    plan = JobGraph.build(load_text(text)).expand()
    return pipelined_regions([t.name for t in plan.subtasks], [(c.src, c.dst) for c in plan.channels])


def test_a_keyby_joins_everything_into_one_region():
    # source/split parallelism 2 -> hash -> count 2: every split subtask feeds every count subtask
    text = HELLO.replace("parallelism: 1", "parallelism: 2").replace("in: {partitions: 1}", "in: {partitions: 2}")
    regions = regions_of(text)
    assert len(regions) == 1 and len(regions[0]) == 10


def test_forward_only_job_has_one_region_per_pipeline():
    text = HELLO.replace("parallelism: 1", "parallelism: 2").replace("in: {partitions: 1}", "in: {partitions: 2}") \
        .replace("    - {name: count, type: keyed_sum}\n", "")
    assert regions_of(text) == [["source[0]", "split[0]", "format[0]", "sink[0]"],
                                ["source[1]", "split[1]", "format[1]", "sink[1]"]]


def test_union_find_on_plain_names():
    regions = pipelined_regions("abcdef", [("a", "b"), ("c", "d"), ("d", "b"), ("e", "e")])
    assert regions == [["a", "b", "c", "d"], ["e"], ["f"]]
    assert region_of("e", regions) == ["e"]
