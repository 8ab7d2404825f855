"""The exactly-once verdict (docs/verdicts.md), from the run's trace and the reference's.

The reference is the ideal run of the same input through the same job (``sim.ideal``): its trace
holds a ``reference`` event (could the ideal run finish in the scenario's time?) and what its
``_reference`` reader of each sink topic saw. The judged output is what a read_committed reader
of the sink topic read by the end of the run. A *duplicate* is a value read more often than in
the reference, a *loss* a reference value read less often, an *over-count* a keyed result
``key:::n`` beyond the reference's final count for that key. Each violation comes with one
sentence built from provenance (the input offset, the attempt that wrote it, the transaction,
the cause); sentences are grouped by cause with counts in ``explanation`` and listed one per
value in ``details``.

Never "exactly once": a run judged against a reference that could not finish in the run's time
(``judged: false``), and a run with nothing to judge (no output in the reference).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from operator import attrgetter

from .connector_causes import dirty_input, discarded_commit
from .context import Context as _Context, LazyContext as _LazyContext, origin_text as _origin
from ..provenance import Provenance
from .metrics import _parse_counts, added_summaries, checker_consumer, consumer_reads, consumer_summaries, parse_count

__all__ = ["check"]

_VALUE = attrgetter("value")


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _other_producer(kind: str, value, reads, what: str) -> tuple | None:
    """A value no job input led to (its reads carry no origin): another producer, such as an
    upstream ``transaction:`` item, wrote it into the job's output topic; no failure explains it."""
    if not reads or any(r.get("origin") is not None for r in reads):
        return None
    txns = ", ".join(dict.fromkeys(str(r.get("txn")) for r in reads))
    cause = "written into the job's output topic by another producer, not by the job"
    return cause, (f"{kind}: {value}{what}: it was written by another producer (transaction {txns}), not by "
                   f"the job: its output topic has a second writer, and a reader of the topic sees both."), None


def _explain_duplicate(value, reads, expected, ctx: _Context) -> tuple:
    dirty = dirty_input("duplicate", value, reads, ctx, f" was read {_times(len(reads))} (reference: {_times(expected)})")
    if dirty is not None:
        return dirty
    other = _other_producer("duplicate", value, reads, f" was read {_times(len(reads))} (reference: {_times(expected)})")
    if other is not None:
        return other
    writes = "; ".join(ctx.write(r) for r in reads)
    origin = Provenance.of(reads[-1].get("origin"))
    attempt = origin.attempt if origin else None
    cause = (f"read more often than in the reference: written before a failure, then replayed "
             f"{ctx.restore_of(attempt) if attempt else 'in the same attempt'}")
    return cause, (f"duplicate: {value} was read {_times(len(reads))} (reference: {_times(expected)}): {writes}. "
                   f"Records written before the failure became visible and their input was replayed after "
                   f"the restore."), None


def _explain_overcount(value, key, n, ref_max, reads, ctx: _Context, key_reads=()) -> tuple:
    what = f" goes beyond the reference's final {key}:::{ref_max}"
    dirty = dirty_input("over-count", value, key_reads, ctx, what)
    if dirty is not None:
        return dirty
    other = _other_producer("over-count", value, reads, what)
    if other is not None:
        return other
    writes = "; ".join(ctx.write(r) for r in reads)
    cause = ("counted beyond the reference's final count: the restored state already counted records whose "
             "input offsets were not in the checkpoint (a snapshot taken without aligned barriers)")
    return cause, (f"over-count: {value} goes beyond the reference's final {key}:::{ref_max}: {writes}. The "
                   f"restored state already counted records whose input offsets were not in the checkpoint, so "
                   f"they were counted again when replayed (a snapshot taken without aligned barriers)."), None


def _explain_loss(value, ref_read, ctx: _Context) -> tuple:
    """(cause, sentence, checkpoint or None) of a reference value the reader did not read."""
    origin = Provenance.of(ref_read.get("origin"))
    src = _origin(origin)
    appended = ctx.appends.get(value, [])
    found = _txn_loss(value, src, appended, ctx) or _same_input_loss(value, src, origin, ctx)
    if found is not None:
        return found
    aborted = [e for e in appended if ctx.txns.get(e.get("txn"), {}).get("status") == "aborted"]
    before = ""
    if aborted:
        txn = ctx.txns[aborted[0]["txn"]]
        before = f"it was written in transaction {txn['id']}, aborted ({txn['cause']}); "
    skipped = _skipped_input_loss(value, src, origin, before, ctx)
    if skipped is not None:
        return skipped
    return _unreplayed_loss(value, src, appended, aborted, before, ctx)


def _txn_loss(value, src: str, appended: list, ctx: _Context) -> tuple | None:
    """The loss explained by one of its own transactions (discarded, timed out or still open), first wins."""
    for e in appended:
        txn = ctx.txns.get(e.get("txn"))
        discarded = discarded_commit(value, src, txn, ctx)
        if discarded is not None:
            return discarded
        if txn is not None and txn["id"] in ctx.timeouts:
            t = ctx.timeouts[txn["id"]]
            cp = f" of checkpoint {txn['checkpoint']}" if txn.get("checkpoint") else ""
            return (f"their transactions were aborted by the broker, older than their transaction_timeout of "
                    f"{t['timeout']:g} ms",
                    f"loss: {value} (from {src}) was written in transaction {txn['id']}{cp}, which the broker "
                    f"aborted at {t['t']:g} ms after {t['age']:g} ms, longer than its transaction_timeout of "
                    f"{t['timeout']:g} ms; its {t['records']} record(s) are lost.", txn.get("checkpoint"))
        if txn is not None and txn["status"] == "open":
            return ("still in an open transaction when the run ended: no checkpoint completed after they were "
                    "written, so they were never committed",
                    f"loss: {value} (from {src}) is still in open transaction {txn['id']} when the run ends: "
                    f"no checkpoint completed after it was written, so it was never committed.", None)
    return None


def _same_input_loss(value, src: str, origin, ctx: _Context) -> tuple | None:
    """The loss explained by its input producing another value, so earlier input of the key was lost."""
    key = (origin.topic, origin.partition, origin.offset) if origin else None
    same_input = [e for e in ctx.appends_by_origin.get(key, []) if e["value"] != value]
    if not same_input:
        return None
    other = same_input[-1]
    return ("their input was read, but gave a lower count: earlier input of the same key was lost",
            f"loss: {value} (from {src}): that input was read, but it produced {other['value']} instead "
            f"(attempt {other['origin'][4]}): earlier input of the same key was lost, so the count is "
            f"lower.", None)


def _skipped_input_loss(value, src: str, origin, before: str, ctx: _Context) -> tuple | None:
    """The loss explained by a restarted source that started past its input record."""
    if not origin:
        return None
    skips = [e for e in ctx.resets if e["topic"] == origin.topic and e["partition"] == origin.partition
             and e["offset"] > origin.offset and "restored" not in e["cause"]]
    if not skips:
        return None
    e = skips[0]
    return (f"the restarted source started past their input ({e['cause']})",
            f"loss: {value} (from {src}): {before}at {e['t']:g} ms the restarted source started at "
            f"offset {e['offset']} ({e['cause']}), so that input record was never read again.", None)


def _unreplayed_loss(value, src: str, appended: list, aborted: list, before: str, ctx: _Context) -> tuple:
    """The fallback explanations: aborted and not replayed, never visible, or never written at all."""
    if aborted:
        txn = ctx.txns[aborted[0]["txn"]]
        return (f"written in aborted transactions ({txn['cause']}) and never replayed into a committed one",
                f"loss: {value} (from {src}): {before}its input was not replayed into a committed transaction.",
                txn.get("checkpoint"))
    if appended:
        txns = ", ".join(sorted({str(e.get('txn')) for e in appended}))
        return ("written but never visible to the read_committed reader",
                f"loss: {value} (from {src}) was written ({txns}) but never became visible to the "
                f"read_committed reader.", None)
    if ctx.failed:
        return (f"never written: the job failed for good ({ctx.failed})",
                f"loss: {value} (from {src}) was never written: the job failed for good ({ctx.failed}).", None)
    return ("never written by the sink before the run ended (the job never processed their input)",
            f"loss: {value} (from {src}) was never written by the sink before the run ended.", None)


_VERBS = {"duplicate": "read too often", "over-count": "counted too far", "loss": "lost"}


def group_explanations(found: list) -> list[str]:
    """One sentence per (kind, cause) with its count, the checkpoints involved and a first example.

    ``found`` holds ``(kind, cause, sentence, checkpoint)`` in the order the violations were found.
    """
    groups: dict = {}
    for kind, cause, sentence, checkpoint in found:
        g = groups.setdefault((kind, cause), {"n": 0, "example": sentence, "checkpoints": set()})
        g["n"] += 1
        if checkpoint is not None:
            g["checkpoints"].add(checkpoint)
    out = []
    for (kind, cause), g in groups.items():
        cps = sorted(g["checkpoints"])
        where = ""
        if cps:
            where = (f" (checkpoint {cps[0]})" if len(cps) == 1 else
                     f" (checkpoints {cps[0]}–{cps[-1]})" if cps == list(range(cps[0], cps[-1] + 1)) else
                     f" (checkpoints {', '.join(map(str, cps))})")
        if g["n"] == 1:
            out.append(g["example"])
        else:
            out.append(f"{g['n']} values {_VERBS[kind]}: {cause}{where}; e.g. {g['example']}")
    return out


def _judged_topics(trace, judged) -> set:
    topics = set()
    for e in trace.of("run_start"):
        topics |= {c["topic"] for c in e.get("consumers", []) if c["name"] == judged}
    return topics


def _reader(trace, judged) -> tuple:
    """(the consumer's public name or None, a description of the reader for sentences)."""
    topics = ", ".join(f"'{t}'" for t in sorted(_judged_topics(trace, judged)))
    if judged is None:
        return None, "no read_committed reader"
    if judged.startswith("_"):
        return None, f"a read_committed reader of {topics or 'the sink topic'}"
    return judged, f"the read_committed reader '{judged}'"


def _reference_info(reference_trace) -> dict:
    found = reference_trace.first("reference")
    return found if found is not None else {"complete": True, "reason": None, "order_dependent": []}


def check(run_trace, reference_trace) -> dict:
    """``{ok, judged, consumer, reader, duplicates, lost, overcounted, explanation, details}`` for
    the run against the reference."""
    judged = checker_consumer(run_trace)
    name, reader = _reader(run_trace, judged)
    info = _reference_info(reference_trace)
    base = {"consumer": name, "reader": reader, "judged": True, "duplicates": [], "lost": [], "overcounted": [],
            "details": []}
    if not info["complete"]:
        return {**base, "ok": False, "judged": False,
                "explanation": [f"cannot judge exactly-once: the ideal run of this input could not finish in "
                                f"the scenario's time: {info['reason']}. Give the run more time (run.until) "
                                f"or less input, instead of judging against a partial reference."]}
    topics = _judged_topics(run_trace, judged)
    summaries = consumer_summaries(run_trace)
    if judged in summaries:
        return {**base, **_check_digests(reader, summaries[judged], _reference_digest(reference_trace, topics),
                                         bool(info.get("order_dependent")))}
    reads = consumer_reads(run_trace, judged) if judged else []
    ref_reads = consumer_reads(reference_trace, "_reference")
    if not set(map(attrgetter("topic"), ref_reads)) <= topics:
        ref_reads = [r for r in ref_reads if r.topic in topics]
    if not ref_reads:
        return {**base, "ok": False, "explanation": [
            f"nothing to judge: the ideal run writes no output for {reader} to read (no input record reaches "
            f"the sink), so the job cannot be shown to be exactly once."]}
    verdict = _compare(reads, ref_reads, set(info.get("order_dependent") or ()), _LazyContext(run_trace))
    if verdict["ok"]:
        verdict["explanation"] = [f"exactly once: {reader} saw each of the {len(ref_reads)} reference "
                                  f"value(s) exactly once."]
    return {**base, **verdict}


def _split(value):
    """``"k:::n"`` or ``(k, n)`` -> ``(k, n)``; anything else -> None."""
    parsed = parse_count(value)
    if parsed:
        return parsed
    if isinstance(value, (tuple, list)) and len(value) == 2 and isinstance(value[1], int):
        return value[0], value[1]
    return None


def _compare(reads: list, ref_reads: list, loose: set, ctx: _Context) -> dict:
    """Duplicates, losses and over-counts of ``reads`` against ``ref_reads``.

    Values of ``loose`` keys (running sums whose intermediate values depend on arrival order) are
    judged per key, by how many were read and by the final sum.
    """
    exact_reads, loose_got = _partition(reads, loose)
    exact_ref, loose_want = _partition(ref_reads, loose)
    duplicates, lost, overcounted, found = [], [], [], []
    # NOTE: the same multiset (the common case) has nothing duplicated, lost or counted beyond the
    # reference's final count (every value read is a reference value): skip the per-value pass
    if not _same_values(exact_reads, exact_ref):
        got, want = Counter(map(_VALUE, exact_reads)), Counter(map(_VALUE, exact_ref))
        _compare_exact(got, want, exact_reads, exact_ref, ctx, (duplicates, lost, overcounted, found))
    _compare_loose(loose_got, loose_want, duplicates, lost, overcounted, found)
    return {"ok": not (duplicates or lost or overcounted), "duplicates": duplicates, "lost": lost,
            "overcounted": overcounted, "explanation": group_explanations(found),
            "details": [f[2] for f in found]}


def _same_values(reads: list, ref_reads: list) -> bool:
    """Whether the values read are the reference's, as multisets, in C passes: when the reads'
    values are distinct (running counts are) and as many as the reference's, equal sets mean
    equal multisets (the reference's are then distinct too); else by counting each value.
    Counted values have no zero counts, so dict equality is Counter equality."""
    values = set(map(_VALUE, reads))
    if len(values) == len(reads):
        return len(ref_reads) == len(reads) and values == set(map(_VALUE, ref_reads))
    return dict.__eq__(Counter(map(_VALUE, reads)), Counter(map(_VALUE, ref_reads)))


def _compare_exact(got: Counter, want: Counter, exact_reads: list, exact_ref: list, ctx: _Context, out) -> None:
    """Duplicates, losses and over-counts of values judged one by one, explained, into ``out``."""
    duplicates, lost, overcounted, found = out
    ref_max, over, dup, lost_reads = _violations(got, want, exact_ref)
    if hasattr(ctx, "focus"):
        ctx.focus(lost_reads)
    by_value, by_key = _reads_of(exact_reads, over, dup)
    for value in got:                                  # in reading order
        if value in over:
            key, n = over[value]
            overcounted.append({"value": value, "times": got[value], "reference_final": ref_max[key]})
            found.append(("over-count", *_explain_overcount(value, key, n, ref_max[key], by_value[value], ctx,
                                                             by_key[key])))
        elif value in dup:
            duplicates.append({"value": value, "times": got[value], "expected": want.get(value, 0)})
            found.append(("duplicate", *_explain_duplicate(value, by_value[value], want.get(value, 0), ctx)))
    for r in lost_reads:
        lost.append({"value": r.value, "times": got.get(r.value, 0), "expected": want[r.value],
                     "origin": list(r.origin) if r.origin else None})
        found.append(("loss", *_explain_loss(r.value, r, ctx)))


def _violations(got: Counter, want: Counter, exact_ref: list) -> tuple:
    """``(reference's final n per key, {over-counted value: (key, n)}, {duplicated value},
    [first reference read of each lost value])``."""
    ref_max: dict = {}
    for parsed in _splits(list(want)):
        if parsed:
            ref_max[parsed[0]] = max(ref_max.get(parsed[0], parsed[1]), parsed[1])
    lost_reads, reported = [], set()
    for r in exact_ref:
        value = r.value
        if got.get(value, 0) < want[value] and value not in reported:
            reported.add(value)
            lost_reads.append(r)
    over = {value: kn for value, kn in zip(got, _splits(list(got)))
            if kn and kn[0] in ref_max and kn[1] > ref_max[kn[0]]}
    dup = {value for value, n in got.items() if value not in over and n > want.get(value, 0)}
    return ref_max, over, dup, lost_reads


def _reads_of(exact_reads: list, over: dict, dup: set) -> tuple[dict, dict]:
    """The reads of the over-counted and duplicated values, and of the over-counted keys (each key
    as ``_split`` reads it from a value; a value that is no count has the key None)."""
    by_value, by_key = defaultdict(list), defaultdict(list)
    counted = {kn[0] for kn in over.values()}
    distinct = list(dict.fromkeys(map(_VALUE, exact_reads))) if counted else []
    keys = dict(zip(distinct, _splits(distinct)))
    for r in exact_reads:
        value = r.value
        if value in over or value in dup:
            by_value[value].append(r)
        if counted:
            kn = keys[value]
            key = kn[0] if kn else None
            if key in counted:
                by_key[key].append(r)
    return by_value, by_key


def _splits(values: list) -> list:
    """:func:`_split` of each value (the ``key:::n`` strings parsed fast)."""
    return [parsed if parsed or not isinstance(v, (tuple, list)) else _split(v)
            for v, parsed in zip(values, _parse_counts(values))]


def _partition(rows: list, loose: set) -> tuple[list, dict]:
    """Rows judged value by value, and ``{key: [sums]}`` of the ``loose`` keys."""
    if not loose:
        return rows, {}
    exact, per_key = [], defaultdict(list)
    for r in rows:
        kn = _split(r.value)
        if kn and kn[0] in loose:
            per_key[kn[0]].append(kn[1])
        else:
            exact.append(r)
    return exact, per_key


def _compare_loose(got: dict, want: dict, duplicates, lost, overcounted, found) -> None:
    cause = ("a key whose running sums depend on arrival order, judged by how many values were read and by "
             "its final sum")
    for key in sorted(set(got) | set(want), key=str):
        n, m = len(got.get(key, [])), len(want.get(key, []))
        top, ref_top = max(got.get(key, [0])), max(want.get(key, [0]))
        if top > ref_top:
            overcounted.append({"value": f"{key}:::{top}", "times": n, "reference_final": ref_top})
            found.append(("over-count", cause, f"over-count: {key} reached {top}, beyond the reference's final "
                                               f"{ref_top} ({cause}).", None))
        if n > m:
            duplicates.append({"value": f"{key}:::*", "times": n, "expected": m})
            found.append(("duplicate", cause, f"duplicate: {n} values of {key} were read where the reference has "
                                              f"{m} ({cause}).", None))
        elif n < m:
            lost.append({"value": f"{key}:::*", "times": n, "expected": m, "origin": None})
            found.append(("loss", cause, f"loss: {n} values of {key} were read where the reference has {m} "
                                         f"({cause}).", None))


def _reference_digest(reference_trace, topics) -> dict:
    """The reference digests of the judged topics, added up (the digest is a sum, so they add)."""
    return added_summaries(e for name, e in consumer_summaries(reference_trace).items()
                           if name.split(":", 1)[-1] in topics)


def _check_digests(reader: str, got: dict, want: dict, loose: bool = False) -> dict:
    """Summary traces keep no values: compare counts and order-independent digests (or, when some
    running sums depend on arrival order, counts and final sums)."""
    if not want["count"]:
        return {"ok": False, "explanation": [
            f"nothing to judge: the ideal run writes no output for {reader} to read (no input record reaches "
            f"the sink), so the job cannot be shown to be exactly once."]}
    over = {k: n for k, n in got["final_counts"].items() if n > want["final_counts"].get(k, n)}
    if loose:
        ok = got["count"] == want["count"] and got["final_counts"] == want["final_counts"]
        return {"ok": ok, "overcounted": [{"value": f"{k}:::{n}", "reference_final": want['final_counts'][k]}
                                          for k, n in over.items()],
                "explanation": [f"{reader} read {got['count']} value(s) (reference: {want['count']}), final sums "
                                f"{'equal to' if got['final_counts'] == want['final_counts'] else 'different from'} "
                                f"the reference's; some running sums depend on arrival order, so only counts and "
                                f"final sums are compared."],
                "summary": {"count": got["count"], "reference_count": want["count"]}}
    ok = got["count"] == want["count"] and got["digest"] == want["digest"]
    if ok:
        text = (f"exactly once: {reader} read {got['count']} value(s), the same multiset as the "
                f"reference (digest {got['digest']:016x}); a summary trace keeps no values.")
    else:
        text = (f"{reader} read {got['count']} value(s) where the reference has {want['count']}, and "
                f"the digests differ: some values were duplicated or lost"
                + (f" (keys counted beyond the reference: {', '.join(sorted(over))})" if over else "")
                + ". Run with --trace-level control to see which and why.")
    return {"ok": ok, "overcounted": [{"value": f"{k}:::{n}", "reference_final": want['final_counts'][k]}
                                      for k, n in over.items()],
            "explanation": [text], "summary": {"count": got["count"], "reference_count": want["count"]}}
