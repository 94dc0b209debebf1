"""Delimited and JSON-lines data files, read without TensorFlow: the CSV / TSV / JSON-lines reader
that text, series and table data share, and the table data kind itself (column types inferred or
declared, numeric columns standardised on the training rows, categorical ones one-hot encoded).

Every mistake in a data file is a :class:`DataFileError`: it names the spec field it concerns
(``spec_path``) and the place in the file (``file:line``), so lint can point at both.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .diagnostics import KspecError, did_you_mean

if TYPE_CHECKING:
    import numpy as np


class DataFileError(KspecError):
    """A data file that exists but cannot be used as the spec says."""

    def __init__(self, message: str, hint: str | None = None, *, spec_path: tuple = ("data",)):
        super().__init__(message, hint)
        self.spec_path = spec_path


def read_utf8(path: Path, spec_path: tuple = ("data", "path")) -> str:
    """The text of ``path``; a file that is not UTF-8 names the line and column of the first bad byte."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise KspecError(f"data file {path} does not exist", hint="check the path (relative to the spec)") from None
    except IsADirectoryError:
        raise DataFileError(f"{path} is a folder, not a file", spec_path=spec_path) from None
    except OSError as e:
        raise KspecError(f"cannot read {path}: {e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise DataFileError(f"{path}:{line}:{col} is not UTF-8 (byte 0x{raw[e.start]:02x})",
                            hint="save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)",
                            spec_path=spec_path) from None
    return text.removeprefix("\ufeff")


@dataclass
class Records:
    """Rows of a delimited or JSON-lines file, every value a string (or None for an empty cell)."""

    path: Path
    columns: list[str]
    rows: list[list[str | None]]
    lines: list[int]
    """The file line each row starts on (1-based)."""
    absent: set[tuple[int, int]] = field(default_factory=set)
    """(row, column) pairs whose key a JSON-lines object does not have (as against an empty value)."""

    def where(self, i: int) -> str:
        return f"{self.path}:{self.lines[i]}"

    def index(self, name: str | int, spec_path: tuple) -> int:
        """Position of column ``name`` (a header name, or a 0-based index); did-you-mean when absent."""
        if isinstance(name, int):
            if 0 <= name < len(self.columns):
                return name
            raise DataFileError(f"{self.path} has {len(self.columns)} columns (0..{len(self.columns) - 1}); "
                                f"there is no column {name}", spec_path=spec_path)
        if name in self.columns:
            return self.columns.index(name)
        guess = did_you_mean(name, self.columns)
        raise DataFileError(
            f"{self.path} has no column {name!r}" + (f"; did you mean {guess!r}?" if guess else "")
            + f" (its header: {', '.join(self.columns[:20])}{', ...' if len(self.columns) > 20 else ''})",
            hint=f"set {'.'.join(map(str, spec_path))} to one of the file's columns", spec_path=spec_path)

    def column(self, name: str | int, spec_path: tuple) -> list[str | None]:
        i = self.index(name, spec_path)
        return [row[i] if i < len(row) else None for row in self.rows]


def file_format(path: Path, declared: str = "auto") -> str:
    if declared != "auto":
        return declared
    suffix = path.suffix.lower()
    return {".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}.get(suffix, "csv")


def read_records(path: Path, fmt: str = "auto", *, spec_path: tuple = ("data", "path")) -> Records:
    """A CSV (header row first), TSV or JSON-lines file as :class:`Records`."""
    path = Path(path)
    fmt = file_format(path, fmt)
    text = read_utf8(path, spec_path)
    if fmt == "jsonl":
        return _read_jsonl(path, text, spec_path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if fmt == "tsv" else ",")
    try:
        header = next(reader, None)
        if header is None:
            raise DataFileError(f"{path} is empty: a header row with the column names comes first", spec_path=spec_path)
        header = [h.strip() for h in header]
        rows, lines = [], []
        start = reader.line_num + 1
        for row in reader:
            if row and any(cell.strip() for cell in row):
                rows.append([cell if cell.strip() != "" else None for cell in row])
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as e:
        raise DataFileError(f"{path}:{reader.line_num}: not valid {fmt.upper()}: {e}", spec_path=spec_path) from None
    return Records(path, header, rows, lines)


def _read_jsonl(path: Path, text: str, spec_path: tuple) -> Records:
    columns: list[str] = []
    objects, lines = [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataFileError(f"{path}:{n}:{e.colno}: not valid JSON: {e.msg}",
                                hint="JSON lines: one JSON object per line", spec_path=spec_path) from None
        if not isinstance(obj, dict):
            raise DataFileError(f"{path}:{n}: expected a JSON object per line, got {type(obj).__name__}",
                                spec_path=spec_path)
        columns.extend(k for k in obj if k not in columns)
        objects.append(obj)
        lines.append(n)

    def cell(v: Any) -> str | None:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        return v if isinstance(v, str) else json.dumps(v)

    rows = [[cell(obj.get(c)) for c in columns] for obj in objects]
    absent = {(i, j) for i, obj in enumerate(objects) for j, c in enumerate(columns) if c not in obj}
    return Records(path, columns, rows, lines, absent)


# ------------------------------------------------------------------------------------ tables


def _number(s: str) -> float | None:
    try:
        return float(s)
    except ValueError:
        return None


def infer_column_type(values: list[str | None], max_categories: int = 50) -> str:
    """``numeric`` when every present value is a number, else ``categorical``."""
    present = [v for v in values if v is not None]
    if present and all(_number(v) is not None for v in present):
        return "numeric"
    return "categorical"


@dataclass
class TableLayout:
    """How the columns of a table become a model's inputs and target (fitted on the training rows)."""

    features: list[str]
    types: dict[str, str]
    """Column -> ``numeric`` or ``categorical``."""
    declared: dict[str, str]
    target: str
    task: str
    """``classification`` or ``regression``."""
    classes: list[str] = field(default_factory=list)
    means: dict[str, float] = field(default_factory=dict)
    stds: dict[str, float] = field(default_factory=dict)
    categories: dict[str, list[str]] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return sum(1 if self.types[c] == "numeric" else len(self.categories.get(c, [])) + 1 for c in self.features)

    def to_json(self) -> dict:
        return {"features": self.features, "types": self.types, "target": self.target, "task": self.task,
                "classes": self.classes, "means": self.means, "stds": self.stds, "categories": self.categories,
                "ignored": self.ignored}

    @property
    def ignored(self) -> list[str]:
        """Columns declared ``ignore``: a row may hold them, the model never sees them."""
        return sorted(c for c, t in self.declared.items() if t == "ignore")

    @classmethod
    def from_json(cls, d: dict) -> "TableLayout":
        return cls(features=d["features"], types=d["types"], declared={c: "ignore" for c in d.get("ignored", [])},
                   target=d["target"], task=d["task"], classes=d.get("classes", []), means=d.get("means", {}),
                   stds=d.get("stds", {}), categories=d.get("categories", {}))

    def check_columns(self, rec: "Records") -> None:
        """Rows to predict from hold every feature column and no column the model was not trained on
        (the target and ignored columns may be there). Each mistake names the column, with did-you-mean."""
        allowed = set(self.features) | {self.target} | set(self.ignored)
        extra = [c for c in rec.columns if c not in allowed]
        missing = [c for c in self.features if c not in rec.columns]
        trained = ", ".join(self.features)
        for c in missing:
            guess = did_you_mean(c, extra)
            raise DataFileError(f"{rec.path} has no column {c!r}" + (f"; did you mean {guess!r}?" if guess else "")
                                + f" (the model was trained on the columns: {trained})",
                                hint=f"give every feature column: {trained}" + (f"; rename {guess!r} to {c!r}" if guess else ""))
        for c in extra:
            guess = did_you_mean(c, self.features)
            raise DataFileError(f"{rec.path} has a column {c!r} the model was not trained on"
                                + (f"; did you mean {guess!r}?" if guess else "") + f" (its columns: {trained})",
                                hint=f"remove the column {c!r}" + (f" or rename it to {guess!r}" if guess else ""))


@dataclass
class Table:
    records: Records
    layout: TableLayout
    train_rows: list[int]
    validation_rows: list[int]
    test: Records | None = None


def table_split(n: int, validation: Any, seed: int, limit: int | None = None) -> tuple[list[int], list[int]]:
    """Training and validation row indices: a fraction held out at random (``data.seed``, default 0,
    so lint and every run see the same split), or none; ``limit`` keeps the first N training rows
    (``data.limit``: what is fitted on the training rows is fitted on those)."""
    import numpy as np

    if not isinstance(validation, float):
        return list(range(n))[:limit], []
    order = np.random.default_rng(seed).permutation(n)
    n_val = max(1, int(round(n * validation)))
    return sorted(order[n_val:].tolist())[:limit], sorted(order[:n_val].tolist())


def load_table(data: Any, base_dir: Path) -> Table:
    """Read a ``type: table`` data section and fit its layout on the training rows."""
    import numpy as np

    path = _rel(base_dir, data.path)
    rec = read_records(path, data.format)
    if not rec.rows:
        raise DataFileError(f"{path} has a header and no rows", spec_path=("data", "path"))
    target_i = rec.index(data.target, ("data", "target"))
    target_name = rec.columns[target_i]
    declared = dict(data.columns or {})
    for name in declared:
        rec.index(name, ("data", "columns", name))
    features = [c for c in rec.columns if c != target_name and declared.get(c) != "ignore"]
    types = {}
    for c in features:
        types[c] = declared.get(c) or infer_column_type(rec.column(c, ("data", "columns")))
    target_values = rec.column(target_i, ("data", "target"))
    for i, v in enumerate(target_values):
        if v is None:
            raise DataFileError(f"{rec.where(i)}: the target column {target_name!r} is empty",
                                hint="fill it in or remove the row", spec_path=("data", "target"))
    task = data.task
    if task == "auto":
        numeric = all(_number(v) is not None for v in target_values)
        integral = numeric and all(float(v).is_integer() for v in target_values)
        task = "classification" if not numeric or (integral and len(set(target_values)) <= 20) else "regression"
    train_rows, val_rows = table_split(len(rec.rows), data.validation, data.seed or 0, data.limit)
    layout = TableLayout(features, types, declared, target_name, task)
    if task == "classification":
        train_classes = {target_values[i] for i in train_rows}
        if len(train_classes) < 2:
            raise DataFileError(f"the target column {target_name!r} of {path} has one class ({next(iter(train_classes))!r})",
                                hint="a classifier needs at least two classes", spec_path=("data", "target"))
        layout.classes = sorted(set(target_values), key=_class_key)
    for c in features:
        col = rec.column(c, ("data", "columns", c))
        if types[c] == "numeric":
            vals = []
            for i in train_rows:
                if col[i] is None:
                    continue
                x = _number(col[i])
                if x is None:
                    raise DataFileError(f"{rec.where(i)}: column {c!r} is declared numeric but holds {col[i]!r}",
                                        hint=f"declare `columns: {{{c}: categorical}}` or fix the value",
                                        spec_path=("data", "columns", c))
                vals.append(x)
            arr = np.asarray(vals or [0.0], dtype=np.float64)
            layout.means[c] = float(arr.mean())
            layout.stds[c] = float(arr.std()) or 1.0
        else:
            seen: dict[str, int] = {}
            for i in train_rows:
                if col[i] is not None:
                    seen[col[i]] = seen.get(col[i], 0) + 1
            layout.categories[c] = sorted(seen)
    test = None
    if data.test_path:
        test = read_records(_rel(base_dir, data.test_path), data.format, spec_path=("data", "test_path"))
    return Table(rec, layout, train_rows, val_rows, test)


def _class_key(v: str):
    x = _number(v)
    return (0, x, "") if x is not None else (1, 0.0, v)


def encode_rows(rec: Records, rows: list[int], layout: TableLayout, *, with_target: bool = True):
    """(x, y) float32 arrays of ``rows``: numeric columns standardised, categorical ones one-hot
    (a value not seen in training rows goes to the last, out-of-vocabulary slot), missing numbers
    at the training mean."""
    import numpy as np

    x = np.zeros((len(rows), layout.width), dtype=np.float32)
    col = 0
    for c in layout.features:
        values = rec.column(c, ("data", "columns", c)) if c in rec.columns else [None] * len(rec.rows)
        if layout.types[c] == "numeric":
            mean, std = layout.means[c], layout.stds[c]
            for k, i in enumerate(rows):
                v = values[i]
                num = _number(v) if v is not None else None
                if v is not None and num is None:
                    raise DataFileError(f"{rec.where(i)}: column {c!r} is numeric but holds {v!r}",
                                        spec_path=("data", "columns", c))
                x[k, col] = 0.0 if num is None else (num - mean) / std
            col += 1
        else:
            cats = {v: j for j, v in enumerate(layout.categories[c])}
            oov = len(cats)
            for k, i in enumerate(rows):
                x[k, col + cats.get(values[i], oov)] = 1.0
            col += oov + 1
    if not with_target:
        return x, None
    target = rec.column(layout.target, ("data", "target"))
    if layout.task == "classification":
        ids = {v: j for j, v in enumerate(layout.classes)}
        bad = [i for i in rows if target[i] not in ids]
        if bad:
            raise DataFileError(f"{rec.where(bad[0])}: class {target[bad[0]]!r} is not among the training classes "
                                f"{layout.classes}", spec_path=("data", "target"))
        y = np.asarray([ids[target[i]] for i in rows], dtype=np.int64)
    else:
        y = np.asarray([float(target[i]) for i in rows], dtype=np.float32)
    return x, y


FACTS_VERSION = 1
"""Version of what :func:`table_facts` records: bump it when that changes, so that facts cached by
an older kspec are not read."""
_FACT_FIELDS = ("sample_shape", "dtype", "n_train", "n_validation", "n_test", "raw_range", "classification",
                "class_names", "num_classes", "label_kind", "label_shape", "class_counts", "target_range")
_TUPLES = ("sample_shape", "label_shape", "target_range", "raw_range")


def table_facts(data: Any, base_dir: Path, facts: Any) -> Table | None:
    """Fill ``facts`` (a :class:`kspec.resolve.DataFacts`) for a ``table`` data section. The facts
    are cached (:mod:`kspec.cache`, kind ``table-facts``) by the fingerprint of the table files
    and the data section, so a second lint of the same table reads no row; the table itself is
    returned only when it was read (None from the cache)."""
    from . import cache

    paths = [_rel(base_dir, data.path)] + ([_rel(base_dir, data.test_path)] if data.test_path else [])
    key = cache.fingerprint(paths, salt=f"kspec-table-facts-{FACTS_VERSION}",
                            extra={"data": data.model_dump(mode="json"), "class_names": facts.class_names})
    hit = cache.load("table-facts", key) if key else None
    if hit is not None:
        try:
            for name, value in hit["fields"].items():
                setattr(facts, name, tuple(value) if name in _TUPLES and value is not None else value)
            facts.extra.update(hit["extra"])
            facts.origin.update({k: tuple(v) for k, v in hit["origin"].items()})
            return None
        except (KeyError, TypeError, AttributeError):
            pass
    extra_before, origin_before = dict(facts.extra), dict(facts.origin)
    table = _table_facts(data, base_dir, facts)
    if key:
        cache.store("table-facts", key, {
            "fields": {name: getattr(facts, name) for name in _FACT_FIELDS},
            "extra": {k: v for k, v in facts.extra.items() if extra_before.get(k) != v},
            "origin": {k: list(v) for k, v in facts.origin.items() if origin_before.get(k) != v}})
    return table


def _table_facts(data: Any, base_dir: Path, facts: Any) -> Table:
    table = load_table(data, base_dir)
    lay = table.layout
    facts.sample_shape = (lay.width,)
    facts.dtype = "float32"
    facts.n_train = len(table.train_rows)
    facts.n_validation = len(table.validation_rows) if table.validation_rows else None
    facts.n_test = len(table.test.rows) if table.test is not None else None
    facts.raw_range = None
    facts.extra["split_applied"] = True
    facts.extra["column_types"] = dict(lay.types)
    facts.extra["target"] = lay.target
    facts.extra["normalize_fit"] = "train"
    if lay.task == "classification":
        facts.classification = True
        facts.class_names = facts.class_names or list(lay.classes)
        facts.num_classes = len(lay.classes)
        facts.label_kind = "binary" if len(lay.classes) == 2 else "integer"
        facts.label_shape = ()
        target = table.records.column(lay.target, ("data", "target"))
        counts: dict[str, int] = {}
        for i in table.train_rows:
            counts[target[i]] = counts.get(target[i], 0) + 1
        facts.class_counts = {c: counts.get(c, 0) for c in lay.classes}
    else:
        facts.classification = False
        facts.label_kind = "continuous"
        facts.label_shape = ()
        target = table.records.column(lay.target, ("data", "target"))
        ys = [float(target[i]) for i in table.train_rows]
        facts.target_range = (min(ys), max(ys))
    facts.origin.update(sample_shape=("data", "path"), num_classes=("data", "target"))
    return table


def _rel(base_dir: Path, p: str) -> Path:
    path = Path(p).expanduser()
    return path if path.is_absolute() else base_dir / path


# ------------------------------------------------------------------------------------ generated tables


def make_fruit(n: int = 600, seed: int = 0) -> list[list[str]]:
    """A classification table: weight (g), diameter (cm), colour and origin -> fruit (apple, orange,
    lemon). Deterministic for a seed; the header row first."""
    import random

    rng = random.Random(seed)
    kinds = {"apple": (150, 25, 7.5, 0.8, ("red", "green", "yellow")), "orange": (190, 30, 8.5, 0.8, ("orange",)),
             "lemon": (90, 20, 6.0, 0.6, ("yellow", "green"))}
    rows = [["weight_g", "diameter_cm", "colour", "origin", "fruit"]]
    for i in range(n):
        name = ("apple", "orange", "lemon")[i % 3]
        w, ws, d, ds, colours = kinds[name]
        colour = rng.choice(colours) if rng.random() > 0.1 else rng.choice(("red", "green", "yellow", "orange"))
        rows.append([f"{rng.gauss(w, ws):.1f}", f"{rng.gauss(d, ds):.2f}", colour,
                     rng.choice(("spain", "italy", "chile", "local")), name])
    body = rows[1:]
    rng.shuffle(body)
    return [rows[0]] + body


def make_houses(n: int = 800, seed: int = 0) -> list[list[str]]:
    """A regression table: area (m2), rooms, age (years), district -> price (thousands).
    Deterministic for a seed; the header row first."""
    import random

    rng = random.Random(seed)
    district = {"centre": 4.0, "river": 3.2, "north": 2.4, "east": 2.0}
    rows = [["area_m2", "rooms", "age_years", "district", "price_k"]]
    for _ in range(n):
        d = rng.choice(tuple(district))
        area = max(20.0, rng.gauss(90, 30))
        rooms = max(1, round(area / 30 + rng.gauss(0, 0.7)))
        age = rng.randint(0, 80)
        price = area * district[d] + rooms * 12 - age * 0.8 + rng.gauss(0, 15)
        rows.append([f"{area:.0f}", str(rooms), str(age), d, f"{price:.1f}"])
    return rows


def rows_csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()
