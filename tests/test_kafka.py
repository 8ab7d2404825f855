"""Kafka rules of docs/rules.md: Kafka, pinned on the log and the transaction coordinator."""
import pytest
from hypothesis import given, settings, strategies as st

from sim.kafka.clients import Producer
from sim.kafka import ABORT, COMMIT, Consumer, InvalidTimeout, KafkaCluster, ProducerFenced, fetch


def cluster():
    return KafkaCluster({"out": 1}, max_timeout=900_000, abort_scan_interval=10_000)


def txn_write(c, txn, value, t=0.0):
    p = c.partition("out", 0)
    c.transactions.write(txn, p, t)
    return p.append(t, value, None, txn.id)


def begin(c, tid="sink-0-0", timeout=60_000, now=0.0, name="T1"):
    epoch, _ = c.transactions.init_producer(tid, timeout, now)
    return c.transactions.begin(name, tid, epoch, timeout)


def test_markers_take_offsets():
    c = cluster()
    t1 = begin(c)
    assert [txn_write(c, t1, v) for v in "ab"] == [0, 1]
    c.transactions.commit(t1, 5.0)
    p = c.partition("out", 0)
    assert p.values[2] is COMMIT
    assert p.append(6.0, "c") == 3


def test_read_committed_stops_at_lso_behind_open_transaction():
    c = cluster()
    p = c.partition("out", 0)
    t1 = begin(c)
    txn_write(c, t1, "in-txn")             # offset 0, open
    p.append(1.0, "plain")                 # offset 1: committed data behind the open transaction
    assert p.lso() == 0
    assert fetch(p, 0, 10.0, "read_committed", 100) == ([], 0)
    assert fetch(p, 0, 10.0, "read_uncommitted", 100)[0] == [0, 1]
    c.transactions.commit(t1, 2.0)
    assert p.lso() == 3
    assert fetch(p, 0, 10.0, "read_committed", 100) == ([0, 1], 3)   # the marker at 2 is stepped over


def test_aborted_records_are_skipped_by_read_committed_only():
    c = cluster()
    p = c.partition("out", 0)
    t1 = begin(c)
    txn_write(c, t1, "x")
    c.transactions.abort(t1, 1.0, "test")
    assert p.values[1] is ABORT and p.aborted == {"T1": (0, 1)}
    assert fetch(p, 0, 5.0, "read_committed", 100) == ([], 2)
    assert fetch(p, 0, 5.0, "read_uncommitted", 100) == ([0], 2)


def test_zombie_fencing_bumps_epoch_and_aborts_ongoing():
    c = cluster()
    t1 = begin(c, "id-0")
    txn_write(c, t1, "zombie")
    epoch, aborted = c.transactions.init_producer("id-0", 60_000, 3.0)
    assert epoch == 1 and aborted == [t1] and t1.state == "aborted"
    with pytest.raises(ProducerFenced):
        c.transactions.commit(t1, 4.0)


def test_timeout_above_broker_max_is_refused():
    c = cluster()
    with pytest.raises(InvalidTimeout, match="larger than the broker's transaction.max.timeout.ms"):
        c.transactions.init_producer("id", 3_600_000, 0.0)


def test_expiry_measured_from_first_write_strictly_older():
    c = cluster()
    t1 = begin(c, timeout=5_000)
    txn_write(c, t1, "x", t=1_000.0)
    assert c.transactions.expire(6_000.0) == []          # age 5000 is not older than 5000
    assert c.transactions.expire(6_000.5) == [t1]
    assert t1.state == "aborted" and t1.cause == "timed out"
    assert c.transactions.epochs[t1.transactional_id] == 1
    with pytest.raises(ProducerFenced):
        c.transactions.commit(t1, 7_000.0)


def test_an_unwritten_transaction_does_not_time_out():
    c = cluster()
    t1 = begin(c, timeout=5_000)
    assert c.transactions.expire(1e9) == [] and t1.state == "open"


def test_commit_is_idempotent():
    c = cluster()
    t1 = begin(c)
    txn_write(c, t1, "x")
    assert c.transactions.commit(t1, 1.0) is True
    assert c.transactions.commit(t1, 2.0) is False
    assert c.partition("out", 0).values.count(COMMIT) == 1


def test_future_records_are_invisible_until_their_time():
    c = cluster()
    p = c.partition("out", 0)
    p.preload_lists([100.0, 200.0], ["a", "b"])
    assert p.end(99.9) == 0 and p.end(100.0) == 1 and p.end(1e9) == 2
    assert fetch(p, 0, 150.0, "read_uncommitted", 10) == ([0], 1)


def test_release_keeps_what_a_consumer_or_the_job_may_still_read():
    # Kafka's retention in the simulator: entries below every reader's position and below the
    # job's hold (the oldest offset a restore could start from) are forgotten; offsets stay absolute.
    c = KafkaCluster({"in": 1}, max_timeout=900_000, abort_scan_interval=10_000)
    p = c.partition("in", 0)
    for i in range(10):
        p.append(float(i), f"v{i}")
    slow, fast = Consumer("slow", c.topics["in"], "read_uncommitted"), Consumer("fast", c.topics["in"], "read_uncommitted")
    p.readers += [slow, fast]
    p.release()
    assert p.base == 0                            # nobody has read anything
    assert fast.poll(p, 9.0) == list(range(10))
    slow.positions[0] = 4                         # the slow reader has read offsets 0..3
    p.release()
    assert p.base == 4 and p.value(4) == "v4"     # min(4, 10): what the slow one has not read is kept
    p.hold = 2                                    # a restore could still start at offset 2 ...
    slow.positions[0] = 10
    p.release()
    assert p.base == 4                            # ... but 2 and 3 are gone already: nothing comes back
    p.hold = 7
    p.release()
    assert p.base == 7 and p.end(9.0) == 10 and p.value(7) == "v7"   # min(hold 7, positions 10, 10)
    p.trim(50)                                    # never beyond what is stored: offsets stay right
    assert p.base == 10 and p.append(10.0, "v10") == 10


def test_readers_step_over_markers_the_partition_knows_also_after_trimming():
    # T1 writes a, b (offsets 0, 1) and commits (marker at 2); T2 writes c (3) and aborts (marker
    # at 4); T3 writes d (5) and commits (marker at 6). Read_uncommitted sees a b c d at 0 1 3 5;
    # read_committed skips the aborted c: a b d. Trimmed below 3, marker 2 is forgotten and a
    # reader from 3 sees c d (uncommitted) or d (committed).
    c = cluster()
    p = c.partition("out", 0)
    for name, values, commit in (("T1", "ab", True), ("T2", "c", False), ("T3", "d", True)):
        txn = begin(c, tid=f"sink-{name}", name=name)
        for v in values:
            txn_write(c, txn, v, 1.0)
        (c.transactions.commit if commit else c.transactions.abort)(txn, 2.0, "test")
    assert p.markers == [2, 4, 6] and [p.values[m] for m in p.markers] == [COMMIT, ABORT, COMMIT]
    uncommitted = Consumer("u", c.topics["out"], "read_uncommitted")
    committed = Consumer("c", c.topics["out"], "read_committed")
    assert fetch(p, 0, 9.0, "read_uncommitted", 100) == ([0, 1, 3, 5], 7)
    assert uncommitted.poll_values(p, 9.0) == ["a", "b", "c", "d"] and committed.poll_values(p, 9.0) == ["a", "b", "d"]
    p.trim(3)
    assert p.markers == [4, 6]
    assert fetch(p, 3, 9.0, "read_uncommitted", 100) == ([3, 5], 7)
    uncommitted.positions[0] = committed.positions[0] = 3
    assert uncommitted.poll_values(p, 9.0) == ["c", "d"] and committed.poll_values(p, 9.0) == ["d"]


def test_a_plain_record_ahead_of_a_transaction_does_not_let_its_marker_through():
    # A plain producer writes x (offset 0); a transactional one then writes y (1) and commits
    # (marker at 2); x2 follows plainly (3). Reading everything from offset 0 at once (a restarted
    # source, a late reader) must step over the marker: offsets 0 1 3, values x y x2 — whichever
    # isolation, since nothing is aborted or open.
    c = cluster()
    p = c.partition("out", 0)
    p.append(0.5, "x")
    txn = begin(c, tid="sink-T1", name="T1")
    txn_write(c, txn, "y", 1.0)
    c.transactions.commit(txn, 2.0, "test")
    p.append(3.0, "x2")
    assert p.markers == [2]
    for isolation in ("read_uncommitted", "read_committed"):
        assert fetch(p, 0, 9.0, isolation, 100) == ([0, 1, 3], 4)
        assert Consumer("r", c.topics["out"], isolation).poll_values(p, 9.0) == ["x", "y", "x2"]


def _producer_world(one_by_one: bool, script: list) -> tuple:
    """Run ``script`` on a fresh cluster, writing through ``send_one`` or ``send``; everything observable."""
    c = cluster()
    p = c.partition("out", 0)
    heard = []
    p.listen(lambda part, t: heard.append(("committed", t)), "read_committed")
    p.listen(lambda part, t: heard.append(("uncommitted", t)), "read_uncommitted")
    producer, txns, outcomes = Producer(c, p), [], []
    for t, (op, arg) in enumerate(script):
        if op == "begin":                       # a producer (re)initialises id ``arg``: fences its older one
            epoch, _ = producer.init_transactions(f"id-{arg}", 60_000, t)
            txns.append(producer.begin_transaction(f"T{len(txns)}", f"id-{arg}", epoch, 60_000))
        elif op == "plain":
            p.append(t, f"plain{t}")
        elif txns:
            txn = txns[arg % len(txns)]
            try:
                if op == "write":
                    outcomes.append(producer.send_one(t, f"v{t}", txn, 7) if one_by_one
                                    else producer.send(t, [f"v{t}"], None, txn, 7))
                elif op == "commit":
                    outcomes.append(producer.commit_transaction(txn, t, "test"))
                else:
                    outcomes.append(producer.abort_transaction(txn, t, "test"))
            except ProducerFenced as exc:
                outcomes.append(str(exc))
    partition = (p.times, p.values, p.origins, p.attempts, p.txns, p.open_first, p.aborted, p.markers, p.transactional)
    written = [(x.state, x.first_write, {str(q): n for q, n in x.partitions.items()}, x.records) for x in txns]
    return partition, written, outcomes, heard


def test_send_one_is_send_of_one_record():
    """``Producer.send_one`` is ``send`` of one record without provenance, in every case: writes of
    open, ended and fenced transactions, plain records between, commits and aborts; the log, the
    transactions, what each call returned or raised and what every listener heard are the same."""
    ops = st.tuples(st.sampled_from(["begin", "plain", "write", "write", "write", "commit", "abort"]),
                    st.integers(0, 2))

    @settings(max_examples=150, deadline=None)
    @given(st.lists(ops, max_size=25))
    def same(script):
        assert _producer_world(True, script) == _producer_world(False, script)
    same()


def test_listeners_hear_appends_in_the_order_they_listened_and_unlisten_undoes_one_listen():
    from sim.kafka.log import Partition
    p, heard = Partition("t", 0), []
    a, b = (lambda part, t: heard.append(("a", t))), (lambda part, t: heard.append(("b", t)))
    p.listen(a, "read_committed")
    p.listen(b, "read_uncommitted")
    p.listen(b, "read_uncommitted")
    # a record of an open transaction cannot move the last stable offset: only read_uncommitted
    # listeners hear it, b once per listen
    p.append(1.0, "x", txn="T")
    assert heard == [("b", 1.0), ("b", 1.0)]
    p.unlisten(b, "read_uncommitted")
    assert p.uncommitted == (b,)
    # a plain record may move it: every listener hears it, in the order they listened
    p.append(2.0, "y")
    assert heard[2:] == [("a", 2.0), ("b", 2.0)]
    with pytest.raises(ValueError):
        p.unlisten(a, "read_uncommitted")           # a listened as read_committed
