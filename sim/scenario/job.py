"""Schema of ``kind: job``: a Kafka -> Flink -> Kafka pipeline (DESIGN.md, "kind: job")."""
from typing import Annotated, Literal, Optional, Union

from pydantic import Discriminator, Field, Tag, field_validator

from pydantic import BaseModel

from .common import Before, Comparison, Duration, Rate, Strict
from .lifecycle import LifecycleAction
from .limits import MAX_COUNT, MAX_PARALLELISM, MAX_PARTITIONS
from .units import parse_duration
from .versions import DEFAULT_VERSION, parse_version

__all__ = ["JobScenario", "OPERATOR_TYPES", "FlinkVersion"]


def _keyed(*keys):
    """A discriminator that picks a union member by which of ``keys`` the mapping holds."""
    def pick(value):
        if isinstance(value, dict):
            for key in keys:
                if key in value:
                    return f"is:{key}"
        elif isinstance(value, BaseModel):
            for key in keys:
                if key in type(value).model_fields or key + "_" in type(value).model_fields:
                    return f"is:{key}"
        return None
    return pick




class GrowSpec(Strict):
    at: Duration
    partitions: int = Field(ge=2, le=MAX_PARTITIONS)


class TopicSpec(Strict):
    partitions: int = Field(1, ge=1, le=MAX_PARTITIONS)
    grow: list[GrowSpec] = []     # partitions added while the job runs

    def total(self) -> int:
        return max([self.partitions] + [g.partitions for g in self.grow])

    def created(self, index: int) -> float:
        """When partition ``index`` comes into existence (0 for the initial ones)."""
        if index < self.partitions:
            return 0.0
        return min(g.at for g in self.grow if g.partitions > index)


class KafkaSpec(Strict):
    transaction_max_timeout: Duration = 900_000.0      # broker transaction.max.timeout.ms = 15 min
    abort_scan_interval: Duration = 10_000.0           # transaction.abort.timed.out.transaction.cleanup.interval.ms
    topics: dict[str, TopicSpec] = {}


class InputRecord(Strict):
    topic: str
    at: Duration = 0.0
    value: str
    partition: Optional[int] = Field(None, ge=0)
    key: Optional[str] = None


class GenerateSpec(Strict):
    topic: str
    rate: Rate
    duration: Duration
    start: Duration = 0.0
    words: list[str] = Field(default_factory=lambda: ["hello", "world"], min_length=1)
    words_per_line: int = Field(5, ge=1, le=MAX_COUNT)
    key_skew: Literal["uniform", "zipf"] = "uniform"


class GenerateItem(Strict):
    generate: GenerateSpec


class TxnRecord(Strict):
    at: Duration
    value: str


class InputTransactionSpec(Strict):
    """Records an upstream transactional producer writes, then commits, aborts, or leaves open."""

    topic: str
    partition: int = Field(0, ge=0)
    transactional_id: Optional[str] = None        # default: "input-<index of the item>"
    records: list[TxnRecord] = Field(min_length=1)
    commit: Optional[Duration] = None             # when the producer commits ...
    abort: Optional[Duration] = None              # ... or aborts; neither: open until the broker's timeout
    timeout: Duration = 60_000.0                  # the producer's transaction.timeout.ms (Kafka client: 60 s)


class InputTransaction(Strict):
    transaction: InputTransactionSpec


InputItem = Annotated[Union[Annotated[InputRecord, Tag("is:value"), ], Annotated[GenerateItem, Tag("is:generate")],
                            Annotated[InputTransaction, Tag("is:transaction")]],
                      Discriminator(_keyed("generate", "transaction", "value"), custom_error_type="input_kind",
                                    custom_error_message="an input item is {topic, at, value}, {generate: {...}} "
                                                         "or {transaction: {...}}")]


class _Op(Strict):
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")
    parallelism: Optional[int] = Field(None, ge=1, le=MAX_PARALLELISM)
    processing_time: Optional[Duration] = None
    #: ``false``: never chained with a neighbour (Flink's ``disableChaining()``)
    chain: bool = True
    #: ``true``: begins a new chain, may chain with its downstream (Flink's ``startNewChain()``)
    start_new_chain: bool = False


class KafkaSourceOp(_Op):
    type: Literal["kafka_source"]
    topic: str
    #: absent: by implementation (FlinkKafkaConsumer: group_offsets; KafkaSource: earliest)
    start_from: Optional[Literal["earliest", "latest", "group_offsets"]] = None
    #: FlinkKafkaConsumer or KafkaSource; absent: by Flink version
    implementation: Optional[Literal["FlinkKafkaConsumer", "KafkaSource"]] = None
    #: what the source reads of a transactionally written topic (neither Flink source sets it: docs/connectors.md)
    isolation: Literal["read_uncommitted", "read_committed"] = "read_uncommitted"
    #: KafkaSource only: read up to the end offsets at the job's start, then finish (setBounded(latest()))
    bounded: bool = False
    group: str = "flink"
    auto_offset_reset: Literal["earliest", "latest"] = "latest"
    commit_offsets_on_checkpoint: bool = True
    partition_discovery_interval: Optional[Duration] = None


class FlatMapOp(_Op):
    type: Literal["flat_map"]
    function: str


class MapOp(_Op):
    type: Literal["map"]
    function: str


class KeyedSumOp(_Op):
    type: Literal["keyed_sum"]
    key: str = "word"
    #: key groups: the unit of keyed state that rescaling moves (Flink's default 128)
    max_parallelism: int = Field(128, ge=1, le=32768)


class KafkaSinkOp(_Op):
    type: Literal["kafka_sink"]
    topic: str
    semantic: Literal["exactly_once", "at_least_once", "none"] = "exactly_once"
    transaction_timeout: Duration = 3_600_000.0       # Flink's Kafka sink sets 1 h
    transactional_id_prefix: Optional[str] = None
    #: FlinkKafkaProducer (legacy, pool of 5 ids) or KafkaSink (Sink V2); absent: by Flink version
    implementation: Optional[Literal["FlinkKafkaProducer", "KafkaSink"]] = None
    linger: Duration = 5.0          # at_least_once / none: the producer sends its batch this much later


Operator = Annotated[Union[KafkaSourceOp, FlatMapOp, MapOp, KeyedSumOp, KafkaSinkOp],
                     Field(discriminator="type")]
OPERATOR_TYPES = ("kafka_source", "flat_map", "map", "keyed_sum", "kafka_sink")


class EdgeSpec(Strict):
    from_: str = Field(alias="from")
    to: str
    partitioner: Optional[Literal["forward", "rebalance", "hash", "broadcast"]] = None


class NetworkSpec(Strict):
    latency: Duration = 1.0
    buffer_size: int = Field(1, ge=1, le=MAX_COUNT)
    buffer_timeout: Duration = 0.0
    capacity: int = Field(8, ge=1, le=MAX_COUNT)


class JobSpec(Strict):
    parallelism: int = Field(1, ge=1, le=MAX_PARALLELISM)
    operators: list[Operator] = Field(min_length=1)
    edges: list[EdgeSpec] = []
    #: Flink chains forward edges of equal parallelism into one task (docs/architecture.md); ``false`` turns it off
    chaining: bool = True
    network: NetworkSpec = NetworkSpec.model_construct()
    processing_time: dict[str, Duration] = Field(default_factory=lambda: {"default": 0.1})
    failover: Literal["region", "full"] = "region"    # absent: by flink_version (full before 1.10)


class StateBackendSpec(Strict):
    sync_base: Duration = 0.1              # fixed cost of the synchronous phase (ms)
    sync_bytes_per_ms: float = Field(1_000_000.0, gt=0)    # copy speed of the synchronous phase
    async_base: Duration = 1.0             # fixed cost of the upload (ms)
    async_bytes_per_ms: float = Field(100_000.0, gt=0)     # upload speed to checkpoint storage
    record_bytes: int = Field(100, ge=1)   # bytes per record (state and in-flight data)


class CheckpointingSpec(Strict):
    interval: Optional[Duration] = None
    mode: Literal["exactly_once", "at_least_once", "stop_the_world"] = "exactly_once"
    timeout: Duration = 600_000.0
    min_pause: Duration = 0.0
    max_concurrent: int = Field(1, ge=1, le=MAX_COUNT)
    tolerable_failures: int = Field(0, ge=0)
    unaligned: bool = False
    aligned_timeout: Duration = 0.0
    alignment: Literal["block", "buffer"] = "block"          # absent: by flink_version (versions.py)
    end_of_partition: Literal["align", "abort"] = "align"    # absent: by flink_version
    retention: Literal["none", "delete_on_cancellation", "retain_on_cancellation"] = "none"
    num_retained: int = Field(1, ge=1)
    notify_delay: Duration = 0.0           # notify_checkpoint_complete reaches the tasks this much later
    initial_delay: Optional[Duration] = None   # None: Flink's random first delay in [min_pause, period]

    @field_validator("interval")
    @classmethod
    def _positive_interval(cls, v):
        if v is not None and v <= 0:
            raise ValueError("the checkpoint interval must be positive (or null to disable checkpointing)")
        return v

    @property
    def period(self) -> Optional[float]:
        """The trigger period: ``interval`` raised to ``min_pause`` (CheckpointCoordinator's constructor)."""
        return None if self.interval is None else max(self.interval, self.min_pause)


def version_string(value):
    """A validator body: the normalised ``major.minor`` of a ``flink_version`` value."""
    return parse_version(value)[2]


FlinkVersion = Annotated[str, Before(version_string)]


class RestartSpec(Strict):
    # absent: Flink's default for the release and for checkpointing on/off (versions.py)
    strategy: Literal["none", "fixed_delay", "failure_rate", "exponential_delay"] = "fixed_delay"
    attempts: Optional[int] = Field(None, ge=0)          # fixed_delay; None = unlimited
    delay: Optional[Duration] = None                     # fixed_delay / failure_rate (default 1 s)
    max_failures: int = Field(1, ge=1)                   # failure_rate: per interval
    interval: Duration = 60_000.0                        # failure_rate
    initial_backoff: Duration = 1000.0                   # exponential_delay
    max_backoff: Duration = 60_000.0
    multiplier: float = Field(1.5, ge=1.0)
    jitter: float = Field(0.1, ge=0.0, le=1.0)
    reset_after: Duration = 3_600_000.0


class CrashAt(Strict):
    at: Duration
    crash: str


class CrashOnRecord(Strict):
    task: str
    on_record: int = Field(ge=1)


class CrashProbability(Strict):
    task: str
    probability: float = Field(gt=0.0, le=1.0)


class Decline(Strict):
    task: str
    decline: int = Field(ge=1, description="checkpoint id whose snapshot fails at this task")
    phase: Literal["decline", "sync", "async"] = "decline"   # decline at the barrier | sync phase throws | upload fails


class Stall(Strict):
    at: Duration
    stall: str
    for_: Duration = Field(alias="for")


Fault = Annotated[Union[Annotated[CrashAt, Tag("is:crash")], Annotated[CrashOnRecord, Tag("is:on_record")],
                        Annotated[CrashProbability, Tag("is:probability")], Annotated[Decline, Tag("is:decline")],
                        Annotated[Stall, Tag("is:stall")]],
                  Discriminator(_keyed("crash", "on_record", "probability", "decline", "stall"),
                                custom_error_type="fault_kind",
                                custom_error_message="a fault needs one of the keys crash (with at), on_record, "
                                                     "probability, decline or stall (with at and for)")]


class ConsumerSpec(Strict):
    name: str
    topic: str
    isolation: Literal["read_committed", "read_uncommitted"] = "read_uncommitted"


def _until(value):
    if value == "drained":
        return value
    try:
        return parse_duration(value)
    except ValueError as exc:
        if "finite" in str(exc):
            raise
        raise ValueError(f"expected 'drained' or a duration such as 60s, got {value!r}") from None


class RunSpec(Strict):
    until: Annotated[Union[str, float], Before(_until)] = "drained"
    max_time: Duration = 3_600_000.0   # safety stop for drained runs
    trace: Literal["full", "control", "summary"] = "full"


class JobExpect(Strict):
    exactly_once: Optional[bool] = None
    final_counts: Optional[dict[str, int]] = None
    consumers: Optional[dict[str, list[str]]] = None
    checkpoints_completed: Optional[Comparison] = None
    checkpoints_aborted: Optional[Comparison] = None
    restarts: Optional[Comparison] = None
    restarted_tasks: Optional[Comparison] = None         # tasks restarted, summed over every failover
    duplicates: Optional[Comparison] = None
    lost: Optional[Comparison] = None
    overcounted: Optional[Comparison] = None
    job_failed: Optional[bool] = None
    transactions_timed_out: Optional[Comparison] = None
    lso_holds: Optional[Comparison] = None                # never-committed transactions that stalled readers
    commits_discarded: Optional[Comparison] = None        # KafkaSink commits given up (no failover)
    savepoints: Optional[list[str]] = None                # names of the savepoints that completed
    explanation_mentions: Optional[list[str]] = None
    checkpoint_status: Optional[dict[int, Literal["completed", "aborted", "expired", "declined", "pending"]]] = None
    persisted_in_flight: Optional[Comparison] = None      # bytes, summed over completed checkpoints
    max_latency: Optional[dict[str, Comparison]] = None   # consumer -> ms from write to read


class JobScenario(Strict):
    kind: Literal["job"] = "job"
    name: str
    description: str = ""
    seed: int = 0
    flink_version: FlinkVersion = DEFAULT_VERSION
    kafka: KafkaSpec = KafkaSpec.model_construct()
    input: list[InputItem] = []
    job: JobSpec
    checkpointing: CheckpointingSpec = CheckpointingSpec.model_construct()
    state_backend: StateBackendSpec = StateBackendSpec.model_construct()
    restart: RestartSpec = RestartSpec.model_construct()
    faults: list[Fault] = []
    lifecycle: list[LifecycleAction] = []
    consumers: list[ConsumerSpec] = []
    run: RunSpec = RunSpec.model_construct()
    expect: JobExpect = JobExpect.model_construct()
    source: str = Field("<scenario>", exclude=True)
