"""Operators: what a task's chain does with a buffer of records, and what its state is.

Records are ``(payload, origin)`` pairs. ``origin`` is the provenance of the input record a
result came from, an :class:`~sim.provenance.Origin` ``(topic, partition, offset, time)``; it
travels unchanged through flat_map, map and keyed_sum, and the sink adds the attempt and the
transaction when it writes to Kafka. In a run whose trace is ``summary`` no origin can reach the
trace (only ``source_read``, ``kafka_append`` and ``consumer_read`` carry one, none at summary),
so records are bare payloads there (:func:`bare_records`): every operator, the outputs and the
sink pick their values-only form once, when the run builds them; the payloads, their order and
everything timed by them are the same.

Runtime operators come from a registry keyed by the scenario's operator ``type``
(:data:`OPERATORS`, filled with :func:`operator_type`): the plain ones here, the Kafka source in
:mod:`sim.runtime.source`, the Kafka sink in :mod:`sim.runtime.sink`. Adding an operator is a
scenario model (``sim.scenario.job``), an :class:`Operator` subclass and a registered builder.
"""
from __future__ import annotations

from functools import partial
from typing import Callable

from ..dataflow.functions import format_count, pair_one, split_words, split_words_keys, split_words_values

__all__ = ["Operator", "FlatMap", "Map", "KeyedSum", "OPERATORS", "operator_type", "build_operator", "bare_records",
           "gives_pairs", "gives_words"]

#: scenario operator type -> ``builder(attempt, task_spec, op_spec, restored) -> Operator``
OPERATORS: dict[str, Callable] = {}


def operator_type(name: str):
    """Register the decorated function as the builder of operators of type ``name``."""
    def register(builder: Callable) -> Callable:
        OPERATORS[name] = builder
        return builder
    return register


def bare_records(trace) -> bool:
    """Are records bare payloads in a run with ``trace`` (no origin can reach it), not ``(payload, origin)``?"""
    return not trace.control


#: the most texts of numbers a keyed sum of words keeps (``KeyedSum._numeral``): about 230 KB
NUMERALS = 4096
#: operator type -> the built-in function whose every output is a tuple ``(value, 1)``
_PAIR_FUNCTIONS = {"flat_map": split_words, "map": pair_one}


def gives_pairs(op_spec, functions) -> bool:
    """Is every payload (a bare record: the record) that ``op_spec``'s operator gives a tuple of
    two? True for the built-in ``split_words`` (flat_map) and ``pair_one`` (map), whatever their
    batch forms (each makes ``(value, 1)`` tuples), and for a keyed_sum (its ``(key, sum)``; fused
    with ``format_count`` it is neither a chain's last operator nor followed by another). Its
    receivers may then take a payload apart by unpacking and skip testing its type
    (``KeyedSum._pair_sums`` and ``_process_pairs``, ``Outputs._hash``)."""
    if op_spec.type == "keyed_sum":
        return True
    maker = _PAIR_FUNCTIONS.get(op_spec.type)
    f = functions.get(op_spec.function) if maker is not None else None
    return f is not None and f.fn is maker and f.kind == op_spec.type


def gives_words(attempt, task_spec, op_spec) -> bool:
    """Does ``op_spec`` (in ``task_spec``'s chain) give its receivers bare words, each standing for
    the pair ``(word, 1)`` that the built-in ``split_words`` makes (no tuple per word)?

    True only where nothing else can see a record: records are bare (a summary trace), buffers
    hold more than one record (buffer_size 1 keeps its one-pair paths), ``op_spec`` is the
    built-in ``split_words`` flat_map, and every operator it feeds is a keyed_sum that it alone
    feeds. Such a keyed_sum asks the same of its feeders (``KeyedSum._word_sums``), and the
    outputs route a word by itself (``Outputs._hash``): both ends of every edge agree, in every
    attempt of the run (the answer depends only on the job, the trace level and the buffer size).
    """
    if not (bare_records(attempt.trace) and attempt.buffer_size > 1 and op_spec.type == "flat_map"):
        return False
    f = attempt.job.functions.get(op_spec.function)
    # NOTE: the built-in's own buffer form too: an alias of split_words registered without it
    # splits line by line (a str subclass's own split), which split_words_keys would not
    if f is None or f.fn is not split_words or f.values is not split_words_values or f.kind != "flat_map":
        return False
    receivers = _receiving(attempt, task_spec, op_spec)
    return bool(receivers) and all(
        op.type == "keyed_sum" and {o.name for _, o in _feeders(attempt, task, op)} == {op_spec.name}
        for task, op in receivers)


def build_operator(attempt, task_spec, op_spec, restored):
    """The runtime operator for ``op_spec`` in ``task_spec``'s chain, with ``restored`` state put back.

    ``restored`` is this operator's part of the task's snapshot, or None (no checkpoint).
    """
    builder = OPERATORS.get(op_spec.type)
    if builder is None:
        raise ValueError(f"no runtime operator is registered for type {op_spec.type!r} "
                         f"(registered: {', '.join(sorted(OPERATORS))})")
    return builder(attempt, task_spec, op_spec, restored)


class Operator:
    """The contract every operator of a chain keeps (this base is a stateless identity).

    * ``process(records) -> records``: called with a whole buffer, never an empty one, while the
      task is busy; returns the records for the next operator (or the outputs). It may keep state
      but must not touch the task, the channels or the clock; an operator whose ``process`` has
      effects outside the task (``external = True``, the sink) is called at its own time.
    * ``snapshot(checkpoint) -> state``: a copy of the state as of the barrier (the task is
      blocked); the chain stores it under the operator's name. ``restore(state)`` puts one back
      (None: nothing to restore); ``state_entries()`` is its size in entries (snapshot timing);
      ``describe_state()`` a JSON-ready view for the trace (None: nothing to show).
    * ``notify_complete(checkpoint)``: checkpoint ``checkpoint`` completed; may commit side
      effects and return what it did (None: nothing); may raise ``TaskFailure`` (failover).
    """

    stateful = False
    #: True if ``process`` has effects outside the task (writes to Kafka): it must run at its time
    external = False

    def process(self, records: list) -> list:
        """Identity: every record passes unchanged."""
        return records

    def snapshot(self, checkpoint: int):
        """Nothing to snapshot."""
        return None

    def restore(self, state) -> None:
        """Nothing to restore."""
        pass

    def state_entries(self) -> int:
        """No state entries."""
        return 0

    def describe_state(self):
        """No state to show."""
        return None

    def notify_complete(self, checkpoint: int) -> None:
        """Nothing to commit."""
        pass

    def fuse(self, following: "Operator"):
        """A ``process`` doing this operator's work and then ``following``'s in one pass over the
        buffer, or None (the chain then calls them one after the other)."""
        return None


class _Function(Operator):
    """An operator around a user function; a batch form, when the function has one, replaces ``process``.

    ``bare``: records are bare payloads (:func:`bare_records`): ``process`` is ``process_values``,
    or the function's ``values`` batch form if it has one.
    """

    def __init__(self, fn, batch=None, bare: bool = False, values=None) -> None:
        self.fn = fn
        if bare:
            self.process = values or self.process_values
        elif batch is not None:
            self.process = batch

    def process_values(self, values: list) -> list:
        """``process`` for bare payloads."""
        raise NotImplementedError


class FlatMap(_Function):
    """``flatMap``: each record becomes zero or more, each keeping its origin."""

    def process(self, records: list) -> list:
        """Each record becomes ``fn(payload)``'s outputs, with its origin."""
        fn = self.fn
        return [(out, origin) for payload, origin in records for out in fn(payload)]

    def process_values(self, values: list) -> list:
        """Each payload becomes ``fn(payload)``'s outputs."""
        fn = self.fn
        return [out for payload in values for out in fn(payload)]


class Map(_Function):
    """``map``: each record becomes one, keeping its origin."""

    def process(self, records: list) -> list:
        """Each record becomes ``fn(payload)``, with its origin."""
        fn = self.fn
        return [(fn(payload), origin) for payload, origin in records]

    def process_values(self, values: list) -> list:
        """Each payload becomes ``fn(payload)``."""
        return list(map(self.fn, values))


class KeyedSum(Operator):
    """``keyBy(0).sum(1)``: keyed state ``{key: running sum}``; emits the new sum per record."""

    stateful = True

    def __init__(self, bare: bool = False, pairs: bool = False, words: bool = False,
                 numerals: list | None = None) -> None:
        self.state: dict = {}
        self.bare = bare
        #: every payload it is given is a tuple of two (``gives_pairs`` of each operator feeding it)
        self.pairs = pairs
        #: every payload it is given is a bare word standing for ``(word, 1)`` (``gives_words``)
        self.words = words
        #: ``numerals[i] == str(i)``: the texts of the sums of words (None: not used), shared by the
        #: run's keyed sums (``Job.numerals``); ``_texts``: that table, used or not
        self.numerals = self._texts = [] if numerals is None else numerals
        if bare:
            self.process = partial(self._summer(), False)      # NOTE: no Python frame of its own per buffer
        elif pairs:
            self.process = self._process_pairs

    def process(self, records: list) -> list:
        """Add each pair's value to its key's sum; emit ``(key, new sum)``."""
        state = self.state
        get = state.get
        out = []
        append = out.append
        for pair, origin in records:
            key = pair[0]
            total = get(key, 0) + pair[1]
            state[key] = total
            append(((key, total), origin))
        return out

    def _process_pairs(self, records: list) -> list:
        """``process`` of records whose payloads are tuples of two (``self.pairs``): unpacked,
        not indexed (the same sums: see ``_pair_sums``)."""
        state = self.state
        get = state.get
        out = []
        append = out.append
        for (key, n), origin in records:
            state[key] = total = get(key, 0) + n
            append(((key, total), origin))
        return out

    def process_values(self, pairs: list) -> list:
        """``process`` for bare pairs: emit ``(key, new sum)`` per pair."""
        return self._sums(False, pairs)

    def fuse(self, following: Operator):
        """With bare records, followed by the built-in ``format_count`` map: sum and format each
        record in one loop (no ``(key, sum)`` pair made in between)."""
        if self.bare and type(following) is Map and following.fn is format_count:
            # NOTE: words (buffers of more than one record, gives_words) keep their own loop
            return partial(self._word_sums, True) if self.words else self._formatted_sums
        return None

    def _formatted_sums(self, pairs: list) -> list:
        """The fused step of pairs: ``_sums`` (or ``_pair_sums``) formatted; a buffer of one pair summed here.

        NOTE: a bound method, not a ``partial``: the task loop calls it per buffer, and a partial's
        call enters the interpreter anew where a method's is a frame pushed in place (buffer-1
        ``sim.run``: -0.9 % of the instructions)."""
        if len(pairs) == 1:              # _sums's own path for one pair
            pair = pairs[0]
            key, state = pair[0], self.state
            state[key] = total = state.get(key, 0) + pair[1]
            return [f"{key}:::{total}"]
        return self._summer()(True, pairs)

    def _summer(self):
        """``_sums``, or ``_pair_sums`` when every record is known to be a tuple of two, or
        ``_word_sums`` when every record is a word standing for ``(word, 1)``."""
        if self.words:
            return self._word_sums
        return self._pair_sums if self.pairs else self._sums

    def _sums(self, formatted: bool, pairs: list) -> list:
        """Add each pair's value to its key's sum; emit ``(key, sum)`` per pair, or ``"key:::sum"``
        if ``formatted``.

        NOTE: one loop per output form, so the choice is made once per buffer, not per record.
        """
        state = self.state
        if len(pairs) == 1:              # NOTE: the loops below for one pair (buffer_size 1), without a loop
            pair = pairs[0]
            key = pair[0]
            state[key] = total = state.get(key, 0) + pair[1]
            return [f"{key}:::{total}" if formatted else (key, total)]
        get = state.get
        out = []
        append = out.append
        if formatted:
            for pair in pairs:
                key = pair[0]
                state[key] = total = get(key, 0) + pair[1]
                append(f"{key}:::{total}")
        else:
            for pair in pairs:
                key = pair[0]
                state[key] = total = get(key, 0) + pair[1]
                append((key, total))
        return out

    def _pair_sums(self, formatted: bool, pairs: list) -> list:
        """``_sums`` of tuples of two (``self.pairs``), which unpacking takes apart faster than indexing.

        NOTE: for a tuple of two ``key, n = pair`` is ``pair[0], pair[1]``: the same sums and
        texts (tests/test_bare_records.py runs both on the same buffers); a buffer of one pair
        (buffer_size 1, flushes) takes ``_sums``'s own path for it.
        """
        if len(pairs) == 1:
            return self._sums(formatted, pairs)
        state = self.state
        get = state.get
        out = []
        append = out.append
        if formatted:
            for key, n in pairs:
                state[key] = total = get(key, 0) + n
                append(f"{key}:::{total}")
        else:
            for key, n in pairs:
                state[key] = total = get(key, 0) + n
                append((key, total))
        return out

    def _word_sums(self, formatted: bool, words: list) -> list:
        """``_sums`` of records that are words, each standing for the pair ``(word, 1)``
        (``self.words``, see :func:`gives_words`): the same sums and texts, with no tuple made or
        taken apart per word.

        NOTE: a sum here is an int that only grows by one from 0 (or from a restored int): its
        text is ``str(total)``, taken from ``self.numerals`` (``numerals[i] == str(i)``, made once
        per number; about 500 instructions less a word) while it has one; a larger one is made by
        :meth:`_numeral`, which lengthens the table up to :data:`NUMERALS` texts.
        """
        state = self.state
        get = state.get
        out = []
        append = out.append
        if formatted and self.numerals is not None:
            texts = self.numerals
            limit = len(texts)
            for key in words:
                state[key] = total = get(key, 0) + 1
                append(f"{key}:::{texts[total]}" if total < limit else f"{key}:::{self._numeral(total)}")
        elif formatted:
            for key in words:
                state[key] = total = get(key, 0) + 1
                append(f"{key}:::{total}")
        else:
            for key in words:
                state[key] = total = get(key, 0) + 1
                append((key, total))
        return out

    def _numeral(self, total: int) -> str:
        """``str(total)``, with ``self.numerals`` lengthened to hold it if it may grow so far; past
        :data:`NUMERALS` the table is dropped (sums that large are made as text each time)."""
        texts = self.numerals
        # NOTE: the table may be gone already: a buffer's loop reads it once, so a later key of
        # the same buffer may come here after an earlier one passed NUMERALS
        if texts is None or total >= NUMERALS:
            self.numerals = None
        elif total >= len(texts):      # NOTE: a comprehension's f-string formats an int faster than str()
            texts += [f"{i}" for i in range(len(texts), min(NUMERALS, total + total // 4 + 64))]
        return str(total)

    def snapshot(self, checkpoint: int):
        """A copy of ``{key: sum}``."""
        return dict(self.state)

    def restore(self, state) -> None:
        """Put back a ``{key: sum}`` copy (None: empty)."""
        self.state = dict(state or {})
        # NOTE: the numbers' texts serve sums that are ints from 0 on, each step one more (words)
        self.numerals = self._texts if all(type(n) is int and n >= 0 for n in self.state.values()) else None

    def state_entries(self) -> int:
        """One entry per key."""
        return len(self.state)

    def describe_state(self):
        """``{key: sum}``, sorted by key."""
        return dict(sorted(self.state.items()))


@operator_type("flat_map")
@operator_type("map")
def _function_operator(attempt, task_spec, op_spec, restored) -> Operator:
    f = attempt.job.functions.get(op_spec.function)
    values = split_words_keys if gives_words(attempt, task_spec, op_spec) else f.values
    return (FlatMap if op_spec.type == "flat_map" else Map)(f.fn, f.batch, bare_records(attempt.trace), values)


@operator_type("keyed_sum")
def _keyed_sum(attempt, task_spec, op_spec, restored) -> Operator:
    bare = bare_records(attempt.trace)
    # NOTE: bare buffers of one pair (buffer_size 1) gain nothing from unpacking: they keep _sums's own path
    feeders = _feeders(attempt, task_spec, op_spec)
    pairs = (not bare or attempt.buffer_size > 1) and all(gives_pairs(up, attempt.job.functions) for _, up in feeders)
    words = bool(feeders) and all(gives_words(attempt, task, op) for task, op in feeders)
    op = KeyedSum(bare, pairs, words, attempt.job.numerals)
    op.restore(restored)
    return op


def _feeders(attempt, task_spec, op_spec) -> list:
    """``(task spec, scenario model)`` of the operators whose records reach ``op_spec``: the one
    before it in its chain, else the last of each sending task's chain (a chain's other
    operators have no edge out of it: sim/dataflow/graph.py ``chains``)."""
    i = task_spec.operators.index(op_spec.name)
    if i > 0:
        return [(task_spec, task_spec.ops[i - 1])]
    tasks = attempt.job.tasks_by_name
    return [(tasks[ch.src], tasks[ch.src].ops[-1]) for ch in task_spec.inputs]


def _receiving(attempt, task_spec, op_spec) -> list:
    """``(task spec, scenario model)`` of the operators that ``op_spec``'s records reach: the one
    after it in its chain, else the head of each receiving task's chain."""
    i = task_spec.operators.index(op_spec.name)
    if i + 1 < len(task_spec.ops):
        return [(task_spec, task_spec.ops[i + 1])]
    tasks = attempt.job.tasks_by_name
    return [(tasks[ch.dst], tasks[ch.dst].ops[0]) for chs in task_spec.outputs for ch in chs]
