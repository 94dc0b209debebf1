"""Class-per-subfolder image trees, as ``flow_from_directory`` reads them: facts without TensorFlow.

Labels follow the sorted subfolder names. Listing a tree never decodes an image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .diagnostics import KspecError


@dataclass
class FolderListing:
    root: Path
    class_names: list[str]
    files: dict[str, list[Path]]
    """Class name -> image files, sorted."""
    other_files: list[Path]
    """Files in class folders whose extension is not an allowed image format."""

    @property
    def counts(self) -> dict[str, int]:
        return {c: len(self.files[c]) for c in self.class_names}

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.files.values())


def list_tree(root: Path, formats: list[str], follow_links: bool = False) -> FolderListing:
    """List ``root``'s class subfolders and their image files (recursively, as Keras does)."""
    if not root.exists():
        raise KspecError(f"image folder {root} does not exist",
                         hint="point `directory` at a folder with one subfolder per class (relative to the spec)")
    if not root.is_dir():
        raise KspecError(f"image folder {root} is not a directory")
    exts = {"." + f.lower().lstrip(".") for f in formats}
    if ".jpg" in exts:
        exts.add(".jpeg")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise KspecError(f"image folder {root} has no class subfolders",
                         hint="put images in one subfolder per class, e.g. train/cats/1.png, train/dogs/2.png")
    files: dict[str, list[Path]] = {}
    other: list[Path] = []
    for c in classes:
        found = []
        for p in sorted((root / c).rglob("*")):
            if not p.is_file() or p.name.startswith("."):
                continue
            if not follow_links and p.is_symlink():
                continue
            (found if p.suffix.lower() in exts else other).append(p)
        files[c] = found
    return FolderListing(root, classes, files, other)


def folder_facts(data: Any, base_dir: Path, facts: Any) -> None:
    """Fill ``facts`` (a :class:`kspec.resolve.DataFacts`) for an ``image_folder`` data section."""
    root = Path(data.directory).expanduser()
    root = root if root.is_absolute() else base_dir / root
    h, w = data.target_size
    channels = {"grayscale": 1, "rgb": 3, "rgba": 4}[data.color_mode]
    facts.sample_shape = (h, w, channels)
    facts.origin["sample_shape"] = ("data", "target_size")
    facts.dtype = "uint8"
    facts.raw_range = (0.0, 255.0)
    facts.classification = data.class_mode != "none"
    listing = list_tree(root, data.formats, data.follow_links)
    facts.class_names = facts.class_names or listing.class_names
    facts.num_classes = len(listing.class_names)
    facts.origin["num_classes"] = ("data", "directory")
    facts.class_counts = listing.counts
    facts.n_train = listing.total
    facts.label_kind = {"binary": "binary", "categorical": "one_hot", "sparse": "integer"}.get(data.class_mode)
    facts.label_shape = {"binary": (), "categorical": (facts.num_classes,), "sparse": ()}.get(data.class_mode)
    facts.extra["listing"] = listing
    if data.validation_directory:
        vroot = Path(data.validation_directory).expanduser()
        vroot = vroot if vroot.is_absolute() else base_dir / vroot
        vlist = list_tree(vroot, data.formats, data.follow_links)
        facts.validation_class_counts = vlist.counts
        facts.n_validation = vlist.total
        facts.extra["validation_listing"] = vlist
