"""Listing, splitting, file checks and lint facts of image folders: no TensorFlow."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kspec import imagefolder as imf
from kspec.diagnostics import KspecError

from .helpers import encode, image, make_tree, resolved, spec_text


def test_labels_follow_sorted_folder_names(tmp_path):
    make_tree(tmp_path / "tree", {"zebra": 2, "Ant": 1, "bee": 3})
    listing = imf.list_tree(tmp_path / "tree", ["png"])
    assert listing.class_names == ["Ant", "bee", "zebra"]  # as sorted() orders them, like flow_from_directory
    assert listing.counts == {"Ant": 1, "bee": 3, "zebra": 2}
    assert [lab for _, lab in listing.items()] == [0, 1, 1, 1, 2, 2]


def test_class_names_pick_folders_and_order(tmp_path):
    make_tree(tmp_path / "tree", {"cats": 2, "dogs": 1, "birds": 1})
    listing = imf.list_tree(tmp_path / "tree", ["png"], classes=["dogs", "cats"])
    assert listing.class_names == ["dogs", "cats"]
    with pytest.raises(KspecError, match="no class folder 'horses'"):
        imf.list_tree(tmp_path / "tree", ["png"], classes=["horses"])


def test_other_hidden_nested_and_stray_files(tmp_path):
    root = make_tree(tmp_path / "tree", {"a": 2, "b": 1})
    (root / "a" / "notes.txt").write_text("x")
    (root / "a" / ".hidden.png").write_bytes(encode(image(1), "PNG"))
    (root / "a" / "sub").mkdir()
    (root / "a" / "sub" / "deep.JPG").write_bytes(encode(image(1), "JPEG"))
    (root / "README.md").write_text("x")
    (root / ".git").mkdir()
    listing = imf.list_tree(root, ["png", "jpg"])
    assert listing.class_names == ["a", "b"]
    assert [p.name for p in listing.files["a"]] == ["a_000.png", "a_001.png", "deep.JPG"]
    assert [p.name for p in listing.other_files] == ["notes.txt"]
    assert [p.name for p in listing.stray_files] == ["README.md"]
    assert imf.list_tree(root, ["png"]).counts["a"] == 2  # formats filter by extension


def test_missing_and_classless_folders(tmp_path):
    with pytest.raises(KspecError, match="does not exist"):
        imf.list_tree(tmp_path / "nope", ["png"])
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "x.png").write_bytes(encode(image(1), "PNG"))
    with pytest.raises(KspecError, match="no class subfolders") as e:
        imf.list_tree(tmp_path / "flat", ["png"])
    assert "one subfolder per class" in e.value.hint


def test_split_is_stratified_seeded_and_disjoint(tmp_path):
    listing = imf.list_tree(make_tree(tmp_path / "t", {"a": 10, "b": 7}), ["png"])
    train, val = imf.split_items(listing, 0.3, seed=1)
    assert sorted(p for p, _ in train + val) == sorted(p for p, _ in listing.items())
    assert not {p for p, _ in train} & {p for p, _ in val}
    assert [sum(1 for _, lab in val if lab == k) for k in (0, 1)] == [3, 2]  # round(0.3 * n) per class
    assert imf.split_items(listing, 0.3, seed=1) == (train, val)
    assert imf.split_items(listing, 0.3, seed=2)[1] != val
    assert imf.split_counts(listing.counts, 0.3) == ({"a": 7, "b": 5}, {"a": 3, "b": 2})


def test_limit_keeps_classes_and_is_seeded(tmp_path):
    items = imf.list_tree(make_tree(tmp_path / "t", {"a": 20, "b": 20}), ["png"]).items()
    sub = imf.limit_items(items, 10, seed=0)
    assert len(sub) == 10 and {lab for _, lab in sub} == {0, 1}
    assert imf.limit_items(items, 10, seed=0) == sub
    assert imf.limit_items(items, None, seed=0) == items


@pytest.mark.parametrize("n,batch,expected", [(1027, 128, 9), (1024, 128, 8), (3, 128, 1), (0, 32, 0), (256, 32, 8)])
def test_steps(n, batch, expected):
    assert imf.steps(n, batch) == expected


def test_fingerprint_sees_names_sizes_and_mtimes_only(tmp_path):
    root = make_tree(tmp_path / "t", {"a": 2, "b": 1})
    files = [p for p, _ in imf.list_tree(root, ["png"]).items()]
    fp = imf.tree_fingerprint(files, root)
    assert fp == imf.tree_fingerprint(list(reversed(files)), root)
    st = os.stat(files[0])
    os.utime(files[0], ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert imf.tree_fingerprint(files, root) != fp


# ------------------------------------------------------------------------------------ file checks


def _variants():
    img = image(90, (16, 16))
    out = {}
    for fmt in ("PNG", "JPEG", "GIF", "BMP"):
        data = encode(img, fmt)
        out[f"{fmt} ok"] = (data, None)
        out[f"{fmt} half"] = (data[: len(data) // 2], "truncated")
    out["PNG no IEND"] = (encode(img, "PNG")[:-12], "truncated")
    out["PNG trailing bytes"] = (encode(img, "PNG") + b"\0" * 8, None)
    out["JPEG no EOI"] = (encode(img, "JPEG")[:-2], "truncated")
    out["JPEG trailing bytes"] = (encode(img, "JPEG") + b"\0" * 8, None)
    out["BMP extra bytes"] = (encode(img, "BMP") + b"\0\0", "extra bytes")
    bad_crc = bytearray(encode(img, "PNG"))
    idat = bad_crc.find(b"IDAT")
    bad_crc[idat + 6] ^= 0xFF
    out["PNG bad CRC"] = (bytes(bad_crc), "damaged")
    out["text"] = (b"this is not an image\n", "not an image")
    out["empty"] = (b"", "empty")
    return out


VARIANTS = _variants()


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_check_image_finds_what_a_decoder_rejects(tmp_path, name):
    data, problem = VARIANTS[name]
    path = tmp_path / "x.png"
    path.write_bytes(data)
    info = imf.check_image(path)
    if problem is None:
        assert info.problem is None, info.problem
        assert info.size == (16, 16)
    else:
        assert info.problem and problem in info.problem


def test_check_image_names_formats_tensorflow_cannot_read(tmp_path):
    path = tmp_path / "x.png"
    image(10).save(path, "TIFF")
    info = imf.check_image(path)
    assert info.format == "TIFF" and "PNG, JPEG, GIF and BMP" in info.problem


def test_scan_counts_sizes_modes_and_samples(tmp_path):
    root = make_tree(tmp_path / "t", {"a": 30, "b": 10}, size=(12, 10), mode="L")
    (root / "b" / "broken.png").write_bytes(b"nope")
    listing = imf.list_tree(root, ["png"])
    scan = imf.scan_listing(listing)
    assert scan.complete and scan.checked == 41
    assert scan.sizes == {(12, 10): 40} and scan.modes == {"L": 40} and scan.formats == {"PNG": 40}
    assert [b.path.name for b in scan.bad] == ["broken.png"]
    sample = imf.scan_listing(listing, limit=8)
    assert not sample.complete and sample.total == 41 and 6 <= sample.checked <= 10


# ------------------------------------------------------------------------------------ facts


def test_facts_for_lint(tmp_path):
    make_tree(tmp_path / "tree", {"a": 5, "b": 3, "c": 0})
    make_tree(tmp_path / "val", {"a": 2, "d": 1})
    r = resolved(tmp_path, validation_directory="val", color_mode="grayscale", target_size=[8, 9])
    f = r.facts
    assert f.unavailable is None
    assert f.sample_shape == (8, 9, 1) and r.input_shape == (8, 9, 1)
    assert f.class_names == ["a", "b", "c"] and f.num_classes == 3
    assert f.class_counts == {"a": 5, "b": 3, "c": 0}
    assert f.n_train == 8 and f.n_validation == 2
    assert f.validation_class_counts == {"a": 2, "b": 0, "c": 0}
    assert f.extra["validation_class_names"] == ["a", "d"]
    assert f.extra["image_scan"].complete and f.extra["image_scan"].sizes == {(12, 10): 8}
    assert f.label_kind == "integer" and f.label_shape == ()


def test_facts_of_a_split_are_not_split_twice(tmp_path):
    make_tree(tmp_path / "tree", {"a": 10, "b": 10})
    r = resolved(tmp_path, validation=0.2, limit=12)
    assert r.facts.class_counts == {"a": 8, "b": 8}
    assert r.facts.validation_class_counts == {"a": 2, "b": 2}
    assert (r.facts.n_train, r.facts.n_validation) == (12, 4)


def test_missing_folder_leaves_shape_facts(tmp_path):
    r = resolved(tmp_path, directory="data/absent", target_size=[30, 20])
    assert "does not exist" in r.facts.unavailable
    assert r.facts.sample_shape == (30, 20, 3) and r.facts.num_classes is None


def test_lint_path_does_not_import_tensorflow(tmp_path):
    make_tree(tmp_path / "tree", {"a": 2, "b": 2})
    (tmp_path / "spec.json").write_text(spec_text("tree"))
    code = ("import sys; from kspec.pipeline import Pipeline; from kspec import datacmd; "
            f"p = Pipeline({str(tmp_path / 'spec.json')!r}); p.diagnostics; "
            f"datacmd.inspect({str(tmp_path / 'spec.json')!r}); "
            "bad = [m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules]; "
            "assert not bad, bad")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(Path(__file__).resolve().parents[2]))
    assert time.perf_counter() - t < 30


# ------------------------------------------------------------------------------------ remembered facts


@pytest.fixture
def counted_checks(monkeypatch, tmp_path):
    """A private cache folder with the 2-second recency rule off, and a count of files checked."""
    from kspec import cache

    monkeypatch.setenv("KSPEC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "RACY_S", 0.0)
    monkeypatch.setattr(imf, "_SCANS", {})
    monkeypatch.setattr(imf, "_TREES", {})
    checked: list[Path] = []
    real = imf.check_image

    def check(path):
        checked.append(Path(path))
        return real(path)

    monkeypatch.setattr(imf, "check_image", check)
    return checked


def test_a_tree_is_checked_once_for_every_spec_and_process(tmp_path, counted_checks):
    root = make_tree(tmp_path / "tree", {"a": 6, "b": 6})
    (root / "b" / "broken.png").write_bytes(b"nope")
    first = resolved(tmp_path, name="one.json").facts.extra["image_scan"]
    assert len(counted_checks) == 13 and [b.path.name for b in first.bad] == ["broken.png"]
    again = resolved(tmp_path, name="two.json", target_size=[20, 20]).facts.extra["image_scan"]
    assert len(counted_checks) == 13  # another spec on the same tree: nothing read again
    assert (again.sizes, again.modes, [b.path for b in again.bad]) == (first.sizes, first.modes, [b.path for b in first.bad])
    imf._TREES.clear()
    imf._SCANS.clear()  # as in a new process: the on-disk cache answers
    disk = resolved(tmp_path, name="three.json").facts.extra["image_scan"]
    assert len(counted_checks) == 13
    assert disk.sizes == first.sizes and [b.problem for b in disk.bad] == [b.problem for b in first.bad]
    assert disk.bad[0].path == root / "b" / "broken.png"


def test_a_changed_file_is_checked_again(tmp_path, counted_checks):
    root = make_tree(tmp_path / "tree", {"a": 6, "b": 6})
    resolved(tmp_path)
    n = len(counted_checks)
    victim = root / "a" / "a_002.png"
    victim.write_bytes(victim.read_bytes()[:40])  # truncated in place: same name, new size
    imf._TREES.clear()  # a new process
    scan = resolved(tmp_path).facts.extra["image_scan"]
    assert [b.path for b in scan.bad] == [victim] and len(counted_checks) > n
    (root / "a" / "new.png").write_bytes(victim.read_bytes())  # a new file changes the folder
    scan = resolved(tmp_path).facts.extra["image_scan"]
    assert scan.checked == 13 and {b.path.name for b in scan.bad} == {"a_002.png", "new.png"}


def test_recently_modified_files_are_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("KSPEC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(imf, "_SCANS", {})
    root = make_tree(tmp_path / "tree", {"a": 6, "b": 6})
    imf.scan_listing(imf.list_tree(root, ["png"]))
    assert not imf._SCANS and not (tmp_path / "cache").exists()  # written just now: its timestamps may not move


def test_cache_off(tmp_path, monkeypatch):
    from kspec import cache

    monkeypatch.setenv("KSPEC_CACHE_DIR", "off")
    assert cache.cache_dir() is None and cache.load("image-scans", "x") is None
    cache.store("image-scans", "x", {"a": 1})  # a no-op, never an error


def _pillow_only(path, monkeypatch):
    monkeypatch.setattr(imf, "_sound_png", lambda data: None)
    try:
        return imf.check_image(path)
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "I;16", "P+tRNS", "L+text", "RGB+optimize"])
def test_quick_png_check_agrees_with_pillow(tmp_path, monkeypatch, mode):
    """Sound PNG files are checked without Pillow; the result must be what Pillow's check gives."""
    from PIL import PngImagePlugin

    base, _, extra = mode.partition("+")
    img = image(90, (13, 7)).convert("L" if base == "I;16" else base)
    if base == "I;16":
        img = img.convert("I;16")
    kwargs = {}
    if extra == "tRNS":
        kwargs["transparency"] = 0
    elif extra == "text":
        info = PngImagePlugin.PngInfo()
        info.add_text("note", "hello")
        kwargs["pnginfo"] = info
    elif extra == "optimize":
        kwargs["optimize"] = True
    path = tmp_path / "x.png"
    img.save(path, "PNG", **kwargs)
    data = path.read_bytes()
    assert (imf._sound_png(data) is None) == (extra == "text")  # text chunks take Pillow's path
    assert imf.check_image(path) == _pillow_only(path, monkeypatch)
    for cut in (len(data) - 12, len(data) - 1, 40, 9):  # truncated: Pillow's path names the problem
        path.write_bytes(data[:cut])
        assert imf._sound_png(data[:cut]) is None
        assert imf.check_image(path) == _pillow_only(path, monkeypatch)


def test_links_are_listed_only_when_followed(tmp_path):
    root = make_tree(tmp_path / "t", {"a": 1, "b": 1})
    make_tree(tmp_path / "elsewhere", {"c": 2})
    os.symlink(tmp_path / "elsewhere" / "c", root / "a" / "linked")
    os.symlink(tmp_path / "elsewhere" / "c" / "c_000.png", root / "b" / "link.png")
    plain = imf.list_tree(root, ["png"])
    assert {c: [p.name for p in fs] for c, fs in plain.files.items()} == {"a": ["a_000.png"], "b": ["b_000.png"]}
    followed = imf.list_tree(root, ["png"], follow_links=True)
    assert [p.relative_to(root).as_posix() for p in followed.files["a"]] == ["a/a_000.png", "a/linked/c_000.png",
                                                                             "a/linked/c_001.png"]
    assert [p.name for p in followed.files["b"]] == ["b_000.png", "link.png"]


def test_link_loops_are_followed_once_and_no_file_is_counted_twice(tmp_path):
    root = make_tree(tmp_path / "t", {"a": 1, "b": 2})
    (root / "a" / "sub").mkdir()
    (root / "a" / "sub" / "x.png").write_bytes(encode(image(1), "PNG"))
    os.symlink(root / "a", root / "a" / "sub" / "loop")  # back to a parent
    os.symlink(root / "a" / "sub", root / "a" / "twice")  # a second way into one folder
    os.symlink(root / "b", root / "a" / "cross")  # another class's folder
    os.symlink("self", root / "b" / "self")  # a link to itself
    listing = imf.list_tree(root, ["png"], follow_links=True)
    assert [p.relative_to(root).as_posix() for p in listing.files["a"]] == ["a/a_000.png", "a/sub/x.png"]
    assert listing.counts == {"a": 2, "b": 2}
    assert sorted(p.relative_to(root).as_posix() for p in listing.repeated_dirs) == [
        "a/cross", "a/sub/loop", "a/twice"]
    assert imf.list_tree(root, ["png"]).counts == {"a": 2, "b": 2}  # links not followed: the same files


def _bounded(fn, *args, seconds: float = 20):
    """``fn(*args)`` in a thread; fails instead of hanging when it blocks (a FIFO open would)."""
    import threading

    out: dict = {}

    def target():
        try:
            out["value"] = fn(*args)
        except BaseException as e:  # noqa: BLE001 - handed back to the test
            out["error"] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"{getattr(fn, '__name__', fn)} blocked for {seconds} s"
    return out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
@pytest.mark.parametrize("follow_links", [False, True])
def test_a_fifo_in_a_class_folder_is_named_and_never_opened(tmp_path, follow_links):
    root = make_tree(tmp_path / "tree", {"a": 2, "b": 2})
    fifo = root / "b" / "pipe.png"
    os.mkfifo(fifo)
    if follow_links:  # a link to a FIFO, only read when links are followed
        fifo.rename(tmp_path / "pipe.png")
        os.symlink(tmp_path / "pipe.png", fifo)
    out = _bounded(imf.list_tree, root, ["png"], follow_links)
    assert isinstance(out.get("error"), KspecError), out
    assert str(fifo) in str(out["error"]) and "FIFO" in str(out["error"])
    out = _bounded(imf.check_image, fifo)
    assert "FIFO" in out["value"].problem
    out = _bounded(lambda: resolved(tmp_path, "tree", follow_links=follow_links))
    assert "pipe.png" in out["value"].facts.unavailable and "FIFO" in out["value"].facts.unavailable
