"""The timing diagram's lanes for input topics: a reader of an input topic sits next to the topic it
reads, labelled with it, and records an upstream ``transaction:`` input item wrote are drawn on their
topic's lane with their transaction's commit or abort.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

import sim
from sim.analysis.views.timing import timing_diagram

from .test_input_readers import COMMITTED, LINES

matplotlib.use("Agg")

ABORTED = (Path(__file__).parent.parent / "scenarios" / "connectors" / "reads_aborted_input.yaml").read_text()


def _draw(text: str) -> dict:
    return timing_diagram(sim.run(sim.load_text(text, overrides=["run.trace=full"])).trace)


def test_a_reader_of_the_input_topic_sits_just_above_that_topic_and_names_it():
    # Worked out: readers raw and plain read the input topic 'lines', so their lanes come right
    # above 'Kafka lines' (the side away from the job: the source's arrows do not cross them) and
    # name the topic; 'committed' reads the sink topic 'counts' and stays right below it, unnamed.
    drawn = _draw(LINES + COMMITTED)
    labels = [t.get_text() for t in drawn["lanes"][0].axes.get_yticklabels()]
    assert labels == ["JobManager", "reader raw (lines)", "reader plain (lines)", "Kafka lines", "source->split[0]",
                      "count->format->sink[0]", "Kafka counts", "reader committed"]


@pytest.mark.parametrize("isolation, labelled", [("", {"p0@0", "p0@1", "p0@3", "p0@4"}),
                                                  (", isolation: read_committed", {"p0@0", "p0@1", "p0@3,p0@4"})])
def test_records_of_an_input_transaction_are_on_their_topic_with_its_commit_and_abort(isolation, labelled):
    # Worked out (the scenario's comment): the upstream transaction writes words@0 at 100 ms and
    # words@1 at 200 ms and is aborted at 400 ms (marker @2); the second writes @3 at 600 and @4 at
    # 700 ms and commits at 900 ms. Four marks on the 'Kafka words' lane at those times, a cross at
    # 400 and a tick at 900. Read read_uncommitted, each record is labelled where the source read it
    # (at its append time); read_committed, the source never reads @0 and @1 (aborted: labelled at
    # their marks) and reads @3 and @4 together when the commit at 900 ms lets them through.
    drawn = _draw(ABORTED.replace("implementation: KafkaSource}", "implementation: KafkaSource" + isolation + "}"))
    ax = drawn["lanes"][0].axes
    y = dict(zip([t.get_text() for t in ax.get_yticklabels()], ax.get_yticks()))["Kafka words"]
    marks = sorted((m.get_xdata()[0], m.get_ydata()[0]) for m in drawn["input_records"])
    assert marks == [(100.0, y), (200.0, y), (600.0, y), (700.0, y)]
    ends = {m.get_gid(): (m.get_xdata()[0], m.get_ydata()[0], m.get_marker()) for m in drawn["input_txn"]}
    assert ends == {"input-txn-upstream-0-1#0": (400.0, y, "x"), "input-txn-upstream-0-2#0": (900.0, y, "$✓$")}
    on_topic = {t.get_text() for t in drawn["labels"] if t.get_position()[1] >= y and "@" in t.get_text()}
    assert labelled <= on_topic


def test_a_window_draws_only_its_own_input_records_and_transaction_ends():
    # Worked out: the window 500-1000 ms holds the second transaction's writes (600, 700 ms) and its
    # commit (900 ms); the first transaction's writes (100, 200) and abort (400) lie before it.
    trace = sim.run(sim.load_text(ABORTED, overrides=["run.trace=full"])).trace
    drawn = timing_diagram(trace, window=(500, 1000))
    assert sorted(m.get_xdata()[0] for m in drawn["input_records"]) == [600.0, 700.0]
    assert [(m.get_xdata()[0], m.get_marker()) for m in drawn["input_txn"]] == [(900.0, "$✓$")]


@pytest.mark.parametrize("window, end", [((800, 1000), (900.0, "$✓$")), ((300, 500), (400.0, "x"))])
def test_a_window_draws_a_transaction_end_whose_records_precede_it(window, end):
    # Worked out: the second transaction writes at 600 and 700 ms and commits at 900 ms, so the
    # window 800-1000 ms holds its commit and none of its records; likewise 300-500 ms holds the
    # first one's abort (400 ms) but not its writes (100, 200 ms). An end belongs to a window by its
    # own time: drawn on the topic it wrote, with no dots.
    trace = sim.run(sim.load_text(ABORTED, overrides=["run.trace=full"])).trace
    drawn = timing_diagram(trace, window=window)
    ax = drawn["lanes"][0].axes
    y = dict(zip([t.get_text() for t in ax.get_yticklabels()], ax.get_yticks()))["Kafka words"]
    assert "input_records" not in drawn
    assert [(m.get_xdata()[0], m.get_ydata()[0], m.get_marker()) for m in drawn["input_txn"]] == [(end[0], y, end[1])]


def test_the_report_maps_a_reader_of_the_input_topic_to_its_lane():
    # the page's hover map matches events to lanes by name: the lane's own name ('reader raw'),
    # not its tick text ('reader raw (lines)'), or the reads of raw would belong to no lane
    from sim.analysis.views.svgmap import lane_of, timing_svg

    trace = sim.run(sim.load_text(LINES, overrides=["run.trace=full"])).trace
    _, geo = timing_svg(trace)
    lanes = {lane["name"] for lane in geo["lanes"]}
    assert "reader raw" in lanes
    read = next(e for e in trace.events if e["kind"] == "consumer_read" and e["consumer"] == "raw")
    assert lane_of(read, lanes) == "reader raw"


def test_an_aggregated_picture_keeps_the_input_transaction_ends_but_not_its_dots():
    # Aggregated, the topic's density band counts the four records; the abort (400 ms) and the
    # commit (900 ms) are still marked, as a job's own transactions still are
    trace = sim.run(sim.load_text(ABORTED, overrides=["run.trace=full"])).trace
    drawn = timing_diagram(trace, aggregate=True)
    assert "input_records" not in drawn
    assert sorted((m.get_xdata()[0], m.get_marker()) for m in drawn["input_txn"]) == [(400.0, "x"), (900.0, "$✓$")]
