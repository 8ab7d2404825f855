"""The classic algorithm: pure logic, the runtime, invariants (Hypothesis), COS 418 conformance."""
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import sim
from sim.analysis.snapshots import check_invariants, snapshots
from sim.scenario import ScenarioError, parse_scenario
from sim.scenario.cos418 import import_cos418, parse_snap
from sim.snapshot.chandy_lamport import ChannelRecorded, Done, NotEnoughTokens, Process, Recorded, SendMarkers

import yaml


def test_initiator_records_and_sends_markers_first():
    p = Process("A", 5, incoming=["B", "C"], outgoing=["B"])
    assert p.start(0) == [Recorded(0, 5), SendMarkers(0, ("B",))]
    assert p.snapshots[0].recording == {"B", "C"}


def test_first_marker_records_state_and_that_channel_empty():
    p = Process("B", 2, incoming=["A", "C"], outgoing=["A", "C"])
    assert p.on_marker("A", 0) == [Recorded(0, 2), ChannelRecorded(0, "A", ()), SendMarkers(0, ("A", "C"))]
    p.receive("C", 3)
    p.receive("A", 1)                       # A is closed: not recorded
    assert p.on_marker("C", 0) == [ChannelRecorded(0, "C", (3,)), Done(0)]
    assert p.tokens == 6 and p.snapshots[0].tokens == 2


def test_a_single_incoming_channel_is_done_on_the_first_marker():
    p = Process("B", 1, incoming=["A"], outgoing=["A"])
    assert p.on_marker("A", 4)[-1] == Done(4)


def test_concurrent_snapshots_record_independently():
    p = Process("A", 10, incoming=["B"], outgoing=["B"])
    p.start(0)
    p.receive("B", 2)
    p.on_marker("B", 1)                     # snapshot 1 reaches A: records 12
    p.receive("B", 3)
    assert p.on_marker("B", 0) == [ChannelRecorded(0, "B", (2, 3)), Done(0)]
    assert p.snapshots[1].tokens == 12


def test_sending_more_tokens_than_held():
    p = Process("A", 1, incoming=[], outgoing=["B"])
    with pytest.raises(NotEnoughTokens):
        p.send("B", 2)


def test_runtime_error_names_the_event_line():
    text = "kind: chandy_lamport\nnodes: {A: 1, B: 0}\nlinks: [[A, B], [B, A]]\nevents:\n" \
           "  - {at: 0, send: [A, B, 1]}\n  - {at: 0, send: [A, B, 1]}\n"
    with pytest.raises(ScenarioError) as info:
        sim.run(sim.load_text(text, "t.yaml"))
    assert info.value.line == 6 and info.value.path == "events[1].send"
    assert "A holds 0 token(s) and cannot send 1" in info.value.message


# --- properties over random strongly connected graphs ------------------------------------------------
@st.composite
def networks(draw):
    n = draw(st.integers(2, 6))
    names = [f"P{i}" for i in range(n)]
    links = {(names[i], names[(i + 1) % n]) for i in range(n)}            # a ring: strongly connected
    extra = draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names)), max_size=8))
    links |= {(a, b) for a, b in extra if a != b}
    tokens = {name: draw(st.integers(0, 20)) for name in names}
    events, holding = [], dict(tokens)
    t = 0
    for _ in range(draw(st.integers(1, 12))):
        t += draw(st.integers(0, 3))
        if draw(st.booleans()):
            src, dst = draw(st.sampled_from(sorted(links)))
            if holding[src] > 0:
                k = draw(st.integers(1, holding[src]))
                holding[src] -= k               # received tokens are not counted: always feasible
                events.append({"at": t, "send": [src, dst, k]})
        else:
            events.append({"at": t, "snapshot": draw(st.sampled_from(names))})
    if not any("snapshot" in e for e in events):
        events.append({"at": t, "snapshot": names[0]})
    seen, unique = set(), []
    for e in events:
        key = (e.get("snapshot"), e["at"])
        if "snapshot" in e and key in seen:
            continue
        seen.add(key)
        unique.append(e)
    return {"kind": "chandy_lamport", "name": "prop", "nodes": tokens, "links": sorted(links),
            "delay": {"min": 1, "max": draw(st.integers(1, 6))}, "events": unique,
            "seed": draw(st.integers(0, 10_000))}, sum(tokens.values())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_every_snapshot_is_consistent_and_completes(net):
    data, total = net
    run = sim.run(parse_scenario(yaml.safe_dump(data), "prop.yaml"))
    assert check_invariants(run.trace, total) == []
    assert all(s["complete"] for s in snapshots(run.trace))


# --- conformance with COS 418's test data (skipped when ../shared is absent) ---------------------------
COS = Path(__file__).resolve().parent.parent.parent / "shared" / "conformance" / "cos418"
TESTS = {"2nodes-simple": "2nodes", "2nodes-message": "2nodes", "3nodes-simple": "3nodes",
         "3nodes-bidirectional-messages": "3nodes", "8nodes-sequential-snapshots": "8nodes",
         "8nodes-concurrent-snapshots": "8nodes", "10nodes": "10nodes"}
EXACT = ("2nodes-simple", "2nodes-message", "8nodes-sequential-snapshots")
needs_data = pytest.mark.skipif(not COS.is_dir(), reason="../shared/conformance/cos418 is not present")


def imported(test: str, seed: int):
    snaps = [p.read_text() for p in sorted(COS.glob(f"{test}*.snap"))
             if p.stem == test or p.stem[len(test):].isdigit()]
    data = import_cos418((COS / f"{TESTS[test]}.top").read_text(), (COS / f"{test}.events").read_text(), snaps, test)
    data["seed"] = seed
    return parse_scenario(yaml.safe_dump(data), test), data


@needs_data
@pytest.mark.parametrize("test", EXACT)
@pytest.mark.parametrize("seed", range(8))
def test_delay_independent_tests_come_out_exactly(test, seed):
    scenario, data = imported(test, seed)
    run = sim.run(scenario)
    assert run.report["failures"] == []
    assert len(run.report["snapshots"]) == len(data["expect"]["snapshots"])


@needs_data
@pytest.mark.parametrize("test", sorted(TESTS))
def test_invariants_hold_on_all_seven_under_many_seeds(test):
    for seed in range(25):
        scenario, data = imported(test, seed)
        run = sim.run(scenario)
        assert check_invariants(run.trace, sum(data["nodes"].values())) == [], (test, seed)


@needs_data
def test_snap_parser_reads_the_reference_files():
    snap = parse_snap((COS / "2nodes-message.snap").read_text())
    assert snap == {"id": 0, "nodes": {"N1": 0, "N2": 0}, "channels": {"N1->N2": [1]}}
