"""Fuzzing the CLI: generated YAML documents and mutations of the shipped scenarios.

Whatever the input, ``snapsim run`` ends with exit 0, 1 or 2, never a traceback, and refuses bad
input (exit 2) within a time bound. Runs are in-process (``sim.cli.main``), not subprocesses.
``SNAPSIM_FUZZ_EXAMPLES`` raises the number of examples of each strategy (default 60);
``SNAPSIM_FUZZ_RANDOM`` draws new examples instead of the same ones every time.
"""
from __future__ import annotations

import io
import math
import os
import time
from contextlib import redirect_stderr, redirect_stdout

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from sim.cli import main
from sim.shipped import shipped_names

EXAMPLES = int(os.environ.get("SNAPSIM_FUZZ_EXAMPLES", "60"))
# NOTE: a bound against hangs, not a timing test: the refusals take milliseconds, the inputs they
# guard against ran for 27-47 s or forever; CI's 2 loaded cores must never make this flaky.
REFUSE_WITHIN = 10.0         # seconds for an exit 2
TRIED = {"inputs": 0, "exit": {0: 0, 1: 0, 2: 0}}

SHIPPED = {name: yaml.safe_load(p.read_text()) for name, p in sorted(shipped_names().items()) if "/" in name
           or name.startswith(("hello", "seed"))}


def _keys(value, out: set) -> set:
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(str(k))
            _keys(v, out)
    elif isinstance(value, list):
        for v in value:
            _keys(v, out)
    return out


VOCABULARY = sorted(_keys(list(SHIPPED.values()), set()))

ODD_VALUES = st.sampled_from([None, True, False, 0, 1, 2, -1, 0.5, 1e9, 10 ** 30, math.inf, -math.inf, math.nan,
                              "", "x", "drained", "1s", "-5ms", "10/s", "1e999/s", "BAR(1,0)", "hello", [], {},
                              [1, "a"], {"a": 1}, "split[0]", "split[9]", "exactly_once", "read_committed"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10 ** 6, 10 ** 6), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(VOCABULARY))
DOCS = st.recursive(SCALARS, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.sampled_from(VOCABULARY) | st.text(max_size=6), kids,
                                                max_size=5)), max_leaves=25)


def run_cli(tmp_path, text: str) -> int:
    """Run ``snapsim run FILE --json`` in-process; the exit code (an exception fails the test)."""
    f = tmp_path / "fuzz.yaml"
    f.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    start = time.process_time()          # CPU time: other processes on the machine do not count
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(["run", str(f), "--json", "--trace-level", "summary"])
            code = 0
        except SystemExit as exc:
            code = exc.code
    elapsed = time.process_time() - start
    TRIED["inputs"] += 1
    assert code in (0, 1, 2), (code, err.getvalue())
    TRIED["exit"][code] += 1
    assert "Traceback" not in err.getvalue()
    if code == 2:
        assert elapsed < REFUSE_WITHIN, (elapsed, err.getvalue())
        assert err.getvalue().startswith("error: ") and '"ok": false' in out.getvalue()
    return code


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


def _mutate(doc, path, action, value):
    """A copy of ``doc`` with the node at ``path`` replaced, deleted, or given an unknown key."""
    import copy
    doc = copy.deepcopy(doc)
    if not path:
        return value if action == "replace" else doc
    node = doc
    for part in path[:-1]:
        node = node[part]
    last = path[-1]
    if action == "delete":
        del node[last]
    elif action == "extra" and isinstance(node[last], dict):
        node[last]["unknwon_key"] = value
    else:
        node[last] = value
    return doc


# keys a shipped job may not set, so that mutations reach them too
KNOWN = ["kafka.abort_scan_interval", "kafka.transaction_max_timeout", "checkpointing.interval",
         "checkpointing.timeout", "checkpointing.min_pause", "checkpointing.max_concurrent",
         "checkpointing.tolerable_failures", "checkpointing.unaligned", "checkpointing.aligned_timeout",
         "checkpointing.notify_delay", "restart.strategy", "restart.attempts", "restart.delay",
         "restart.initial_backoff", "restart.multiplier", "restart.jitter", "run.until", "run.max_time",
         "run.trace", "job.network.latency", "job.network.buffer_timeout", "job.network.buffer_size",
         "job.network.capacity", "state_backend.sync_bytes_per_ms", "state_backend.record_bytes", "faults",
         "consumers", "expect.exactly_once", "expect.lost", "job.edges", "flink_version", "job.failover",
         "checkpointing.initial_delay", "lifecycle", "job.chaining"]


def _set(doc, dotted: str, value):
    import copy
    doc = copy.deepcopy(doc)
    node = doc
    *parents, last = dotted.split(".")
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[last] = value
    return doc


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize="SNAPSIM_FUZZ_RANDOM" not in os.environ,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


@SETTINGS
@given(doc=DOCS)
def test_generated_documents(tmp_path, doc):
    run_cli(tmp_path, yaml.safe_dump(doc, allow_unicode=True))


@SETTINGS
@given(text=st.text(alphabet=st.sampled_from(list("ab: -[]{},&*!|>'\"#%@`\n\t0.9") + ["\x00", "é", "\ufeff"]),
                    max_size=80))
def test_raw_text(tmp_path, text):
    run_cli(tmp_path, text)


@SETTINGS
@given(data=st.data(), name=st.sampled_from(sorted(SHIPPED)),
       action=st.sampled_from(["replace", "replace", "delete", "extra"]), value=ODD_VALUES)
def test_mutated_shipped_scenarios(tmp_path, data, name, action, value):
    doc = SHIPPED[name]
    paths = [p for p in _paths(doc) if p]
    path = data.draw(st.sampled_from(paths))
    run_cli(tmp_path, yaml.safe_dump(_mutate(doc, path, action, value), allow_unicode=True))


@SETTINGS
@given(name=st.sampled_from(sorted(n for n, d in SHIPPED.items() if d.get("kind", "job") == "job")),
       key=st.sampled_from(KNOWN), value=ODD_VALUES)
def test_known_keys_set_to_odd_values(tmp_path, name, key, value):
    run_cli(tmp_path, yaml.safe_dump(_set(SHIPPED[name], key, value), allow_unicode=True))


def test_zz_report_count(capsys):
    """Prints how many inputs the fuzz tests above tried (run with -s to see it)."""
    with capsys.disabled():
        print(f"\nfuzz: {TRIED['inputs']} inputs tried, exits {TRIED['exit']}")
