"""Rows out: JSON Lines or CSV, one flat row per run, so ``pandas.read_json(path, lines=True)``
or ``pandas.read_csv(path)`` loads them as they are."""
from __future__ import annotations

import csv
import json
from pathlib import Path

__all__ = ["ROW_FORMATS", "write_rows"]

#: file suffix -> format
ROW_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


def write_rows(rows: list[dict], path: str | Path) -> None:
    """Write ``rows`` to ``path`` as JSON Lines (.jsonl) or CSV (.csv; None is an empty cell)."""
    path = Path(path)
    fmt = ROW_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: rows are written as .jsonl or .csv, not {path.suffix or 'no suffix'}")
    fields = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", encoding="utf-8", newline="") as fp:
        if fmt == "jsonl":
            for row in rows:
                fp.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        else:
            writer = csv.DictWriter(fp, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
