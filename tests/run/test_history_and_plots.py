"""History rows, and the figures drawn from them (matplotlib, no display, no TensorFlow)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from PIL import Image

from kspec.report.features import (channel_figure, layer_grid_figure, normalise_map, plot_channel,
                                   plot_layer_grid, tile)
from kspec.report.plots import confusion_matrix, plot_confusion, plot_history
from kspec.run.history import _clean, as_float, gaps, history_to_csv, load_rows, rows_to_history, write_rows


def test_non_finite_values_round_trip_through_json(tmp_path):
    rows = [{"epoch": 1, "loss": _clean(float("nan"))}, {"epoch": 2, "loss": _clean(float("inf"))}]
    write_rows(tmp_path, rows)
    back = load_rows(tmp_path)
    assert back == [{"epoch": 1, "loss": "nan"}, {"epoch": 2, "loss": "inf"}]
    assert math.isnan(as_float(back[0]["loss"])) and as_float(back[1]["loss"]) == math.inf
    assert json.loads((tmp_path / "history.json").read_text())["version"] == 1


def test_csv_has_every_key_once():
    csv = history_to_csv([{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.4, "val_loss": 0.6}])
    assert csv.splitlines() == ["epoch,loss,val_loss", "1,0.5,", "2,0.4,0.6"]


def test_gaps_and_duplicates():
    assert gaps([{"epoch": e} for e in (1, 2, 3)]) == ([], [])
    assert gaps([{"epoch": e} for e in (1, 3, 3)]) == ([2], [3])


def test_course_figures_with_keras3_keys(tmp_path):
    h = rows_to_history([{"epoch": i, "loss": 1 / i, "accuracy": 0.5 + i / 10, "val_loss": 1.2 / i,
                          "val_accuracy": 0.4 + i / 10, "learning_rate": 0.001} for i in (1, 2, 3)])
    written = plot_history(h, tmp_path)
    assert sorted(p.name for p in written) == ["accuracy.png", "loss.png"]
    for p in written:
        assert Image.open(p).format == "PNG"


def test_nan_in_history_still_plots(tmp_path):
    written = plot_history({"loss": [1.0, "nan", "inf"]}, tmp_path)
    assert [p.name for p in written] == ["loss.png"]


def test_old_acc_key_is_drawn_as_accuracy(tmp_path):
    written = plot_history({"loss": [1.0, 0.5], "acc": [0.5, 0.6], "val_acc": [0.4, 0.5]}, tmp_path)
    assert sorted(p.name for p in written) == ["accuracy.png", "loss.png"]


def test_confusion_matrix_counts_and_figure(tmp_path):
    m = confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 2, 0]), 3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    p = plot_confusion(m, ["a", "b", "c"], tmp_path / "cm.png", title="Confusion matrix")
    assert Image.open(p).size[0] > 100


def test_maps_are_normalised_per_map_as_the_course_does():
    fmap = np.array([[0.0, 1.0], [2.0, 3.0]])
    out = normalise_map(fmap)
    x = (fmap - fmap.mean()) / fmap.std() * 64 + 128
    assert out.tolist() == np.clip(x, 0, 255).astype(np.uint8).tolist()
    assert normalise_map(np.full((3, 3), 7.0)).tolist() == [[128] * 3] * 3  # constant map: no division by 0
    # scale does not matter: a map with tiny values looks like the same map with large ones
    assert normalise_map(fmap * 1e-6).tolist() == normalise_map(fmap * 1e6).tolist()


def test_tile_places_every_map_and_leaves_gaps():
    maps = np.stack([np.full((2, 3), float(i)) + np.eye(2, 3) for i in range(5)], axis=-1)
    grid = tile(maps, cols=3)
    assert grid.shape == (2 * 2 + 1, 3 * 3 + 2)
    assert np.isnan(grid[2]).all()  # the gap row
    assert np.isnan(grid[3:, 8:]).all()  # the unused sixth cell
    assert np.array_equal(grid[3:5, 4:7], normalise_map(maps[:, :, 4]))


def test_layer_grid_and_channel_figures(tmp_path):
    fmap = np.random.default_rng(0).random((1, 6, 6, 8)).astype(np.float32)
    p = plot_layer_grid(fmap, "conv2d", "Conv2D", tmp_path / "01-conv2d.png")
    assert Image.open(p).format == "PNG"
    q = plot_channel(np.zeros((8, 8, 1)), [("conv2d", fmap), ("pool", fmap[:, :3, :3])], 2, tmp_path / "ch.png")
    assert Image.open(q).size[0] > Image.open(q).size[1]


def _inside(fig, text) -> bool:
    fig.canvas.draw()
    box, page = text.get_window_extent(fig.canvas.get_renderer()), fig.bbox
    return page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1


@pytest.mark.parametrize("channels", [1, 8])
def test_long_layer_names_fit_inside_the_figure(channels):
    from kspec.report.plots import plt

    name = "block_one_convolution_with_a_rather_long_descriptive_layer_name_" * 2
    fmap = np.random.default_rng(0).random((1, 6, 6, channels)).astype(np.float32)
    fig = layer_grid_figure(fmap, name, "Conv2D")
    title = fig.axes[0].title
    assert _inside(fig, title) and "\n" in title.get_text()
    assert title.get_text().replace("\n", "").startswith(name.replace(" ", ""))  # wrapped, nothing cut
    plt().close(fig)
    fig = channel_figure(np.zeros((8, 8, 1)), [(name, fmap), ("pool", fmap)], 0)
    for ax in fig.axes:
        assert _inside(fig, ax.title), ax.title.get_text()
    left, middle = fig.axes[1].title.get_window_extent(), fig.axes[2].title.get_window_extent()
    assert left.x1 <= middle.x0, "the panels' titles do not overlap"
    plt().close(fig)


@pytest.mark.parametrize("shape", [(1, 4, 4, 1), (1, 4, 4, 64), (1, 30, 2, 3)])
def test_grids_of_unusual_shapes(tmp_path, shape):
    plot_layer_grid(np.ones(shape, dtype=np.float32), "x", "Conv2D", tmp_path / "g.png")


def test_drawer_child_draws_the_figures_and_falls_back_in_process(tmp_path):
    from kspec.report.drawer import Drawer

    h = rows_to_history([{"epoch": i, "loss": 1 / i, "accuracy": 0.5 + i / 10} for i in (1, 2)])
    d = Drawer().start()
    assert d.proc is not None
    d.submit("history", history=h, out_dir=str(tmp_path))
    d.submit("confusion", matrix=[[3, 1], [0, 4]], class_names=["a", "b"], path=str(tmp_path / "cm.png"),
             title="Confusion matrix")
    child = d.proc
    drawn = d.finish()
    assert child.returncode == 0 and d.proc is None
    assert sorted(p.rsplit("/", 1)[1] for p in drawn[0]) == ["accuracy.png", "loss.png"]
    assert drawn[1] == [str(tmp_path / "cm.png")] and Image.open(drawn[1][0]).size[0] > 100
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left

    # a child that is gone: the figures are drawn here, the same files
    d = Drawer().start()
    d.proc.kill()
    d.proc.wait()
    (tmp_path / "loss.png").unlink()
    d.submit("history", history=h, out_dir=str(tmp_path))
    assert sorted(p.rsplit("/", 1)[1] for p in d.finish()[0]) == ["accuracy.png", "loss.png"]
    assert (tmp_path / "loss.png").is_file()


@pytest.mark.parametrize("rows", [[], [{"epoch": 1, "loss": 0.5}],
                                  [{"epoch": 1, "loss": "nan", "acc": 1.0}, {"epoch": 2, "loss": 0.25, "lr": 1e-08}]])
def test_history_json_is_the_document_one_epoch_a_line(rows):
    from kspec.run.history import history_json

    text = history_json(rows)
    assert json.loads(text) == {"version": 1, "epochs": rows}
    assert len(text.splitlines()) == (5 + len(rows) if rows else 4)  # the head, one line per epoch, the tail
