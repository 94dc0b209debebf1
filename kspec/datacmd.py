"""Library code of the ``kspec data`` commands: inspect an image folder, write the synthetic
``shapes`` set as one.

No TensorFlow: ``inspect`` uses the same listing and file checks as lint
(:mod:`kspec.imagefolder`), so what it prints is what lint and ``kspec run`` will see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import imagefolder as imf
from .diagnostics import KspecError

SPLIT_NAMES = ("train", "training", "validation", "valid", "val", "test")
DEFAULT_FORMATS = ["png", "jpg", "jpeg", "bmp", "gif"]


# ------------------------------------------------------------------------------------ inspect


@dataclass
class FolderReport:
    role: str
    """``training``, ``validation`` or a split folder's name."""
    listing: imf.FolderListing
    scan: imf.ImageScan
    counts: dict[str, int]
    """Images per class that this role uses (after a validation split)."""
    batch_size: int
    steps: int | None
    steps_given: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "root": str(self.listing.root),
            "classes": [{"label": i, "name": c, "images": self.counts.get(c, 0)}
                        for i, c in enumerate(self.listing.class_names)],
            "images": self.total,
            "image_sizes": {f"{w}x{h}": n for (w, h), n in self.scan.sizes.most_common()},
            "modes": dict(self.scan.modes.most_common()),
            "formats": dict(self.scan.formats.most_common()),
            "checked": self.scan.checked,
            "bad_files": [{"path": str(b.path), "problem": b.problem} for b in self.scan.bad],
            "not_images": [str(p) for p in self.listing.other_files],
            "ignored_files": [str(p) for p in self.listing.stray_files],
            "batch_size": self.batch_size,
            "steps": self.steps,
            "notes": self.notes,
        }


@dataclass
class InspectReport:
    source: str
    folders: list[FolderReport]
    notes: list[str] = field(default_factory=list)

    @property
    def problems(self) -> bool:
        """Files that cannot be decoded, or a class with no images."""
        return any(f.scan.bad or any(n == 0 for n in f.listing.counts.values()) for f in self.folders)

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "source": self.source, "folders": [f.to_json() for f in self.folders],
                "notes": self.notes}


def inspect(target: str | Path, *, batch_size: int | None = None, full: bool = True, overrides=()) -> InspectReport:
    """Inspect a spec's image folders (a .yaml/.yml/.json file) or a folder.

    A folder is a class-per-subfolder tree, or a parent of split folders (``train/``,
    ``validation/``, ...) that are such trees. ``full=False`` checks a sample of the files (as
    lint does for large trees) instead of every file.
    """
    target = Path(target)
    limit = None if full else imf.SCAN_LIMIT
    if target.is_file():
        return _inspect_spec(target, batch_size, limit, overrides)
    if not target.exists():
        raise KspecError(f"{target} does not exist", hint="give a spec file or an image folder")
    batch = batch_size or 32
    splits = [d for d in sorted(target.iterdir()) if d.is_dir() and d.name.lower() in SPLIT_NAMES
              and any(c.is_dir() for c in d.iterdir())]
    roots = splits or [target]
    folders = []
    for root in roots:
        listing = imf.list_tree(root, DEFAULT_FORMATS)
        scan = imf.scan_listing(listing, limit)
        folders.append(FolderReport(root.name if splits else "images", listing, scan, listing.counts, batch,
                                    imf.steps(listing.total, batch)))
    report = InspectReport(str(target), folders)
    _compare_splits(report)
    if batch_size is None:
        report.notes.append("steps assume batch size 32 (--batch-size, or inspect a spec, to change it)")
    return report


def _inspect_spec(path: Path, batch_size: int | None, limit: int | None, overrides=()) -> InspectReport:
    from .pipeline import Pipeline

    p = Pipeline(path, overrides=overrides)
    p.require_valid()
    r = p.resolved
    data = r.data
    if data.type != "image_folder":
        raise KspecError(f"{path}: its data is {data.type!r}; `kspec data inspect` reads image folders",
                         hint="`kspec shapes SPEC` prints what kspec knows about other data")
    facts = r.facts
    listing = facts.extra.get("listing")
    if listing is None:
        raise KspecError(facts.unavailable or f"cannot list {data.directory}",
                         hint=f"data.directory is relative to the spec's folder ({r.base_dir}); it needs one "
                              "subfolder per class")
    steps = imf.derived_steps(data, r.train, facts.n_train, facts.n_validation)
    batch = batch_size or steps["batch_size"]
    vbatch = batch_size or steps["validation_batch_size"]
    scan = facts.extra.get("image_scan")
    if scan is None or (limit is None and not scan.complete):
        scan = imf.scan_listing(listing, limit)
    train_counts = dict(facts.class_counts or listing.counts)
    n_train = facts.n_train if facts.n_train is not None else sum(train_counts.values())
    train = FolderReport("training", listing, scan, train_counts, batch,
                         r.train.steps_per_epoch or imf.steps(n_train, batch), bool(r.train.steps_per_epoch))
    if data.limit and data.limit < sum(train_counts.values()):
        train.notes.append(f"limit {data.limit}: training uses a seeded sample of {n_train} of these images")
    folders = [train]
    report = InspectReport(str(path), folders)
    vlisting = facts.extra.get("validation_listing")
    n_val = facts.n_validation or 0
    if vlisting is not None:
        vscan = facts.extra.get("validation_image_scan")
        if vscan is None or (limit is None and not vscan.complete):
            vscan = imf.scan_listing(vlisting, limit)
        val = FolderReport("validation", vlisting, vscan, vlisting.counts, vbatch,
                           r.train.validation_steps or imf.steps(n_val, vbatch), bool(r.train.validation_steps))
        found = facts.extra.get("validation_class_names") or []
        extra = [c for c in found if c not in listing.class_names]
        if extra:
            val.notes.append(f"class folder(s) {extra} are not training classes: kspec run stops on them")
        folders.append(val)
    elif isinstance(data.validation, float):
        vcounts = dict(facts.validation_class_counts or {})
        val = FolderReport(f"validation (held out: {data.validation:g} of every class)", listing,
                           imf.ImageScan(), vcounts, vbatch,
                           r.train.validation_steps or imf.steps(n_val, vbatch), bool(r.train.validation_steps))
        folders.append(val)
    _spec_notes(report, data, scan)
    return report


def _spec_notes(report: InspectReport, data: Any, scan: imf.ImageScan) -> None:
    h, w = data.target_size
    if scan.sizes:
        (sw, sh), _ = scan.sizes.most_common(1)[0]
        if sh < h or sw < w:
            report.notes.append(f"most images are {sw}x{sh}; target_size [{h}, {w}] upsamples them (no new detail, "
                                "more compute): consider target_size [{}, {}]".format(min(h, sh), min(w, sw)))
        elif (sh, sw) != (h, w):
            report.notes.append(f"images are resized from {sw}x{sh} to {w}x{h} ({data.interpolation})")
    gray = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}
    if scan.modes and set(scan.modes) <= gray and data.color_mode != "grayscale":
        report.notes.append(f"every image checked is grayscale; color_mode {data.color_mode} copies it into "
                            f"{imf.CHANNELS[data.color_mode]} channels (color_mode: grayscale saves that)")
    if data.class_mode == "binary" and report.folders and len(report.folders[0].listing.class_names) != 2:
        report.notes.append(f"class_mode binary needs exactly 2 classes; there are "
                            f"{len(report.folders[0].listing.class_names)}")
    _compare_splits(report)


def _compare_splits(report: InspectReport) -> None:
    if len(report.folders) < 2:
        return
    base = report.folders[0]
    for other in report.folders[1:]:
        if other.listing is base.listing:
            continue
        found = [c for c in other.listing.class_names if other.listing.counts.get(c)]
        missing = [c for c in base.listing.class_names if c not in found]
        if missing:
            other.notes.append(f"no images for class(es) {missing} of {base.role}")


def render_text(report: InspectReport) -> str:
    out: list[str] = []
    for f in report.folders:
        out.append(f"{f.role}: {_show(f.listing.root)}")
        names = f.listing.class_names
        width = max(len(c) for c in names) if names else 0
        out.append(f"  classes ({len(names)}, label = position):")
        for i, c in enumerate(names):
            n = f.counts.get(c, 0)
            flag = "  <- empty" if n == 0 else ""
            out.append(f"    {i:>3}  {c:<{width}}  {n:>7,} images{flag}")
        nonzero = [n for n in f.counts.values() if n]
        line = f"  total {f.total:,} images"
        if len(nonzero) > 1:
            line += f"; largest/smallest class {max(nonzero) / min(nonzero):.2f}"
        out.append(line)
        s = f.scan
        if s.checked:
            what = "all" if s.complete else f"{s.checked:,} of {s.total:,}"
            out.append(f"  checked {what} files")
            out.append("  sizes (w x h): " + _top((f"{w}x{h}", n) for (w, h), n in s.sizes.most_common()))
            out.append("  modes: " + _top(s.modes.most_common()) + "    formats: " + _top(s.formats.most_common()))
        if s.bad:
            out.append(f"  cannot be decoded ({len(s.bad)}):")
            out.extend(f"    {_show(b.path)}: {b.problem}" for b in s.bad)
        if f.listing.other_files:
            out.append(f"  not images, by extension, ignored ({len(f.listing.other_files)}): "
                       + _paths(f.listing.other_files))
        if f.listing.stray_files:
            out.append(f"  files outside class folders, ignored ({len(f.listing.stray_files)}): "
                       + _paths(f.listing.stray_files))
        if f.steps is not None:
            label = "steps_per_epoch" if f.role == "training" else "validation_steps" if f.role.startswith("validation") \
                else "steps"
            if f.steps_given:
                out.append(f"  {label}: {f.steps} (from the spec; the data repeats so every epoch has them)")
            elif f.total:
                last = f.total - (f.steps - 1) * f.batch_size
                tail = "" if last == f.batch_size else f", the last has {last}"
                out.append(f"  {label}: {f.steps} ({f.total:,} images in batches of {f.batch_size}{tail})")
        out.extend(f"  note: {n}" for n in f.notes)
    out.extend(f"note: {n}" for n in report.notes)
    return "\n".join(out) + "\n"


def _show(p: Path) -> str:
    """A path as the user would type it (``specs/../data`` -> ``data``), for display only."""
    import os

    return os.path.normpath(p)


def _top(pairs, k: int = 4) -> str:
    pairs = list(pairs)
    text = ", ".join(f"{name} ({n:,})" for name, n in pairs[:k])
    return text + (f", ... {len(pairs) - k} more" if len(pairs) > k else "") if pairs else "-"


def _paths(paths: list[Path], k: int = 3) -> str:
    return ", ".join(str(p) for p in paths[:k]) + (f", ... {len(paths) - k} more" if len(paths) > k else "")


# ------------------------------------------------------------------------------------ make-shapes


@dataclass
class WrittenTree:
    root: Path
    counts: dict[str, dict[str, int]]


def make_shapes_tree(out: str | Path, *, samples: int = 2000, validation_samples: int = 500, image_size: int = 28,
                     noise: float = 0.1, seed: int = 0, force: bool = False) -> WrittenTree:
    """Write the synthetic ``shapes`` set as ``out/train/<class>/*.png`` and ``out/validation/...``.

    The images are exactly those of ``data: {type: synthetic}`` with the same arguments
    (training first, then validation), as 8-bit grayscale PNG files.
    """
    import numpy as np
    from PIL import Image

    from .datasets import SHAPE_CLASSES, make_shapes

    out = Path(out)
    splits = ("train", "validation")
    if out.exists() and not out.is_dir():
        raise KspecError(f"{out} exists and is not a folder")
    existing = [s for s in splits if (out / s).exists() and any((out / s).iterdir())]
    if existing and not force:
        raise KspecError(f"{out / existing[0]} already has files", hint="pass --force to replace them, or pick another folder")
    x, y = make_shapes(samples + validation_samples, image_size, noise, seed)
    counts: dict[str, dict[str, int]] = {}
    for split, lo, hi in (("train", 0, samples), ("validation", samples, samples + validation_samples)):
        if hi <= lo:
            continue
        counts[split] = {c: 0 for c in SHAPE_CLASSES}
        for c in SHAPE_CLASSES:
            d = out / split / c
            d.mkdir(parents=True, exist_ok=True)
            for old in d.glob("*.png"):
                old.unlink()
        for i in range(lo, hi):
            c = SHAPE_CLASSES[int(y[i])]
            counts[split][c] += 1
            Image.fromarray(np.ascontiguousarray(x[i, :, :, 0])).save(out / split / c / f"{c}_{i:05d}.png")
    return WrittenTree(out, counts)
