"""Shared helpers: run a scenario given as YAML text, headless matplotlib."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


@pytest.fixture
def root() -> Path:
    return ROOT


def run_text(text: str, **kw):
    import sim
    return sim.run(sim.load_text(text, "test.yaml", **kw))


HELLO = """
name: t
seed: 1
kafka: {topics: {in: {partitions: 1}, out: {partitions: 1}}}
input:
  - {topic: in, at: 100, value: hello}
  - {topic: in, at: 200, value: world}
  - {topic: in, at: 300, value: hello}
job:
  parallelism: 1
  operators:
    - {name: source, type: kafka_source, implementation: FlinkKafkaConsumer, topic: in, start_from: earliest}
    - {name: split, type: flat_map, function: split_words}
    - {name: count, type: keyed_sum}
    - {name: format, type: map, function: format_count}
    - {name: sink, type: kafka_sink, implementation: FlinkKafkaProducer, topic: out, transaction_timeout: 1min}
checkpointing: {interval: 1s}
consumers:
  - {name: committed, topic: out, isolation: read_committed}
"""


def new_connectors(text: str) -> str:
    """HELLO-style text with KafkaSink / KafkaSource instead of the legacy connectors (Flink 2.x has
    only those)."""
    return text.replace("implementation: FlinkKafkaProducer,", "implementation: KafkaSink, transactional_id_prefix: t,") \
        .replace("implementation: FlinkKafkaConsumer,", "implementation: KafkaSource,")
