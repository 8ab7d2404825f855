"""The report's fast paths (columns read in C, one pass per kind) give what the plain definitions give."""
import re
from collections import Counter
from types import SimpleNamespace

from hypothesis import given, settings, strategies as st

import sim
from sim.trace import Trace
from sim.analysis.checker import _same_values
from sim.analysis.lso import lso_holds
from sim.analysis.metrics import _parse_counts, final_counts, parse_count, read_latency

from .conftest import SCENARIOS

# values around the ``key:::n`` form: separators, signs, digits of other scripts, newlines
VALUES = st.one_of(st.text(alphabet=":-0123456789ab\n٣ ", max_size=9), st.integers(), st.none(),
                   st.builds(lambda k, n: f"{k}:::{n}", st.text(alphabet="ab:\n", max_size=3), st.integers(-3, 30)))


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, max_size=12))
def test_parsed_counts_are_the_patterns(values):
    assert _parse_counts(values) == [parse_count(v) for v in values]


def _final_counts(values) -> dict:
    """The definition (docs/verdicts.md): ``key:::n`` upserts its key (the last read wins), other values are counted."""
    out: dict = {}
    for v in values:
        m = re.match(r"^(?P<key>.*):::(?P<n>-?[0-9]+)$", v) if isinstance(v, str) else None
        if m:
            out[m.group("key")] = int(m.group("n"))
        else:
            out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: str(kv[0])))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(VALUES.filter(lambda v: v is not None), st.sampled_from(["a:::1", "b:::2", "a:::3"])),
                max_size=12))
def test_final_counts_are_the_last_count_per_key(values):
    assert final_counts(values) == _final_counts(values)


def _latency(trace) -> dict:
    """Per visible reader: the read's time minus its record's append time, and minus its input's time."""
    written = {(e["topic"], e["partition"], e["offset"]): e["t"] for e in trace if e["kind"] == "kafka_append"}
    out: dict = {}
    for e in trace:
        if e["kind"] == "consumer_read" and not e["consumer"].startswith("_"):
            lat, e2e = out.setdefault(e["consumer"], ([], []))
            if (e["topic"], e["partition"], e["offset"]) in written:
                lat.append(e["t"] - written[(e["topic"], e["partition"], e["offset"])])
            if e["origin"] and len(e["origin"]) > 3 and e["origin"][3] is not None:
                e2e.append(e["t"] - e["origin"][3])
    return {name: {"mean": sum(v) / len(v), "max": max(v), "min": min(v), "reads": len(v),
                   "end_to_end_mean": sum(w) / len(w) if w else None, "end_to_end_max": max(w) if w else None}
            for name, (v, w) in out.items() if v}


def test_read_latency_of_several_readers_is_the_definition():
    trace = sim.run(SCENARIOS / "transactions" / "isolation_levels.yaml", trace_level="control").trace
    assert len({e["consumer"] for e in trace.of("consumer_read")}) > 1
    assert read_latency(trace) == _latency(trace)
    # a write missing from the trace, a read without provenance: both are left out
    lines = [e.to_dict() for e in trace]
    lines.remove(next(e for e in lines if e["kind"] == "kafka_append"))
    next(e for e in lines if e["kind"] == "consumer_read")["origin"] = None
    partial = Trace.from_events(lines)
    assert read_latency(partial) == _latency(partial) != read_latency(trace)


def test_lso_holds_read_the_same_from_a_trace_and_from_its_lines():
    trace = sim.run(SCENARIOS / "lifecycle" / "cancel_resubmit_beyond_timeout.yaml").trace
    holds = lso_holds(trace)
    assert holds and holds == lso_holds([e.to_dict() for e in trace])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 6), max_size=8), st.lists(st.integers(0, 6), max_size=8))
def test_same_values_is_multiset_equality(read, reference):
    # distinct values are compared as sets, repeated ones by counting: both are multiset equality
    rows = lambda values: [SimpleNamespace(value=v) for v in values]       # noqa: E731
    assert _same_values(rows(read), rows(reference)) == (Counter(read) == Counter(reference))
