"""Pipelined regions from the job graph's channels (docs/rules.md: failover)."""
from sim import load_text
from sim.dataflow import JobGraph
from sim.dataflow.regions import pipelined_regions, region_of

from .conftest import HELLO


def regions_of(text):
    plan = JobGraph.build(load_text(text)).expand()
    return pipelined_regions([t.name for t in plan.tasks], [(c.src, c.dst) for c in plan.channels])


PARALLEL = HELLO.replace("parallelism: 1", "parallelism: 2").replace("in: {partitions: 1}", "in: {partitions: 2}")


def test_a_keyby_joins_everything_into_one_region():
    # source->split (2 tasks) -> hash -> count->format->sink (2 tasks): every upstream task feeds every
    # downstream one, so the 4 tasks are one region
    assert regions_of(PARALLEL) == [["source->split[0]", "source->split[1]",
                                     "count->format->sink[0]", "count->format->sink[1]"]]


def test_forward_only_job_has_one_region_per_pipeline():
    text = PARALLEL.replace("    - {name: count, type: keyed_sum}\n", "")
    # chained: each pipeline is one task, with no channel at all
    assert regions_of(text) == [["source->split->format->sink[0]"], ["source->split->format->sink[1]"]]
    # unchained: forward channels i -> i join each pipeline's four tasks, and nothing else
    unchained = text.replace("  parallelism: 2\n", "  parallelism: 2\n  chaining: false\n", 1)
    assert regions_of(unchained) == [["source[0]", "split[0]", "format[0]", "sink[0]"],
                                     ["source[1]", "split[1]", "format[1]", "sink[1]"]]


def test_union_find_on_plain_names():
    regions = pipelined_regions("abcdef", [("a", "b"), ("c", "d"), ("d", "b"), ("e", "e")])
    assert regions == [["a", "b", "c", "d"], ["e"], ["f"]]
    assert region_of("e", regions) == ["e"]
