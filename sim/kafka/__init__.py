"""A simulated Kafka cluster: logs, transactions and clients (no SimPy inside)."""
from .clients import Consumer, KafkaCluster, fetch
from .log import ABORT, COMMIT, Partition, Topic, is_marker
from .transactions import InvalidTimeout, KafkaError, ProducerFenced, Transaction, TransactionCoordinator

__all__ = ["KafkaCluster", "Consumer", "fetch", "Partition", "Topic", "COMMIT", "ABORT", "is_marker",
           "Transaction", "TransactionCoordinator", "KafkaError", "ProducerFenced", "InvalidTimeout"]
