"""The exactly-once verdict (SEMANTICS.md section 8), from two traces.

The reference is the same scenario run without faults; its ``_reference`` reader saw everything
the sinks wrote. The judged output is what a read_committed reader of the sink topic read by the
end of the run. A *duplicate* is a value read more often than in the reference, a *loss* a
reference value read less often, an *over-count* a keyed result ``key:::n`` beyond the
reference's final count for that key. Each violation comes with one sentence built from
provenance: the input offset, the attempt that wrote it, the transaction, and the cause.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from .metrics import checker_consumer, consumer_reads, consumer_summaries, parse_count, transactions

__all__ = ["check"]


def _origin(origin) -> str:
    return f"{origin[0]}-{origin[1]}@{origin[2]}" if origin else "an unknown input"


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


class _Context:
    """Provenance lookups over the run's trace."""

    def __init__(self, trace) -> None:
        self.restarts = {e["attempt"]: e for e in trace if e["kind"] == "job_restart"}
        self.resets = [e for e in trace if e["kind"] == "source_offset_reset"]
        self.failures = [e for e in trace if e["kind"] == "job_failing"]
        self.txns = {t["id"]: t for t in transactions(trace)}
        self.timeouts = {e["txn"]: e for e in trace if e["kind"] == "txn_timeout"}
        self.appends = defaultdict(list)
        self.appends_by_origin = defaultdict(list)
        self.input_txn = {}                    # (topic, partition, offset) -> txn of a transactional input record
        for e in trace:
            if e["kind"] == "kafka_append" and e.get("task") is None and e.get("txn"):
                self.input_txn[(e["topic"], e["partition"], e["offset"])] = e["txn"]
            if e["kind"] == "kafka_append":
                self.appends[e["value"]].append(e)
                if e.get("origin"):
                    self.appends_by_origin[tuple(e["origin"][:3])].append(e)
        self.mode = None

    def restore_of(self, attempt: int) -> str:
        r = self.restarts.get(attempt)
        if r is None:
            return "in the first attempt"
        cp = f"checkpoint {r['checkpoint']}" if r["checkpoint"] is not None else "no checkpoint (none had completed)"
        return f"in attempt {attempt}, restarted at {r['t']:g} ms from {cp}"

    def reset_for(self, attempt_time: float, topic: str, partition: int):
        for e in self.resets:
            if e["t"] == attempt_time and e["topic"] == topic and e["partition"] == partition:
                return e
        return None

    def write(self, read: dict) -> str:
        origin = read.get("origin") or []
        attempt = origin[4] if len(origin) > 4 else None
        txn = read.get("txn")
        where = f"transaction {txn}" if txn else "no transaction"
        text = f"{_origin(origin)} written {self.restore_of(attempt) if attempt else ''} ({where}, read at {read['t']:g} ms)"
        r = self.restarts.get(attempt)
        if r is not None and origin:
            reset = self.reset_for(r["t"], origin[0], origin[1])
            if reset is not None:
                text += f"; the source was reset to offset {reset['offset']} ({reset['cause']})"
        return text


def _dirty_input(reads, ctx: _Context) -> str | None:
    """Why an output came from input that never committed (the source read read_uncommitted), or None."""
    for r in reads:
        origin = r.get("origin") or []
        txn = ctx.txns.get(ctx.input_txn.get(tuple(origin[:3])))
        if txn is not None and txn["status"] != "committed":
            state = f"{txn['cause'] or 'aborted'} at {txn['ended']:g} ms" if txn["status"] == "aborted" else \
                "never committed"
            return (f"its input {_origin(origin)} was written in transaction {txn['id']} "
                    f"({txn['transactional_id']}), {state}; the source reads read_uncommitted (Flink's sources "
                    f"do not set isolation.level), so it processed records that were never committed -- "
                    f"set isolation: read_committed on the source")
    return None


def _explain_duplicate(value, reads, expected, ctx: _Context) -> str:
    dirty = _dirty_input(reads, ctx)
    if dirty is not None:
        return f"duplicate: {value} was read {_times(len(reads))} (reference: {_times(expected) if expected else 'never'}): {dirty}."
    writes = "; ".join(ctx.write(r) for r in reads)
    return (f"duplicate: {value} was read {_times(len(reads))} (reference: {_times(expected)}): {writes}. "
            f"Records written before the failure became visible and their input was replayed after the restore.")


def _explain_overcount(value, key, n, ref_max, reads, ctx: _Context, key_reads=()) -> str:
    dirty = _dirty_input(key_reads, ctx)
    if dirty is not None:
        return f"over-count: {value} goes beyond the reference's final {key}:::{ref_max}: {key} was counted from input " \
               f"that never committed: {dirty}."
    writes = "; ".join(ctx.write(r) for r in reads)
    return (f"over-count: {value} goes beyond the reference's final {key}:::{ref_max}: {writes}. The restored "
            f"state already counted records whose input offsets were not in the checkpoint, so they were "
            f"counted again when replayed (a snapshot taken without aligned barriers).")


def _explain_discarded(value, src: str, txn: dict, ctx: _Context) -> str:
    """A loss whose cause is KafkaSink's committer giving up a refused commit (no failover)."""
    why = ""
    t = ctx.timeouts.get(txn["id"])
    if t is not None:
        why = (f" the broker had aborted it at {t['t']:g} ms, {t['age']:g} ms after its first write, longer than its "
               f"transaction_timeout of {t['timeout']:g} ms;")
    return (f"loss: {value} (from {src}) was written in transaction {txn['id']} of checkpoint {txn['checkpoint']}:{why} "
            f"KafkaSink's committer got {txn['discard_error']} at {txn['discarded']:g} ms and discarded the commit "
            f"without failing over, so its {txn['records']} record(s) are lost silently.")


def _explain_loss(value, ref_read, ctx: _Context) -> str:
    origin = ref_read.get("origin") or []
    src = _origin(origin)
    appended = ctx.appends.get(value, [])
    for e in appended:
        txn = ctx.txns.get(e.get("txn"))
        if txn is not None and txn.get("discarded") is not None:
            return _explain_discarded(value, src, txn, ctx)
        if txn is not None and txn["id"] in ctx.timeouts:
            t = ctx.timeouts[txn["id"]]
            cp = f" of checkpoint {txn['checkpoint']}" if txn.get("checkpoint") else ""
            return (f"loss: {value} (from {src}) was written in transaction {txn['id']}{cp}, which the broker "
                    f"aborted at {t['t']:g} ms after {t['age']:g} ms, longer than its transaction_timeout of "
                    f"{t['timeout']:g} ms; its {t['records']} record(s) are lost.")
        if txn is not None and txn["status"] == "open":
            return (f"loss: {value} (from {src}) is still in open transaction {txn['id']} when the run ends: "
                    f"no checkpoint completed after it was written, so it was never committed.")
    same_input = [e for e in ctx.appends_by_origin.get(tuple(origin[:3]), []) if e["value"] != value]
    if same_input:
        other = same_input[-1]
        return (f"loss: {value} (from {src}): that input was read, but it produced {other['value']} instead "
                f"(attempt {other['origin'][4]}): earlier input of the same key was lost, so the count is lower.")
    aborted = [e for e in appended if ctx.txns.get(e.get("txn"), {}).get("status") == "aborted"]
    before = ""
    if aborted:
        txn = ctx.txns[aborted[0]["txn"]]
        before = f"it was written in transaction {txn['id']}, aborted ({txn['cause']}); "
    if origin:
        skips = [e for e in ctx.resets if e["topic"] == origin[0] and e["partition"] == origin[1]
                 and e["offset"] > origin[2] and "restored" not in e["cause"]]
        if skips:
            e = skips[0]
            return (f"loss: {value} (from {src}): {before}at {e['t']:g} ms the restarted source started at offset "
                    f"{e['offset']} ({e['cause']}), so that input record was never read again.")
    if aborted:
        return f"loss: {value} (from {src}): {before}its input was not replayed into a committed transaction."
    if appended:
        txns = ", ".join(sorted({str(e.get('txn')) for e in appended}))
        return f"loss: {value} (from {src}) was written ({txns}) but never became visible to the read_committed reader."
    return f"loss: {value} (from {src}) was never written by the sink before the run ended."


def check(run_trace, reference_trace) -> dict:
    """``{ok, duplicates, lost, overcounted, explanation}`` for the run against the reference."""
    judged = checker_consumer(run_trace)
    summaries = consumer_summaries(run_trace)
    if judged in summaries:
        return _check_digests(judged, summaries[judged], consumer_summaries(reference_trace).get("_reference"))
    reads = consumer_reads(run_trace, judged) if judged else []
    ref_reads = consumer_reads(reference_trace, "_reference")
    got = Counter(r["value"] for r in reads)
    want = Counter(r["value"] for r in ref_reads)
    ref_max: dict = {}
    for v in want:
        parsed = parse_count(v)
        if parsed:
            ref_max[parsed[0]] = max(ref_max.get(parsed[0], parsed[1]), parsed[1])
    ctx = _Context(run_trace)
    by_value = defaultdict(list)
    for r in reads:
        by_value[r["value"]].append(r)
    ref_by_value = {}
    for r in ref_reads:
        ref_by_value.setdefault(r["value"], r)
    duplicates, lost, overcounted, explanation = [], [], [], []
    for value in got:                         # in reading order
        parsed = parse_count(value)
        if parsed and parsed[0] in ref_max and parsed[1] > ref_max[parsed[0]]:
            overcounted.append({"value": value, "times": got[value], "reference_final": ref_max[parsed[0]]})
            key_reads = [r for v, rs in by_value.items() if (parse_count(v) or (None,))[0] == parsed[0] for r in rs]
            explanation.append(_explain_overcount(value, parsed[0], parsed[1], ref_max[parsed[0]],
                                                  by_value[value], ctx, key_reads))
        elif got[value] > want.get(value, 0):
            duplicates.append({"value": value, "times": got[value], "expected": want.get(value, 0)})
            explanation.append(_explain_duplicate(value, by_value[value], want.get(value, 0), ctx))
    for r in ref_reads:
        value = r["value"]
        if got[value] < want[value] and not any(x["value"] == value for x in lost):
            lost.append({"value": value, "times": got[value], "expected": want[value],
                         "origin": r.get("origin")})
            explanation.append(_explain_loss(value, r, ctx))
    ok = not (duplicates or lost or overcounted)
    if ok:
        explanation.append(f"exactly once: the {judged or 'read_committed'} reader saw each of the "
                           f"{sum(want.values())} reference value(s) exactly once.")
    return {"ok": ok, "consumer": judged, "duplicates": duplicates, "lost": lost, "overcounted": overcounted,
            "explanation": explanation}


def _check_digests(judged: str, got: dict, want: dict | None) -> dict:
    """Summary traces keep no values: compare counts and order-independent digests."""
    want = want or {"count": 0, "digest": 0, "final_counts": {}}
    ok = got["count"] == want["count"] and got["digest"] == want["digest"]
    over = {k: n for k, n in got["final_counts"].items() if n > want["final_counts"].get(k, n)}
    if ok:
        text = (f"exactly once: the {judged} reader read {got['count']} value(s), the same multiset as the "
                f"reference (digest {got['digest']:016x}); a summary trace keeps no values.")
    else:
        text = (f"the {judged} reader read {got['count']} value(s) where the reference has {want['count']}, and "
                f"the digests differ: some values were duplicated or lost"
                + (f" (keys counted beyond the reference: {', '.join(sorted(over))})" if over else "")
                + ". Run with --trace-level control to see which and why.")
    return {"ok": ok, "consumer": judged, "duplicates": [], "lost": [],
            "overcounted": [{"value": f"{k}:::{n}", "reference_final": want['final_counts'][k]} for k, n in over.items()],
            "explanation": [text], "summary": {"count": got["count"], "reference_count": want["count"]}}
