"""``sim.values.Value``: the frozen value classes behave as the ``@dataclass(frozen=True,
slots=True)`` classes they replaced (equality, hashing, repr, assignment, pickling)."""
import copy
import pickle
from dataclasses import FrozenInstanceError

import pytest

from sim.runtime.mail import Flush, PauseInput, TriggerCheckpoint, TriggerSavepoint
from sim.scenario.versions import Release
from sim.snapshot.actions import Barrier, Emit, Persist, Store


def test_equal_by_type_and_fields():
    # a dataclass's __eq__ compares field tuples of objects of the very same class only
    assert Barrier(1) == Barrier(1, 0.0, False, False)
    assert Barrier(1) != Barrier(2) and Barrier(1) != Barrier(1, savepoint=True)
    assert Persist(1, 2, "x") != Store(1, 2, "x")              # same fields, another type
    assert TriggerSavepoint(3) != TriggerCheckpoint(3)         # a subclass is another type too
    assert Flush() == Flush() and Flush() != PauseInput()
    assert Emit(0, "a") != (0, "a", False)


def test_hash_is_the_hash_of_the_field_tuple():
    # frozen + eq: hash((field, ...)), as a frozen dataclass
    assert hash(Barrier(4, 1.5)) == hash((4, 1.5, False, False))
    assert hash(Flush()) == hash(())
    assert len({Release("1.20", 1, 20), Release("1.20", 1, 20)}) == 1
    with pytest.raises(TypeError):                             # an unhashable field: unhashable, as before
        hash(Persist(1, 0, ["a"]))


def test_repr_names_every_field_in_order():
    assert repr(Barrier(2, 10.0, True)) == "Barrier(id=2, created=10.0, unaligned=True, savepoint=False)"
    assert repr(TriggerSavepoint(5)) == "TriggerSavepoint(checkpoint=5)"
    assert repr(Flush()) == "Flush()"
    assert TriggerSavepoint.__match_args__ == ("checkpoint",)


def test_frozen_and_without_a_dict():
    b = Barrier(1)
    with pytest.raises(FrozenInstanceError):
        b.id = 2
    with pytest.raises(FrozenInstanceError):
        del b.created
    with pytest.raises(FrozenInstanceError):
        b.other = 1
    assert not hasattr(b, "__dict__") and b.id == 1


def test_pickled_and_copied_equal():
    for value in (Barrier(3, 2.0, False, True), Emit(1, ["r"], True), TriggerSavepoint(7), Flush(),
                  Release("1.13", 1, 13)):
        for twin in (pickle.loads(pickle.dumps(value)), copy.copy(value), copy.deepcopy(value)):
            assert twin == value and type(twin) is type(value)
    assert pickle.loads(pickle.dumps(Release("1.13", 1, 13))).at_least(1, 13)


def test_a_record_is_a_mutable_value_without_a_hash():
    # a plain @dataclass: fields assignable, equal by type and fields, unhashable, each its own lists
    from sim.dataflow.graph import PhysicalPlan, TaskSpec

    a, b = TaskSpec("count[0]", ["count"], 0, 1, []), TaskSpec("count[0]", ["count"], 0, 1, [])
    assert a == b and a.inputs == [] and a.inputs is not b.inputs
    a.inputs.append("channel")
    a.parallelism = 2
    assert a != b and a.parallelism == 2
    with pytest.raises(TypeError):
        hash(a)
    assert repr(PhysicalPlan([], [])) == "PhysicalPlan(tasks=[], channels=[])"
    assert pickle.loads(pickle.dumps(a)) == a


def test_the_last_dataclasses_of_a_run_behave_as_before():
    # UserFunction and Reference were @dataclass(frozen=True), Transaction @dataclass(slots=True):
    # the same positional and keyword fields, defaults, repr, equality, pickling
    from sim.dataflow.functions import UserFunction
    from sim.ideal import Reference
    from sim.kafka.transactions import Transaction

    f = UserFunction("up", "map", str.upper, columns=len)
    assert (f.description, f.batch, f.values, f.columns) == ("", None, None, len)
    assert repr(f) == ("UserFunction(name='up', kind='map', fn=<method 'upper' of 'str' objects>, description='', "
                       "batch=None, values=None, columns=<built-in function len>)")
    assert f == UserFunction("up", "map", str.upper, "", None, None, len) and hash(f) == hash(copy.copy(f))
    with pytest.raises(FrozenInstanceError):
        f.name = "down"
    a, b = Transaction("sink[0]#1", "sink-0", 0, 60_000.0), Transaction("sink[0]#1", "sink-0", 0, 60_000.0)
    assert a == b and a.partitions == {} and a.partitions is not b.partitions     # a new dict each
    assert (a.state, a.first_write, a.records, a.checkpoint, a.ended, a.cause) == ("open", None, 0, None, None, "")
    a.state, a.records = "committed", 3
    assert a != b and pickle.loads(pickle.dumps(a)) == a
    with pytest.raises(TypeError):
        hash(a)
    ref = Reference({"out": (["x"], [None])}, True, None, 12.5, records_read=1)
    assert (ref.order_dependent, ref.signature, ref.work, ref.span, ref.digests) == ((), "", (), (), None)
    assert repr(ref).startswith("Reference(outputs={'out': (['x'], [None])}, complete=True, reason=None, ")
    assert pickle.loads(pickle.dumps(ref)) == ref


def test_replace_makes_a_changed_copy_as_dataclasses_replace():
    from sim.values import replace

    b = Barrier(1, 2.0)
    assert replace(b, unaligned=True) == Barrier(1, 2.0, True) and b == Barrier(1, 2.0)
    assert replace(b) == b and replace(b) is not b
    with pytest.raises(TypeError, match="no field"):
        replace(b, colour="red")
