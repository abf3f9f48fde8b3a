"""One-time preprocessing cache: every image decoded and resized once, then memory-mapped.

Decoding a full-size radiograph costs far more than reading a memmap row of the resized one, so after
the first pass no epoch decodes again. A pack is keyed by each file's path, size and mtime plus the
image size, so an edited or replaced image is decoded afresh and a stale pack is never reused.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from cxrlabel.output_guard import make_folder, replacing, write_atomically

from .images import ImageDecodeError, load_resized

CACHE_VERSION = 1


def default_cache_dir() -> Path:
    """$CXRTRAIN_CACHE, else $XDG_CACHE_HOME/cxrtrain, else ~/.cache/cxrtrain."""
    if os.environ.get("CXRTRAIN_CACHE"):
        return Path(os.environ["CXRTRAIN_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cxrtrain"


@dataclass
class ImagePack:
    """Resized images of a list of files: array[i] is file i; ok[i] False means it was skipped."""

    array_path: Path
    size: int
    ok: np.ndarray
    errors: list[str]

    def open(self) -> np.memmap:
        return np.memmap(self.array_path, dtype=np.uint8, mode="r", shape=(len(self.ok), self.size, self.size))


@dataclass
class MemoryPack:
    """Images already decoded and resized, held in memory and read like a pack (the Python API's images,
    which need no cache): array[i] is image i; ok[i] False means it could not be read."""

    array: np.ndarray
    size: int
    ok: np.ndarray
    errors: list[str]

    def open(self) -> np.ndarray:
        return self.array


def _file_key(path: Path) -> list:
    try:
        stat = path.stat()
        return [str(path.resolve()), stat.st_size, stat.st_mtime_ns]
    except OSError:
        return [str(path.absolute()), None, None]


def pack_key(paths: list[Path], size: int) -> str:
    """Digest of (version, image size, every file's path + size + mtime)."""
    payload = json.dumps([CACHE_VERSION, size, [_file_key(p) for p in paths]])
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def build_pack(paths: list[Path], size: int, cache_dir: Path, workers: int = 0,
               progress: bool = True) -> ImagePack:
    """Return the pack for these files, decoding them (in threads) only if no valid pack exists."""
    cache_dir = Path(cache_dir)
    make_folder(cache_dir, "cache_dir")
    stem = cache_dir / f"{size}px-{pack_key(paths, size)}"
    array_path, index_path = stem.with_suffix(".u8"), stem.with_suffix(".json")
    expected_bytes = len(paths) * size * size
    if index_path.exists() and array_path.exists() and array_path.stat().st_size == expected_bytes:
        pack = _cached(array_path, index_path, size, len(paths))
        if pack is not None:
            return pack

    ok = np.zeros(len(paths), dtype=bool)
    errors = [""] * len(paths)
    # Both files go through a temporary name beside them, so a killed run leaves no half-written pack.
    with replacing(array_path, "cache_dir") as tmp_array:
        _decode_into(tmp_array, paths, size, workers, progress, ok, errors)
        if not paths:
            tmp_array.write_bytes(b"")  # the memmap needed one row; an empty pack is an empty file
    # The index is written last: its presence means the pack is complete.
    write_atomically(index_path, json.dumps({"size": size, "paths": [str(p) for p in paths],
                                             "ok": ok.tolist(), "errors": errors}).encode("utf-8"), "cache_dir")
    return ImagePack(array_path, size, ok, errors)


def cached_pack(paths: list[Path], size: int, cache_dir: str | None, workers: int) -> ImagePack:
    """`build_pack` as evaluate and predict use it: the cache of $cache_dir (default: `default_cache_dir`), a
    progress bar only on a terminal."""
    return build_pack(paths, size, Path(cache_dir) if cache_dir else default_cache_dir(), workers,
                      progress=sys.stderr.isatty())


def _cached(array_path: Path, index_path: Path, size: int, n: int) -> ImagePack | None:
    """The pack as its index describes it; None when the index is damaged (edited, or cut short by a full
    disk), and then the cache, which is ours and can be made again, is decoded again."""
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
        ok, errors = np.array(index["ok"], dtype=bool), [str(e) for e in index["errors"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return ImagePack(array_path, size, ok, errors) if len(ok) == len(errors) == n else None


def _decode_into(array_path: Path, paths: list[Path], size: int, workers: int, progress: bool,
                 ok: np.ndarray, errors: list[str]) -> None:
    """Decode every file into a new uint8 memmap at `array_path`, marking `ok` and `errors` per file."""
    shape = (max(len(paths), 1), size, size)
    # The disk space is taken first: a memmap written on a full disk kills the process (SIGBUS) instead of
    # raising an error that can be reported.
    with open(array_path, "r+b") as handle:
        os.posix_fallocate(handle.fileno(), 0, int(np.prod(shape)))
    array = np.memmap(array_path, dtype=np.uint8, mode="r+", shape=shape)

    def work(i: int) -> None:
        try:
            array[i] = load_resized(paths[i], size)
            ok[i] = True
        except ImageDecodeError as exc:
            errors[i] = str(exc)
        except MemoryError:
            errors[i] = "image too large to decode in memory"

    threads = workers if workers > 0 else min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=threads) as pool:  # PIL and zlib release the GIL while decoding
        list(tqdm(pool.map(work, range(len(paths))), total=len(paths), disable=not progress,
                  desc=f"caching images at {size} px", unit="img", leave=False))
    array.flush()  # the memmap itself is closed when this function returns, before the file is renamed
