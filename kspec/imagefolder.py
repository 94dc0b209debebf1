"""Class-per-subfolder image trees, as ``flow_from_directory`` reads them: facts without TensorFlow.

Labels follow the sorted subfolder names (or the order of ``data.class_names`` when the spec
names the classes, like ``flow_from_directory(classes=...)``). Listing a tree never decodes an
image; :func:`check_image` reads headers and the structure a decoder needs (Pillow, no
TensorFlow) so that a truncated or non-image file is named before training starts.

What :func:`folder_facts` puts into :class:`kspec.resolve.DataFacts` for lint rules:

    sample_shape, num_classes, class_names, class_counts, n_train, n_validation,
    validation_class_counts, label_kind, label_shape
    extra["listing"]                 FolderListing of the training folder
    extra["validation_listing"]      FolderListing of the validation folder (when there is one)
    extra["validation_class_names"]  class subfolders of the validation folder
    extra["image_scan"]              ImageScan of (a sample of) the files: sizes, modes, bad files
    raw_range, stats["x"]            pixel range, mean and std of a sample of the training images,
                                     and how many of them are one flat value (``stats["x"]["images"]``)
    extra["validation_image_scan"]   the same for the validation folder
    extra["split_applied"]           True: n_train / n_validation already account for a split

:func:`derived_steps` gives ``steps_per_epoch`` / ``validation_steps`` as kspec will run them.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import random
import stat
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from .diagnostics import KspecError

CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
DECODABLE = {"PNG", "JPEG", "GIF", "BMP"}
"""Formats TensorFlow's ``decode_image`` reads (by content, whatever the extension)."""
SCAN_LIMIT = 2000
"""Files :func:`folder_facts` checks when linting; larger trees are sampled evenly per class."""


@dataclass
class FolderListing:
    root: Path
    class_names: list[str]
    files: dict[str, list[Path]]
    """Class name -> image files, sorted."""
    other_files: list[Path]
    """Files in class folders whose extension is not an allowed image format."""
    stray_files: list[Path] = field(default_factory=list)
    """Files directly in the root (not in a class folder): ignored, as Keras ignores them."""
    dirs: tuple[tuple[str, int], ...] = ()
    """Every folder listed, with its modification time (ns): adding, removing or renaming a file
    changes its folder's, so :func:`unchanged` tells whether listing again could differ."""
    repeated_dirs: list[Path] = field(default_factory=list)
    """With ``follow_links``: links to a folder already listed (a loop back to a parent, or a second
    way into the same folder), not followed again, so no file is counted twice."""
    stats: dict[str, os.stat_result] = field(default_factory=dict, repr=False, compare=False)
    """Each image file's ``stat`` (by its path as a string), taken while listing: the fingerprints of
    the file check and of the pipeline read these instead of asking the file system again."""

    def unchanged(self) -> bool:
        """True when no listed folder has changed since this listing was made."""
        if not self.dirs:
            return False
        try:
            return all(os.stat(d).st_mtime_ns == m for d, m in self.dirs)
        except OSError:
            return False

    @property
    def counts(self) -> dict[str, int]:
        return {c: len(self.files[c]) for c in self.class_names}

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.files.values())

    def items(self) -> list[tuple[Path, int]]:
        """(file, label) pairs in class order, then file order."""
        return [(p, i) for i, c in enumerate(self.class_names) for p in self.files[c]]


def _exts(formats: Iterable[str]) -> set[str]:
    exts = {"." + f.lower().lstrip(".") for f in formats}
    if ".jpg" in exts or ".jpeg" in exts:
        exts |= {".jpg", ".jpeg"}
    return exts


def list_tree(root: Path, formats: Sequence[str], follow_links: bool = False,
              classes: Sequence[str] | None = None) -> FolderListing:
    """List ``root``'s class subfolders and their image files (recursively, as Keras does).

    ``classes`` (``data.class_names``) picks the class folders and their label order, like
    ``flow_from_directory(classes=...)``; by default every subfolder is a class, sorted by name.
    """
    root = Path(root)
    if not root.exists():
        raise KspecError(f"image folder {root} does not exist",
                         hint="point `directory` at a folder with one subfolder per class (relative to the spec)")
    if not root.is_dir():
        raise KspecError(f"image folder {root} is not a directory")
    exts = _exts(formats)
    found_dirs = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if classes:
        missing = [c for c in classes if c not in found_dirs]
        if missing:
            raise KspecError(f"image folder {root} has no class folder {missing[0]!r} (data.class_names names it)",
                             hint=f"its subfolders are {found_dirs}; class_names picks class folders in label order")
        class_names = list(classes)
    else:
        class_names = found_dirs
    if not class_names:
        raise KspecError(f"image folder {root} has no class subfolders",
                         hint="put images in one subfolder per class, e.g. train/cats/1.png, train/dogs/2.png")
    files: dict[str, list[Path]] = {}
    other: list[Path] = []
    root_stat = os.stat(root)
    dirs = [(str(root), root_stat.st_mtime_ns)]
    walk = _Walk(exts, follow_links, dirs, {(root_stat.st_dev, root_stat.st_ino)})
    for c in class_names:  # a link into another class folder is not a second copy of its files
        with contextlib.suppress(OSError):
            st = os.stat(os.path.join(str(root), c))
            walk.seen.add((st.st_dev, st.st_ino))
    for c in class_names:
        found: list[tuple[tuple[str, ...], str]] = []
        others: list[tuple[tuple[str, ...], str]] = []
        walk.walk(os.path.join(str(root), c), (), found, others)
        # sorted as Path objects sort (by path components), without building a Path per comparison
        files[c] = [Path(full) for _, full in sorted(found)]
        other.extend(Path(full) for _, full in others)
    stray = sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith("."))
    return FolderListing(root, class_names, files, sorted(other), stray, tuple(dirs),
                         [Path(d) for d in walk.repeated], walk.stats)


_FILE_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def file_kind(mode: int) -> str:
    """What a ``st_mode`` that is not a regular file is, in words."""
    return next((words for test, words in _FILE_KINDS if test(mode)), "not a regular file")


@dataclass
class _Walk:
    """One listing's walk: every folder is entered once (by device and inode), so a link loop or two
    links to one folder cannot list a file twice; anything that is not a regular file or a folder
    (a FIFO would block the first read forever) stops the listing with its name."""

    exts: set[str]
    follow_links: bool
    dirs: list
    seen: set[tuple[int, int]]
    repeated: list[str] = field(default_factory=list)
    stats: dict[str, os.stat_result] = field(default_factory=dict)

    def walk(self, folder: str, parts: tuple[str, ...], found: list, others: list) -> None:
        """Files under ``folder`` as (path components below the class folder, full path), recursively,
        as ``os.walk`` lists them (hidden names skipped; symbolic links only with ``follow_links``).
        ``os.scandir`` tells links and folders apart from the directory entry, mostly without a ``stat``."""
        try:
            st = os.stat(folder)
            self.dirs.append((folder, st.st_mtime_ns))
            key = (st.st_dev, st.st_ino)
            if parts and key in self.seen:  # () is a class folder, entered once by list_tree
                self.repeated.append(folder)
                return
            self.seen.add(key)
            entries = list(os.scandir(folder))
        except OSError:
            return
        sub = []
        for e in entries:
            name = e.name
            if name.startswith("."):
                continue
            try:
                if e.is_dir(follow_symlinks=self.follow_links):  # a link to a folder counts only when followed
                    sub.append(name)
                    continue
            except OSError:
                continue
            if not self.follow_links and e.is_symlink():
                continue
            try:
                st = e.stat(follow_symlinks=self.follow_links)
                regular = stat.S_ISREG(st.st_mode)
                mode = st.st_mode
            except OSError:  # a dangling link: listed, and checking the file says it cannot be read
                st, regular, mode = None, True, None
            if not regular:
                raise KspecError(f"{e.path} is {file_kind(mode)}, not an image file",
                                 hint="image folders hold regular files only: move it out of the class folder")
            ext = os.path.splitext(name)[1].lower()
            if ext in self.exts:
                found.append((parts + (name,), e.path))
                if st is not None:
                    self.stats[e.path] = st
            else:
                others.append((parts + (name,), e.path))
        for name in sorted(sub):
            self.walk(os.path.join(folder, name), parts + (name,), found, others)


# ------------------------------------------------------------------------------------ splits


def split_items(listing: FolderListing, fraction: float, seed: int) -> tuple[list[tuple[Path, int]], list[tuple[Path, int]]]:
    """Hold out ``fraction`` of every class (stratified, seeded): (train, validation) pairs.

    Each class gives ``round(fraction * n)`` files to validation, so the counts do not depend on
    the seed; which files go depends only on the seed and the file names.
    """
    train: list[tuple[Path, int]] = []
    val: list[tuple[Path, int]] = []
    for label, c in enumerate(listing.class_names):
        files = list(listing.files[c])
        random.Random(f"{seed}:{c}").shuffle(files)
        k = int(round(fraction * len(files)))
        chosen = set(files[:k])
        val.extend((p, label) for p in listing.files[c] if p in chosen)
        train.extend((p, label) for p in listing.files[c] if p not in chosen)
    return train, val


def split_counts(counts: dict[str, int], fraction: float) -> tuple[dict[str, int], dict[str, int]]:
    val = {c: int(round(fraction * n)) for c, n in counts.items()}
    return {c: n - val[c] for c, n in counts.items()}, val


def limit_items(items: list[tuple[Path, int]], limit: int | None, seed: int) -> list[tuple[Path, int]]:
    """A seeded random subset of ``limit`` items, kept in listing order (all classes stay represented)."""
    if not limit or limit >= len(items):
        return items
    keep = set(random.Random(f"{seed}:limit").sample(range(len(items)), limit))
    return [it for i, it in enumerate(items) if i in keep]


def steps(n: int, batch_size: int) -> int:
    """Batches in one pass over ``n`` samples (the last may be partial)."""
    return max(1, math.ceil(n / batch_size)) if n else 0


# ------------------------------------------------------------------------------------ checking files


@dataclass(frozen=True)
class ImageInfo:
    path: Path
    format: str | None = None
    size: tuple[int, int] | None = None
    """(width, height) as stored."""
    mode: str | None = None
    """Pillow mode: L, LA, RGB, RGBA, P, I;16, ..."""
    problem: str | None = None
    """Why a decoder would fail on this file; None when it looks sound."""


_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def check_image(path: Path) -> ImageInfo:
    """Read ``path``'s header and check the structure TensorFlow's decoders need, without decoding
    pixels (GIF is decoded by Pillow). Never raises for a bad file: the problem is in the result."""
    path = path if isinstance(path, Path) else Path(path)
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):  # opening a FIFO blocks until a writer comes
            return ImageInfo(path, problem=f"it is {file_kind(mode)}, not a regular file")
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return ImageInfo(path, problem=f"cannot read the file ({e.strerror or e})")
    if not data:
        return ImageInfo(path, problem="the file is empty")
    sound = _sound_png(data)
    if sound is not None:
        return ImageInfo(path, "PNG", sound[0], sound[1])
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            fmt, size, mode = im.format, im.size, im.mode
            if fmt not in DECODABLE:
                return ImageInfo(path, fmt, size, mode,
                                 problem=f"it is a {fmt} image; TensorFlow decodes PNG, JPEG, GIF and BMP only")
            if fmt == "GIF":
                im.load()
            else:
                im.verify()
    except UnidentifiedImageError:
        head = data[:16]
        sniffed = _magic(head)
        if sniffed:
            return ImageInfo(path, sniffed, problem=f"damaged or truncated (a {sniffed} file whose header cannot be read)")
        kind = "text" if all(32 <= b < 127 or b in (9, 10, 13) for b in head) else "data"
        return ImageInfo(path, problem=f"not an image (its content is {kind}, not PNG, JPEG, GIF or BMP)")
    except Exception as e:  # Pillow raises many types for damaged files
        return ImageInfo(path, problem=f"damaged or truncated ({_pil_reason(e)})")
    problem = _structure_problem(fmt, data)
    return ImageInfo(path, fmt, size, mode, problem)


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_MODES = {(1, 0): "1", (2, 0): "L", (4, 0): "L", (8, 0): "L", (16, 0): "I;16", (8, 2): "RGB", (16, 2): "RGB",
              (1, 3): "P", (2, 3): "P", (4, 3): "P", (8, 3): "P", (8, 4): "LA", (16, 4): "RGBA", (8, 6): "RGBA",
              (16, 6): "RGBA"}
"""(bit depth, colour type) -> the mode Pillow gives a PNG."""
_PNG_PLAIN_CHUNKS = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"pHYs", b"tIME",
                     b"bKGD", b"sBIT"}
"""Chunks whose content no check reads: a file with any other chunk (text, ICC profile, animation)
is checked by Pillow."""
_PNG_MAX_PIXELS = 89_478_485
"""Pillow's MAX_IMAGE_PIXELS: above it Pillow warns or refuses; such files take Pillow's path."""


def _sound_png(data: bytes) -> tuple[tuple[int, int], str] | None:
    """((width, height), mode) of a PNG that every check would pass: signature, a valid IHDR, every
    chunk's CRC, an IDAT, an intact IEND. None for anything else (another format, damage, an
    unusual chunk), which then takes Pillow's path so that the problem is named as before.

    Pillow's ``open`` + ``verify`` does the same walk in Python objects; this is about 20x faster,
    which matters when a tree is checked for the first time."""
    import zlib

    if not data.startswith(_PNG_SIGNATURE):
        return None
    pos, n = 8, len(data)
    size = mode = None
    seen_idat = False
    while True:
        if pos + 12 > n:
            return None
        length = int.from_bytes(data[pos:pos + 4], "big")
        cid = data[pos + 4:pos + 8]
        end = pos + 8 + length
        if length > 0x7FFFFFFF or end + 4 > n or cid not in _PNG_PLAIN_CHUNKS:
            return None
        if zlib.crc32(data[pos + 4:end]) != int.from_bytes(data[end:end + 4], "big"):
            return None
        if pos == 8:
            if cid != b"IHDR" or length != 13:
                return None
            w, h = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
            mode = _PNG_MODES.get((data[24], data[25]))
            compression, filtering, interlace = data[26], data[27], data[28]
            if mode is None or w <= 0 or h <= 0 or w * h > _PNG_MAX_PIXELS or compression or filtering or interlace > 1:
                return None
            size = (w, h)
        elif cid == b"IHDR":
            return None
        elif cid == b"IDAT":
            seen_idat = True
        elif cid == b"IEND":
            return (size, mode) if seen_idat and length == 0 else None
        pos = end + 4


def _magic(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head.startswith(b"BM"):
        return "BMP"
    return None


def _pil_reason(e: Exception) -> str:
    text = str(e).split("\n")[0][:120]
    return text or type(e).__name__


def _structure_problem(fmt: str, data: bytes) -> str | None:
    """What TensorFlow's decoder rejects and Pillow's header check lets through."""
    if fmt == "PNG":
        if data.find(_PNG_IEND, max(0, len(data) - (1 << 16))) < 0:
            return "truncated (the PNG has no intact IEND end chunk)"
    elif fmt == "JPEG":
        sos = data.rfind(b"\xff\xda")
        if sos < 0 or data.rfind(b"\xff\xd9") < sos:
            return "truncated (the JPEG ends before its end-of-image marker)"
    elif fmt == "BMP":
        if len(data) >= 30:
            offset = int.from_bytes(data[10:14], "little")
            width = abs(int.from_bytes(data[18:22], "little", signed=True))
            height = abs(int.from_bytes(data[22:26], "little", signed=True))
            bpp = int.from_bytes(data[28:30], "little")
            want = offset + ((bpp * width + 31) // 32) * 4 * height
            if want != len(data):
                how = "truncated" if len(data) < want else "has extra bytes after the pixels"
                return f"{how}: the BMP header says {want} bytes, the file has {len(data)}"
    return None


@dataclass
class ImageScan:
    """What checking (some of) a tree's files found."""

    checked: int = 0
    total: int = 0
    sizes: Counter = field(default_factory=Counter)
    """(width, height) -> files."""
    modes: Counter = field(default_factory=Counter)
    formats: Counter = field(default_factory=Counter)
    bad: list[ImageInfo] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.checked >= self.total

    @property
    def bad_paths(self) -> set[Path]:
        return {b.path for b in self.bad}

    def merge(self, other: "ImageScan") -> "ImageScan":
        return ImageScan(self.checked + other.checked, self.total + other.total, self.sizes + other.sizes,
                         self.modes + other.modes, self.formats + other.formats, self.bad + other.bad)


CHECK_VERSION = 1
"""Version of what :func:`check_image` finds: bump it when the checks change, so that cached scans
made by an older kspec are not read."""

_SCANS: dict[str, "ImageScan"] = {}
"""Scans made in this process, by the fingerprint of the files checked."""


def _scan_key(paths: Sequence[Path], stats: dict | None = None) -> str | None:
    """A fingerprint of ``paths`` (:func:`kspec.cache.fingerprint`), or None when a file is missing
    or was modified too recently to trust its timestamp."""
    from . import cache

    return cache.fingerprint(paths, salt=f"kspec-scan {CHECK_VERSION}", ctime=True, stats=stats)


def _scan_to_json(scan: "ImageScan", index: dict[Path, int]) -> dict:
    return {"checked": scan.checked, "total": scan.total,
            "sizes": [[w, h, n] for (w, h), n in scan.sizes.items()],
            "modes": dict(scan.modes), "formats": dict(scan.formats),
            "bad": [{"i": index[b.path], "format": b.format, "size": list(b.size) if b.size else None,
                     "mode": b.mode, "problem": b.problem} for b in scan.bad]}


def _scan_from_json(d: dict, chosen: Sequence[Path]) -> "ImageScan":
    bad = [ImageInfo(chosen[b["i"]], b["format"], tuple(b["size"]) if b["size"] else None, b["mode"], b["problem"])
           for b in d["bad"]]
    return ImageScan(d["checked"], d["total"], Counter({(w, h): n for w, h, n in d["sizes"]}),
                     Counter(d["modes"]), Counter(d["formats"]), bad)


def scan_files(paths: Sequence[Path], *, limit: int | None = None, stats: dict | None = None) -> ImageScan:
    """Check ``paths`` with :func:`check_image`; with ``limit``, an even sample of them.

    The files are checked one after another: the check is Python code holding the GIL, so threads
    only add overhead. A scan is remembered by the fingerprint of the files it checked, in this
    process and in the on-disk cache (:mod:`kspec.cache`), so the same unchanged files are read
    once, whichever spec or command asks. ``stats`` (:attr:`FolderListing.stats`) spares a ``stat``
    per file for the fingerprint."""
    from . import cache

    paths = list(paths)
    chosen = paths
    if limit is not None and len(paths) > limit:
        stride = len(paths) / limit
        chosen = [paths[int(i * stride)] for i in range(limit)]
    if not chosen:
        return ImageScan(checked=0, total=len(paths))
    key = _scan_key(chosen, stats)
    if key is not None:
        key = hashlib.sha256(f"{key}|{len(paths)}".encode()).hexdigest()
        hit = _SCANS.get(key)
        if hit is not None:
            return _copy_scan(hit, chosen)
        stored = cache.load("image-scans", key)
        if stored is not None:
            try:
                scan = _scan_from_json(stored, chosen)
            except (KeyError, IndexError, TypeError, ValueError):
                scan = None
            if scan is not None:
                _SCANS[key] = scan
                return _copy_scan(scan, chosen)
    scan = ImageScan(checked=len(chosen), total=len(paths))
    for info in map(check_image, chosen):
        if info.problem:
            scan.bad.append(info)
        if info.format:
            scan.formats[info.format] += 1
        if info.size:
            scan.sizes[info.size] += 1
        if info.mode:
            scan.modes[info.mode] += 1
    if key is not None:
        _SCANS[key] = scan
        index = {p: i for i, p in enumerate(chosen)}
        cache.store("image-scans", key, _scan_to_json(scan, index))
    return _copy_scan(scan, chosen)


def _copy_scan(scan: "ImageScan", chosen: Sequence[Path]) -> "ImageScan":
    """A copy the caller may change, its bad files named by the caller's own paths."""
    by_name = {os.path.abspath(p): p for p in chosen} if scan.bad else {}
    bad = [ImageInfo(by_name.get(os.path.abspath(b.path), b.path), b.format, b.size, b.mode, b.problem) for b in scan.bad]
    return ImageScan(scan.checked, scan.total, Counter(scan.sizes), Counter(scan.modes), Counter(scan.formats), bad)


def scan_listing(listing: FolderListing, limit: int | None = None) -> ImageScan:
    """Check a listing's files; with ``limit``, sample each class in proportion."""
    total = listing.total
    scan = ImageScan()
    for c in listing.class_names:
        files = listing.files[c]
        per = None if limit is None or total <= limit else max(1, round(limit * len(files) / total))
        scan = scan.merge(scan_files(files, limit=per, stats=listing.stats))
    return scan


# ------------------------------------------------------------------------------------ fingerprints


def tree_fingerprint(paths: Iterable[Path], root: Path, stats: dict | None = None) -> str:
    """sha256 over sorted relative paths, sizes and modification times: cheap, no file is read.
    ``stats`` (:attr:`FolderListing.stats`): the files' ``stat`` taken while listing."""
    h = hashlib.sha256()
    rows = []
    prefix = str(root) + os.sep
    stats = stats or {}
    for p in paths:
        name = str(p)
        st = stats.get(name) or os.stat(p)
        if name.startswith(prefix):
            rel = name[len(prefix):].replace(os.sep, "/")
        else:
            try:
                rel = p.relative_to(root).as_posix()
            except ValueError:
                rel = p.as_posix()
        rows.append(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}")
    for row in sorted(rows):
        h.update(row.encode("utf-8", "surrogateescape") + b"\n")
    return h.hexdigest()


# ------------------------------------------------------------------------------------ facts


def resolve_dir(path: str, base_dir: Path) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else Path(base_dir) / p


_TREES: dict[tuple, tuple[FolderListing, dict]] = {}
"""Listings made in this process (with their scans, by sample limit), by folder and options."""


def cached_listing(root: Path, formats: Sequence[str], follow_links: bool = False,
                   classes: Sequence[str] | None = None) -> tuple[FolderListing, dict]:
    """:func:`list_tree`, remembered in this process while no listed folder changes, and a dict
    where scans of that listing are remembered.

    A folder's modification time moves when a file is added, removed or renamed in it, so a
    remembered listing is checked with one ``stat`` per folder instead of one per file. A file
    rewritten in place under the same name is seen by the next process (whose scan is keyed by
    every file's size and modification time), not by this one."""
    from . import cache

    key = (os.getcwd(), str(root), tuple(formats), bool(follow_links), tuple(classes) if classes else None)
    hit = _TREES.get(key)
    if hit is not None and hit[0].unchanged():
        return hit
    entry = (list_tree(root, formats, follow_links, classes), {})
    now = time.time()
    if not any(cache.is_racy(m, now) for _, m in entry[0].dirs):
        _TREES[key] = entry
    else:
        _TREES.pop(key, None)
    return entry


def _remembered_scan(memo: dict, listing: FolderListing, limit: int | None) -> ImageScan:
    key = (limit, tuple(listing.class_names))
    if key not in memo:
        memo[key] = scan_listing(listing, limit)
    s = memo[key]
    return ImageScan(s.checked, s.total, Counter(s.sizes), Counter(s.modes), Counter(s.formats), list(s.bad))


def folder_facts(data: Any, base_dir: Path, facts: Any) -> None:
    """Fill ``facts`` (a :class:`kspec.resolve.DataFacts`) for an ``image_folder`` data section.

    The listing and the file check are made once per tree and reused by every spec that reads it
    (:func:`cached_listing`, :func:`scan_files`)."""
    h, w = data.target_size
    channels = CHANNELS[data.color_mode]
    facts.sample_shape = (h, w, channels)
    facts.origin["sample_shape"] = ("data", "target_size")
    facts.dtype = "uint8"
    facts.raw_range = (0.0, 255.0)
    facts.classification = data.class_mode != "none"
    facts.label_kind = {"binary": "binary", "categorical": "one_hot", "sparse": "integer"}.get(data.class_mode)
    facts.extra["split_applied"] = True
    listing, memo = cached_listing(resolve_dir(data.directory, base_dir), data.formats, data.follow_links,
                                   data.class_names)
    facts.class_names = list(listing.class_names)
    facts.num_classes = len(listing.class_names)
    facts.origin["num_classes"] = ("data", "class_names" if data.class_names else "directory")
    facts.label_shape = {"binary": (), "categorical": (facts.num_classes,), "sparse": ()}.get(data.class_mode)
    facts.extra["listing"] = listing
    counts = listing.counts
    if isinstance(data.validation, float) and not data.validation_directory:
        counts, val_counts = split_counts(counts, data.validation)
        facts.validation_class_counts = val_counts
        facts.n_validation = sum(val_counts.values())
        facts.extra["validation_class_names"] = list(listing.class_names)
    facts.class_counts = counts
    facts.n_train = min(sum(counts.values()), data.limit) if data.limit else sum(counts.values())
    facts.extra["image_scan"] = _remembered_scan(memo, listing, SCAN_LIMIT)
    _pixel_facts(facts, listing, data, memo)
    if data.validation_directory:
        vroot = resolve_dir(data.validation_directory, base_dir)
        vfound, vmemo = cached_listing(vroot, data.formats, data.follow_links)
        facts.extra["validation_class_names"] = list(vfound.class_names)
        vlist = validation_listing(vfound, listing.class_names)
        facts.validation_class_counts = vlist.counts
        facts.n_validation = vlist.total
        facts.extra["validation_listing"] = vlist
        facts.extra["validation_image_scan"] = _remembered_scan(vmemo, vlist, SCAN_LIMIT // 4)


def _pixel_facts(facts: Any, listing: FolderListing, data: Any, memo: dict) -> None:
    """The pixel statistics of (a sample of) the training images (:func:`kspec.datastats.image_stats`)
    as ``facts.stats["x"]`` and ``facts.raw_range``; the range stays 0..255 when no image decodes.
    Remembered with the tree's listing (``memo``): the next spec that reads the tree in this
    process looks at none of its files again (not even their sizes and times, for the cache key)."""
    from .datastats import image_stats

    key = ("image-stats", data.color_mode, tuple(listing.class_names))
    if key not in memo:
        memo[key] = image_stats(listing.files, data.color_mode, listing.root)
    st = dict(memo[key])
    if not st.get("sampled"):
        return
    facts.raw_range = (float(st["min"]), float(st["max"]))
    facts.stats["x"] = {"shape": [facts.n_train, *facts.sample_shape], "dtype": "uint8", "numeric": True,
                        "min": st["min"], "max": st["max"], "mean": st["mean"], "std": st["std"], "integral": True,
                        "images": st}


def validation_listing(found: FolderListing, class_names: Sequence[str]) -> FolderListing:
    """The validation tree labelled by the *training* classes: a class missing from it has no files
    (lint warns); a validation folder that is not a training class is an error when loading."""
    files = {c: found.files.get(c, []) for c in class_names}
    return FolderListing(found.root, list(class_names), files, found.other_files, found.stray_files)


def derived_steps(data: Any, train: Any, n_train: int | None, n_validation: int | None) -> dict[str, int | None]:
    """``steps_per_epoch`` and ``validation_steps`` as kspec will run them."""
    batch = data.batch_size or train.batch_size
    vbatch = data.validation_batch_size or batch
    spe = train.steps_per_epoch or (steps(n_train, batch) if n_train is not None else None)
    vs = train.validation_steps or (steps(n_validation, vbatch) if n_validation else None)
    return {"batch_size": batch, "validation_batch_size": vbatch, "steps_per_epoch": spe, "validation_steps": vs}
