"""``kspec eject`` for series and table data: kspec's pipelines written out in plain NumPy,
TensorFlow and the standard library (text data: :mod:`kspec.emit.eject_text`).

Series (:mod:`kspec.series`, :mod:`kspec.emit.sequences`): the course's generator (or the CSV
column / ``.npy`` file), ``rescale``, the split by time, the normalisation fitted on the training
period, and batches of windows gathered by start index from one tensor, the training starts
shuffled by the seed. The naive and moving-average baselines that ``kspec run`` reports after
training are left out: they do not touch training.

Tables (:mod:`kspec.tables`): the same CSV / TSV / JSON-lines reading, column types inferred or
declared, the seeded random validation split, numeric columns standardised on the training rows,
categorical columns one-hot with an out-of-vocabulary slot, and the target as class ids (or
one-hot) or numbers; then arrays to ``model.fit``.
"""

from __future__ import annotations

from pathlib import Path
from ..resolve import Resolved


def path_code(r: Resolved, value: str, script: Path) -> str:
    """The path of a data file as the script finds it: relative to the script when the file is near it."""
    import os

    path = r.path(value).resolve()
    try:
        rel = os.path.relpath(path, script.resolve().parent)
    except ValueError:  # another drive
        return repr(str(path))
    if rel.count("..") <= 2:
        return f"HERE / {Path(rel).as_posix()!r}"
    return repr(str(path))


READ_RECORDS = '''

def read_records(path, fmt):
    """(header, rows) of a CSV (header row first), TSV or JSON-lines file: every value a string,
    an empty cell None, blank lines skipped."""
    text = Path(path).read_bytes().decode("utf-8").removeprefix("\\ufeff")  # as is: no newline translation
    if fmt == "jsonl":
        objects = [json.loads(line) for line in text.splitlines() if line.strip()]
        header = []
        for obj in objects:
            header += [k for k in obj if k not in header]

        def cell(v):
            if v is None or (isinstance(v, str) and not v.strip()):
                return None
            return v if isinstance(v, str) else json.dumps(v)

        return header, [[cell(obj.get(c)) for c in header] for obj in objects]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\\t" if fmt == "tsv" else ",")
    header = [h.strip() for h in next(reader)]
    rows = [[c if c.strip() != "" else None for c in row] for row in reader if row and any(c.strip() for c in row)]
    return header, rows
'''


def data_format(path: str, declared: str) -> str:
    """The format a data file is read as: the declared one, or the one its suffix names."""
    from ..tables import file_format

    return file_format(Path(path), declared)


# ------------------------------------------------------------------------------------ series

MAKE_SERIES = '''

def make_series(length, baseline, slope, amplitude, period, phase, noise_level, noise_seed):
    """The course's synthetic series: trend + seasonality + noise."""
    time = np.arange(length, dtype="float32")
    season_time = ((time + phase) % period) / period
    pattern = np.where(season_time < 0.4, np.cos(season_time * 2 * np.pi), 1 / np.exp(3 * season_time))
    series = baseline + slope * time + amplitude * pattern
    return series + np.random.RandomState(noise_seed).randn(len(time)) * noise_level
'''

WINDOWS = '''

def windows(values, starts, shuffle):
    """Batches of (window, target): a window starting at i is values[i : i + WINDOW_SIZE], its
    target(s) the next HORIZON values, gathered from one tensor by start index."""
    ds = tf.data.Dataset.range(starts.start, starts.stop, starts.step)
    if shuffle:
        ds = ds.shuffle({buffer}, seed=SEED, reshuffle_each_iteration=True)
    ds = ds.batch(BATCH_SIZE)
    offsets_x = tf.range(WINDOW_SIZE, dtype=tf.int64)
    offsets_y = tf.range(WINDOW_SIZE, WINDOW_SIZE + HORIZON, dtype=tf.int64)

    def gather(idx):
        x = tf.gather(values, idx[:, None] + offsets_x[None, :])
        y = tf.gather(values, idx[:, None] + offsets_y[None, :])
        return tf.reshape(x, (-1,) + {shape!r}), {target}

    return ds.map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
'''


def series_code(r: Resolved, script: Path) -> tuple[list[str], set[str]]:
    """Lines that define ``train`` and ``validation`` (tf.data datasets of window batches); the
    standard modules they need."""
    from ..series import read_series, window_plan

    d = r.data
    std: set[str] = set()
    lines: list[str] = []
    if d.path is None:
        g = d.generator
        lines += ["", ""] + MAKE_SERIES.strip("\n").splitlines() + ["", ""]
        lines.append(f"series = make_series({g.length!r}, {g.baseline!r}, {g.slope!r}, {g.amplitude!r}, {g.period!r}, "
                     f"{g.phase!r}, {g.noise_level!r}, {g.noise_seed!r})  # float64")
    elif Path(d.path).suffix.lower() in (".npy", ".npz"):
        key = d.column if isinstance(d.column, str) else None
        if Path(d.path).suffix.lower() == ".npy":
            lines.append(f"series = np.load({path_code(r, d.path, script)}).astype(np.float64).reshape(-1)")
        else:
            with_key = "" if key is None else key
            lines += [f"with np.load({path_code(r, d.path, script)}) as stored:",
                      f"    series = stored[{with_key!r} if {with_key!r} in stored else stored.files[0]]"
                      ".astype(np.float64).reshape(-1)"]
    else:
        std |= {"csv", "io", "json"}
        lines += ["", ""] + READ_RECORDS.strip("\n").splitlines() + ["", ""]
        fmt = data_format(d.path, d.format)
        lines.append(f"header, rows = read_records({path_code(r, d.path, script)}, {fmt!r})")
        col = repr(d.column) if isinstance(d.column, int) else f"header.index({d.column!r})"
        lines.append(f"series = np.asarray([float(row[{col}]) for row in rows], dtype=np.float64)")
    if d.rescale is not None:
        lines.append(f"series = series * {d.rescale!r}  # rescale")
    length = len(read_series(d, r.base_dir))
    plan = window_plan(d, length)
    w, h = plan.window_size, plan.horizon
    lines += ["", f"WINDOW_SIZE, HORIZON, SHIFT = {w}, {h}, {plan.shift}",
              f"SPLIT_TIME = {plan.split}  # the validation period starts here"
              + ("" if d.split_time is not None else " (data.validation of the series' length, from the end)"
                 if plan.split < length else " (no validation period)")]
    fit_on = "series" if d.normalize_fit == "all" else "series[:SPLIT_TIME]"
    if d.normalize == "standard":
        lines += [f"part = {fit_on}  # the normalisation is fitted on {'the whole series' if fit_on == 'series' else 'the training period'}",
                  "offset, scale = float(np.mean(part)), float(np.std(part)) or 1.0  # standard"]
    elif d.normalize == "minmax":
        lines += [f"part = {fit_on}  # the normalisation is fitted on {'the whole series' if fit_on == 'series' else 'the training period'}",
                  "offset, scale = float(np.min(part)), (float(np.max(part)) - float(np.min(part))) or 1.0  # minmax"]
    else:
        lines.append("offset, scale = 0.0, 1.0  # no normalisation")
    lines.append("values = tf.constant(((series - offset) / scale).astype(np.float32))")
    shape = tuple(d.reshape) if d.reshape else (w,)
    buffer = d.shuffle_buffer or "max(1, len(starts))"
    lines += WINDOWS.format(buffer=buffer, shape=shape, target="y[:, 0]" if h == 1 else "y").rstrip().splitlines()
    lines += ["", "",
              "# training windows lie wholly before SPLIT_TIME; validation windows have their targets at or after it",
              "# (their inputs may reach back into the training period)",
              "train_starts = range(0, SPLIT_TIME - (WINDOW_SIZE + HORIZON) + 1, SHIFT)"
              + (f"[:{d.limit}]  # data.limit: the first {d.limit} training windows" if d.limit else ""),
              "validation_starts = range(max(0, SPLIT_TIME - WINDOW_SIZE), len(series) - (WINDOW_SIZE + HORIZON) + 1, SHIFT)",
              f"train = windows(values, train_starts, shuffle={d.shuffle!r})"]
    if r.train.steps_per_epoch:
        lines.append("train = train.repeat()")
    lines.append("validation = windows(values, validation_starts, shuffle=False) "
                 "if SPLIT_TIME < len(series) and len(validation_starts) else None")
    lines += ["# kspec run also reports a naive and a moving-average forecast of the validation period after",
              "# training; they do not touch training and are left out here"]
    return lines, std


# ------------------------------------------------------------------------------------ tables

TABLE = '''

def number(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def class_key(v):
    x = number(v)
    return (0, x, "") if x is not None else (1, 0.0, v)


def fit_layout(header, rows, train_rows):
    """Column types, the target's task and classes, and the encoding fitted on the training rows."""
    features = [c for c in header if c != TARGET and COLUMNS.get(c) != "ignore"]
    column = {{c: [row[i] if i < len(row) else None for row in rows] for i, c in enumerate(header)}}
    types = {{}}
    for c in features:  # numeric when every present value is a number
        present = [v for v in column[c] if v is not None]
        types[c] = COLUMNS.get(c) or ("numeric" if present and all(number(v) is not None for v in present) else "categorical")
    targets = column[TARGET]
    task = TASK
    if task == "auto":
        numeric = all(number(v) is not None for v in targets)
        integral = numeric and all(float(v).is_integer() for v in targets)
        task = "classification" if not numeric or (integral and len(set(targets)) <= 20) else "regression"
    layout = dict(features=features, types=types, task=task, means={{}}, stds={{}}, categories={{}},
                  classes=sorted(set(targets), key=class_key) if task == "classification" else [])
    for c in features:
        if types[c] == "numeric":  # standardised with the training rows' mean and standard deviation
            values = np.asarray([number(column[c][i]) for i in train_rows if column[c][i] is not None] or [0.0])
            layout["means"][c], layout["stds"][c] = float(values.mean()), float(values.std()) or 1.0
        else:  # one-hot over the training rows' values, sorted, plus one slot for any other value
            layout["categories"][c] = sorted({{column[c][i] for i in train_rows if column[c][i] is not None}})
    return layout


def encode(header, rows, layout):
    """(x, y): numeric columns standardised (a missing value at the training mean), categorical ones one-hot."""
    width = sum(1 if layout["types"][c] == "numeric" else len(layout["categories"][c]) + 1 for c in layout["features"])
    x = np.zeros((len(rows), width), dtype=np.float32)
    at = 0
    for c in layout["features"]:
        i = header.index(c) if c in header else None
        values = [row[i] if i is not None and i < len(row) else None for row in rows]
        if layout["types"][c] == "numeric":
            mean, std = layout["means"][c], layout["stds"][c]
            for k, v in enumerate(values):
                x[k, at] = 0.0 if v is None else (float(v) - mean) / std
            at += 1
        else:
            slot = {{v: j for j, v in enumerate(layout["categories"][c])}}
            for k, v in enumerate(values):
                x[k, at + slot.get(v, len(slot))] = 1.0
            at += len(slot) + 1
    t = header.index(TARGET)
    if layout["task"] == "classification":
        ids = {{v: j for j, v in enumerate(layout["classes"])}}
        y = np.asarray([ids[row[t]] for row in rows], dtype=np.int64){one_hot}
    else:
        y = np.asarray([float(row[t]) for row in rows], dtype=np.float32)
    return x, y
'''


def split_code(d, n: str, what: str = "rows") -> list[str]:
    """Lines that define ``train_rows`` and ``validation_rows`` of ``n`` samples as
    :func:`kspec.tables.table_split` does: a seeded random fraction held out (``data.seed``, default 0), or none."""
    if not isinstance(d.validation, float):
        lines = [f"train_rows, validation_rows = list(range({n})), []"]
    else:
        lines = [f"order = np.random.default_rng({d.seed or 0}).permutation({n})  # the validation {what}: a seeded random {d.validation:g}",
                 f"n_val = max(1, int(round({n} * {d.validation!r})))",
                 "train_rows, validation_rows = sorted(order[n_val:].tolist()), sorted(order[:n_val].tolist())"]
    if d.limit:
        lines.append(f"train_rows = train_rows[:{d.limit}]  # data.limit: the first {d.limit} training {what}")
    return lines


def held_out_code(d) -> list[str]:
    """Lines that define ``validation`` (and shorten ``x, y``) as kspec splits in-memory arrays: the
    last fraction of the training data held out, the test set, or none."""
    if isinstance(d.validation, float):
        return [f"n_val = max(1, int(round(len(x) * {d.validation!r})))  # the last {d.validation:g} of the training data",
                "validation = (x[-n_val:], y[-n_val:])", "x, y = x[:-n_val], y[:-n_val]"]
    return ["validation = (x_test, y_test)" if d.validation == "test" else "validation = None"]


def table_code(r: Resolved, script: Path) -> tuple[list[str], set[str]]:
    """Lines that define ``x, y``, ``validation`` and ``x_test, y_test`` (arrays) as kspec encodes a table."""
    from ..tables import read_records

    d = r.data
    header = read_records(r.path(d.path), d.format).columns
    target = header[d.target] if isinstance(d.target, int) else d.target
    one_hot = "\n        y = np.eye(len(layout[\"classes\"]), dtype=np.float32)[y]  # one-hot" \
        if d.label_encoding == "one_hot" else ""
    lines = ["", ""] + READ_RECORDS.strip("\n").splitlines()
    lines += ["", "", f"TARGET = {target!r}", f"COLUMNS = {dict(d.columns or {})!r}  # declared column types; the rest are inferred",
              f"TASK = {d.task!r}"]
    lines += TABLE.format(one_hot=one_hot).rstrip().splitlines()
    fmt = data_format(d.path, d.format)
    lines += ["", "", f"header, rows = read_records({path_code(r, d.path, script)}, {fmt!r})"]
    lines += split_code(d, "len(rows)")
    lines += ["layout = fit_layout(header, rows, train_rows)",
              "x, y = encode(header, [rows[i] for i in train_rows], layout)",
              "validation = encode(header, [rows[i] for i in validation_rows], layout) if validation_rows else None"]
    if d.test_path:
        tfmt = data_format(d.test_path, d.format)
        lines += [f"x_test, y_test = encode(*read_records({path_code(r, d.test_path, script)}, {tfmt!r}), layout)"]
    else:
        lines.append("x_test = y_test = None")
    if d.validation == "test":
        lines.append("validation = (x_test, y_test)")
    lines.append("print(f\"{len(x)} training rows of {x.shape[1]} encoded columns; task: {layout['task']}\")")
    return lines, {"csv", "io", "json"}
