"""Table data without TensorFlow: column types inferred or declared, numeric columns standardised
on the training rows, categorical ones one-hot, classification or regression from the target."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from kspec.pipeline import Pipeline
from kspec.tables import encode_rows, load_table, make_fruit, make_houses, rows_csv
from tests.conftest import ROOT, SPECS

SPEC = """\
kspec: 1
data: {DATA}
model:
  layers: [{type: Dense, units: 3, activation: softmax}]
compile: {optimizer: adam, loss: sparse_categorical_crossentropy}
"""

CSV = "size,colour,kind\n1,red,a\n2,blue,b\n3,red,a\n4,green,c\n100,red,b\n"


def lint(tmp_path, data: str):
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.replace("{DATA}", data), encoding="utf-8")
    p = Pipeline(path)
    return p, p.diagnostics


def test_types_inferred_and_stats_from_training_rows(tmp_path):
    (tmp_path / "t.csv").write_text(CSV)
    p, found = lint(tmp_path, "{type: table, path: t.csv, target: kind, validation: 0.2, seed: 1}")
    assert found == []
    table = load_table(p.resolved.data, tmp_path)
    lay = table.layout
    assert lay.types == {"size": "numeric", "colour": "categorical"} and lay.task == "classification"
    sizes = [float(table.records.rows[i][0]) for i in table.train_rows]
    assert lay.means["size"] == np.mean(sizes) and lay.stds["size"] == np.std(sizes)
    assert lay.categories["colour"] == sorted({table.records.rows[i][1] for i in table.train_rows})
    x, y = encode_rows(table.records, table.train_rows, lay)
    assert x.shape == (4, lay.width) and np.allclose(x[:, 0].mean(), 0, atol=1e-6)
    assert p.resolved.facts.sample_shape == (lay.width,) and p.resolved.facts.num_classes == 3


def test_declared_types_win_and_unknown_category_goes_to_the_oov_slot(tmp_path):
    (tmp_path / "t.csv").write_text(CSV)
    p, _ = lint(tmp_path, "{type: table, path: t.csv, target: kind, columns: {size: categorical}}")
    table = load_table(p.resolved.data, tmp_path)
    assert table.layout.types["size"] == "categorical"
    (tmp_path / "new.csv").write_text("size,colour,kind\n1,purple,a\n")
    from kspec.tables import read_records

    x, _ = encode_rows(read_records(tmp_path / "new.csv"), [0], table.layout)
    colour = x[0, len(table.layout.categories["size"]) + 1:]
    assert colour.tolist() == [0, 0, 0, 1]  # blue, green, red, out-of-vocabulary


def test_regression_target(tmp_path):
    (tmp_path / "h.csv").write_text(rows_csv(make_houses(50, 0)))
    p, _ = lint(tmp_path, "{type: table, path: h.csv, target: price_k}")
    f = p.resolved.facts
    assert f.classification is False and f.label_kind == "continuous"


def test_bad_tables(tmp_path):
    (tmp_path / "t.csv").write_text(CSV)
    _, found = lint(tmp_path, "{type: table, path: t.csv, target: knd}")
    assert [d.code for d in found] == ["KS701"] and "did you mean 'kind'" in found[0].message
    (tmp_path / "one.csv").write_text("x,y\n1,a\n2,a\n")
    _, found = lint(tmp_path, "{type: table, path: one.csv, target: y}")
    assert [d.code for d in found] == ["KS701"] and "one class ('a')" in found[0].message


def test_shipped_tables_are_the_generator_output():
    assert (SPECS / "tables" / "fruit.csv").read_text() == rows_csv(make_fruit(600, 0))
    assert (SPECS / "tables" / "houses.csv").read_text() == rows_csv(make_houses(800, 0))


def test_data_inspect_shows_column_types():
    out = subprocess.run([sys.executable, "-m", "kspec.cli", "data", "inspect", str(SPECS / "table_houses.yaml"),
                          "-f", "json"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["columns"]["rooms"] == {"type": "numeric", "source": "declared",
                                          "mean": report["columns"]["rooms"]["mean"],
                                          "std": report["columns"]["rooms"]["std"]}
    assert report["columns"]["area_m2"]["source"] == "inferred"
    assert report["columns"]["district"]["categories"] == ["centre", "east", "north", "river"]
    assert report["target"] == {"column": "price_k", "task": "regression", "classes": None}


def test_rows_to_predict_from_are_encoded_with_the_fitted_layout_and_their_columns_checked(tmp_path):
    import pytest

    from kspec.diagnostics import KspecError
    from kspec.run.tablerows import read_rows
    from kspec.tables import TableLayout, read_records

    (tmp_path / "t.csv").write_text("size,colour,id,kind\n1,red,7,a\n3,blue,8,b\n", encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("{DATA}", "{type: table, path: t.csv, target: kind, columns: {id: ignore}}"))
    saved = TableLayout.from_json(json.loads(json.dumps(load_table(Pipeline(spec).resolved.data, tmp_path).layout.to_json())))
    assert saved.ignored == ["id"] and saved.features == ["size", "colour"]
    (tmp_path / "rows.csv").write_text("colour,size,kind,id\nblue,3,,1\ngreen,,,\n", encoding="utf-8")
    [(rec, names)] = read_rows([str(tmp_path / "rows.csv")], [], saved)
    assert names == [f"{tmp_path / 'rows.csv'}:2", f"{tmp_path / 'rows.csv'}:3"]
    x, _ = encode_rows(rec, [0, 1], saved, with_target=False)
    # size: (3 - 2) / 1 and the mean for a missing value; colour one-hot over [blue, red] + out-of-vocabulary
    assert x.tolist() == [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
    [(rec, names)] = read_rows([], ["size=1,colour=red", "colour=blue,size=2"], saved)
    assert names == ["--row 1", "--row 2"] and rec.rows == [["1", "red"], ["2", "blue"]]
    for rows, says in ((["sise=1,colour=red"], "has no column 'size'; did you mean 'sise'?"),
                       (["size=1,colour=red,colours=x"], "'colours' the model was not trained on; did you mean 'colour'?"),
                       (["size=1,colour"], "'colour' is not column=value"),
                       (["size=1,colour=red", "size=2"], "--row 2 and --row 1 name different columns")):
        with pytest.raises(KspecError) as e:
            read_rows([], rows, saved)
        assert says in e.value.message, e.value.message
    with pytest.raises(KspecError, match="not a table file"):
        read_rows(["the size is 3"], [], saved)
    assert read_records(tmp_path / "rows.csv").columns == ["colour", "size", "kind", "id"]
