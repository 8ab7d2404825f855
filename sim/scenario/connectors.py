"""The Kafka connectors' defaults: which implementation a job uses, and what follows from it.

``FlinkKafkaProducer`` / ``FlinkKafkaConsumer`` are the legacy connectors (Flink <= 1.14 default,
removed in Flink 2.x); ``KafkaSink`` / ``KafkaSource`` are the new ones (default from 1.15). An
operator that names its ``implementation`` keeps it; the others get the defaults passed in (the
release table of docs/rules.md: the release table decides them). The start position follows the source's
implementation: ``group_offsets`` for FlinkKafkaConsumer, ``earliest`` for KafkaSource (docs/connectors.md).
"""
from __future__ import annotations

__all__ = ["fill_connector_defaults", "connectors_for_release", "LEGACY_SINK", "LEGACY_SOURCE", "START_DEFAULT"]

LEGACY_SINK, LEGACY_SOURCE = "FlinkKafkaProducer", "FlinkKafkaConsumer"
#: the first release with each new connector (KafkaSink: Sink V2, FLIP-143, 1.14; KafkaSource: FLIP-27, 1.12)
FIRST_RELEASE = {"KafkaSink": (1, 14), "KafkaSource": (1, 12)}
#: the start setting when a source names none (FlinkKafkaConsumer.setStartFromGroupOffsets is its
#: default; KafkaSourceBuilder starts from OffsetsInitializer.earliest())
START_DEFAULT = {"FlinkKafkaConsumer": "group_offsets", "KafkaSource": "earliest"}


def connectors_for_release(scenario):
    """``scenario`` with the connectors of its ``flink_version`` (docs/rules.md: the release table): FlinkKafkaProducer /
    FlinkKafkaConsumer before 1.15, KafkaSink / KafkaSource from 1.15; on 2.x a legacy connector
    named explicitly is an error naming both."""
    from .versions import release
    rel = release(scenario.flink_version)
    for i, op in enumerate(scenario.job.operators):
        since = FIRST_RELEASE.get(getattr(op, "implementation", None))
        if since is not None and not rel.at_least(*since):
            raise scenario.error(f"Flink {rel.version} has no {op.implementation} (from Flink {since[0]}.{since[1]}); "
                                 f"use the legacy connector or a later flink_version", "job", "operators", i,
                                 "implementation")
        if getattr(op, "bounded", False) and (op.implementation or rel.source_implementation) != "KafkaSource":
            raise scenario.error("bounded input is a KafkaSource feature (setBounded); FlinkKafkaConsumer has none: "
                                 "set implementation: KafkaSource", "job", "operators", i, "bounded")
        if not rel.legacy_connectors and getattr(op, "implementation", None) in (LEGACY_SINK, LEGACY_SOURCE):
            raise scenario.error(f"Flink {rel.version} has no {op.implementation} (removed with the Kafka connector "
                                 f"4.0); use {'KafkaSink' if op.type == 'kafka_sink' else 'KafkaSource'} or an "
                                 f"earlier flink_version", "job", "operators", i, "implementation")
    return fill_connector_defaults(scenario, rel.sink_implementation, rel.source_implementation)


def fill_connector_defaults(scenario, sink: str = LEGACY_SINK, source: str = LEGACY_SOURCE):
    """``scenario`` with every Kafka operator's ``implementation`` (and a source's ``start_from``) set."""
    if scenario.kind != "job":
        return scenario
    ops, changed = [], False
    for op in scenario.job.operators:
        update = {}
        if op.type == "kafka_sink" and op.implementation is None:
            update["implementation"] = sink
        if op.type == "kafka_source":
            impl = op.implementation or source
            if op.implementation is None:
                update["implementation"] = impl
            if op.start_from is None:
                update["start_from"] = START_DEFAULT[impl]
        ops.append(op.model_copy(update=update) if update else op)
        changed = changed or bool(update)
    if not changed:
        return scenario
    return scenario.model_copy(update={"job": scenario.job.model_copy(update={"operators": ops})})
