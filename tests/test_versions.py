"""``flink_version``: every version-dependent default follows the release table (docs/rules.md: the release table);
an explicit key wins; a key the release lacks is a ScenarioError naming the key and the release."""
import pytest
import yaml

from sim import load_text
from sim.scenario import ScenarioError, parse_scenario, release

from .conftest import HELLO, new_connectors


def job(version=None, extra_cp="", extra=""):
    text = HELLO.replace("checkpointing: {interval: 1s}", "checkpointing: {interval: 1s" + extra_cp + "}") + extra
    if version is not None:
        text = text.replace("name: t\n", f"name: t\nflink_version: {version}\n")
        if version.strip('"').startswith("2."):
            text = new_connectors(text)           # Flink 2.x has no legacy Kafka connectors
    return text


def error_of(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_text(text, "bad.yaml")
    return info.value


# the table's rows, one release per column: (alignment, end_of_partition, failover, expiry counts,
# restart with checkpointing, sink, source, unaligned exists, aligned_timeout input / output side)
TABLE = {
    "1.9": ("buffer", "abort", "full", False, "fixed_delay", "FlinkKafkaProducer", "FlinkKafkaConsumer", False, False, False),
    "1.10": ("buffer", "abort", "region", False, "fixed_delay", "FlinkKafkaProducer", "FlinkKafkaConsumer", False, False, False),
    "1.11": ("block", "abort", "region", True, "fixed_delay", "FlinkKafkaProducer", "FlinkKafkaConsumer", True, False, False),
    "1.13": ("block", "abort", "region", True, "fixed_delay", "FlinkKafkaProducer", "FlinkKafkaConsumer", True, True, False),
    "1.15": ("block", "align", "region", True, "fixed_delay", "KafkaSink", "KafkaSource", True, True, False),
    "1.16": ("block", "align", "region", True, "fixed_delay", "KafkaSink", "KafkaSource", True, True, True),
    "1.19": ("block", "align", "region", True, "exponential_delay", "KafkaSink", "KafkaSource", True, True, True),
    "2.0": ("block", "align", "region", True, "exponential_delay", "KafkaSink", "KafkaSource", True, True, True),
}


@pytest.mark.parametrize("version", TABLE)
def test_release_table(version):
    rel = release(version)
    got = (rel.alignment, rel.end_of_partition, rel.failover, rel.expiry_counts, rel.restart_strategy(True),
           rel.sink_implementation, rel.source_implementation, rel.unaligned, rel.aligned_timeout_input,
           rel.aligned_timeout_output)
    assert got == TABLE[version]
    assert rel.restart_strategy(False) == "none"
    assert rel.legacy_connectors is (rel.major < 2)


@pytest.mark.parametrize("version", ["1.9", "1.13", "1.15", "2.0"])
def test_scenario_defaults_follow_the_release(version):
    s = load_text(job(f'"{version}"'))
    alignment, eop, failover, *_ = TABLE[version]
    assert (s.flink_version, s.checkpointing.alignment, s.checkpointing.end_of_partition, s.job.failover) == \
        (version, alignment, eop, failover)


def test_default_release_is_1_20():
    s = load_text(job())
    assert s.flink_version == "1.20"
    assert (s.checkpointing.alignment, s.checkpointing.end_of_partition, s.restart.strategy) == \
        ("block", "align", "exponential_delay")


def test_explicit_keys_win():
    s = load_text(job('"1.9"', ", alignment: block, end_of_partition: align", "restart: {strategy: none}\n")
                  .replace("  parallelism: 1\n", "  parallelism: 1\n  failover: region\n"))
    assert (s.checkpointing.alignment, s.checkpointing.end_of_partition, s.restart.strategy, s.job.failover) == \
        ("block", "align", "none", "region")


def test_patch_releases_are_accepted():
    assert load_text(job('"1.13.6"')).flink_version == "1.13"


@pytest.mark.parametrize("version, cp, key, words", [
    ('"1.10"', ", unaligned: true", "checkpointing.unaligned", "Flink 1.10 has no unaligned checkpoints (from Flink 1.11)"),
    ('"1.12"', ", unaligned: true, aligned_timeout: 5ms", "checkpointing.aligned_timeout",
     "Flink 1.12 has no aligned checkpoint timeout (from Flink 1.13)"),
])
def test_a_feature_the_release_lacks_is_an_error_naming_both(version, cp, key, words):
    err = error_of(job(version, cp))
    assert err.path == key and words in str(err) and err.file == "bad.yaml" and err.line is not None


def test_restart_strategy_the_release_lacks():
    err = error_of(job('"1.12"', extra="restart: {strategy: exponential_delay}\n"))
    assert err.path == "restart.strategy" and "Flink 1.12 has no exponential_delay restart strategy" in str(err)
    err = error_of(job('"1.18"', extra="restart: {strategy: exponential_delay, attempts: 3}\n"))
    assert err.path == "restart.attempts" and "1.19" in str(err)


def test_a_restart_parameter_of_another_strategy_is_an_error():
    # 1.20's default with checkpointing is exponential_delay, which has no fixed 'delay'
    err = error_of(job('"1.20"', extra="restart: {delay: 1s}\n"))
    assert err.path == "restart.delay" and "exponential_delay (Flink 1.20's default here)" in str(err)
    assert load_text(job('"1.13"', extra="restart: {delay: 2s}\n")).restart.strategy == "fixed_delay"


@pytest.mark.parametrize("value, words", [
    ("1.20", "write the release as a string"),
    ('"3.1"', "unknown Flink release '3.1'"),
    ('"1.21"', "unknown Flink release"),
    ('"latest"', "expected a Flink release such as"),
])
def test_bad_versions(value, words):
    err = error_of(job(value))
    assert err.path == "flink_version" and words in str(err)


def test_set_keeps_the_release_as_text():
    # --set flink_version=1.20 must not become the number 1.2
    assert load_text(job(), overrides=["flink_version=1.20"]).flink_version == "1.20"
    assert load_text(job(), overrides=["flink_version=1.9"]).checkpointing.alignment == "buffer"


def gate(**kw):
    data = {"kind": "gate", "name": "g", "channels": 2, "sequence": ["BAR(1,0)"], **kw}
    return parse_scenario(yaml.safe_dump(data), "g.yaml")


def test_gate_defaults_and_errors_follow_the_release():
    g = gate(flink_version="1.10")
    assert (g.alignment, g.end_of_partition) == ("buffer", "abort")
    assert gate(flink_version="1.9", alignment="block").alignment == "block"
    with pytest.raises(ScenarioError, match="Flink 1.10 has no unaligned checkpoints"):
        gate(flink_version="1.10", handler="unaligned")
    with pytest.raises(ScenarioError, match="Flink 1.12 has no aligned checkpoint timeout"):
        gate(flink_version="1.12", handler="alternating", aligned_timeout=5)


def test_seed_job_checkpoints_every_15_s_and_an_early_crash_restarts_from_latest():
    # docs/rules.md: the tutorial's job: interval 10 s < min_pause 15 s -> period 15 s, first delay in [15 s, 15 s]
    from pathlib import Path

    import sim
    r = sim.run(Path(__file__).resolve().parent.parent / "scenarios" / "seed_job.yaml")
    trace = r.trace
    assert r.scenario.flink_version == "1.13" and r.scenario.restart.strategy == "fixed_delay"
    starts = [0.0] + [e["t"] for e in trace.of("job_restart")]
    schedules = trace.of("checkpoint_schedule")
    assert [s["t"] for s in schedules] == starts
    assert all(s["delay"] == 15_000 and s["period"] == 15_000 for s in schedules)
    # triggers are never closer than 15 s (nothing at 10 s). The first: split throws at 12 000.1 ms
    # (hello written at 12 s, read by the source->split chain, 0.1 ms processing), restart 1 s later,
    # then 15 s;
    # 88.0 s is 15 s after checkpoint 3 completed (min_pause moved the periodic tick at 88.0 s - 5 ms)
    triggers = [t["t"] for t in trace.of("checkpoint_trigger")]
    assert triggers[0] == starts[1] + 15_000 == 28_000.1
    assert all(b - a >= 15_000 for a, b in zip(triggers, triggers[1:]))
    # the first crash (12 s) comes before the first trigger (15 s): no checkpoint to restore, the
    # source restarts from latest at the end of the topic (4 records written by then)
    crash, restart = trace.first("task_crash"), trace.first("job_restart")
    assert crash["t"] < 15_000 and restart["checkpoint"] is None
    reset = trace.first("source_offset_reset", t=restart["t"])
    assert reset["cause"] == "start_from: latest" and reset["offset"] == 4
