"""Table runs after training: predict from raw rows (``kspec predict RUN rows.csv`` or ``--row
col=value,...``) with the normalisation and category lists the run fitted on its training rows
(``table.json``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..diagnostics import KspecError
from ..tables import DataFileError, Records, TableLayout, encode_rows, read_records

ROW_FILE_SUFFIXES = (".csv", ".tsv", ".tab", ".jsonl", ".ndjson", ".json")


def table_layout(saved) -> TableLayout:
    path = saved.dir / "table.json"
    if not path.is_file():
        raise KspecError(f"{saved.dir} has no table.json, so raw rows cannot be normalised and encoded",
                         hint="train the spec again with this version of kspec")
    return TableLayout.from_json(json.loads(path.read_text(encoding="utf-8")))


def parse_row(text: str, n: int) -> dict[str, str | None]:
    """``col=value,col=value`` (one row of ``--row``) as a dict; an empty value is a missing one."""
    row: dict[str, str | None] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, eq, value = part.partition("=")
        name = name.strip()
        if not eq or not name:
            raise KspecError(f"--row {n}: {part.strip()!r} is not column=value",
                             hint="write --row col=value,col=value (a file: kspec predict RUN rows.csv)")
        if name in row:
            raise KspecError(f"--row {n}: column {name!r} is given twice")
        row[name] = value.strip() or None
    if not row:
        raise KspecError(f"--row {n} is empty", hint="write --row col=value,col=value")
    return row


def rows_records(rows: list[str], layout: TableLayout) -> Records:
    """``--row`` values as one :class:`Records`: every row must name the same columns."""
    parsed = [parse_row(t, n) for n, t in enumerate(rows, 1)]
    columns = list(parsed[0])
    for n, row in enumerate(parsed[1:], 2):
        if set(row) != set(columns):
            odd = sorted(set(row) ^ set(columns))[0]
            raise KspecError(f"--row {n} and --row 1 name different columns ({odd!r} is in one only)",
                             hint="give the same columns in every --row")
    return Records(Path("--row"), columns, [[row[c] for c in columns] for row in parsed], list(range(1, len(parsed) + 1)))


def read_rows(inputs: list[str], rows: list[str], layout: TableLayout) -> list[tuple[Records, list[str]]]:
    """(records, a name per row) of every row file and of the ``--row`` values, columns checked."""
    out = []
    for name in inputs:
        path = Path(name)
        if path.suffix.lower() not in ROW_FILE_SUFFIXES:
            raise KspecError(f"{name!r} is not a table file: a table run predicts from rows",
                             hint="give a CSV / TSV / JSON-lines file with the training columns, "
                                  "or --row col=value,col=value")
        if not path.is_file():
            raise KspecError(f"{path} does not exist", hint="check the path")
        rec = read_records(path)
        if not rec.rows:
            raise DataFileError(f"{path} has a header and no rows")
        out.append(rec)
    if rows:
        out.append(rows_records(rows, layout))
    result = []
    for rec in out:
        layout.check_columns(rec)
        result.append((rec, [rec.where(i) if rec.path != Path("--row") else f"--row {i + 1}"
                             for i in range(len(rec.rows))]))
    return result


def encode_table_rows(saved, inputs: list[str], rows: list[str]) -> tuple[np.ndarray, list[str]]:
    """The model's inputs for raw rows, encoded with the run's fitted layout, and each row's name."""
    layout = table_layout(saved)
    xs, names = [], []
    for rec, where in read_rows(inputs, rows, layout):
        x, _ = encode_rows(rec, list(range(len(rec.rows))), layout, with_target=False)
        xs.append(x)
        names.extend(where)
    return np.concatenate(xs), names


__all__ = ["encode_table_rows", "parse_row", "read_rows", "table_layout"]
