"""One guard for every command that writes: an output never replaces an input, a folder is only
written into, replaced or removed when this toolkit made it, and a file is replaced whole or not at all.

A folder we make carries a marker file, so our own leftovers are recognised by what we wrote into them,
never by their names: a user's `results/` or `results.old/` is theirs whatever it is called.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from .errors import UserError

MARKER = ".cxrlabel-output"


def _same(a: Path, b: Path) -> bool:
    """The same file or folder: equal once symlinks are resolved, or one inode under two names (a hard link)."""
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return False


def _inside(inner: Path, outer: Path) -> bool:
    return outer.resolve() in inner.resolve().parents


def check_output(output: str | Path, inputs: Iterable[str | Path | None], setting: str = "output",
                 what: str = "the input") -> None:
    """Refuse an output that is an input, lies inside an input folder (or one still to be made), or is a folder
    holding an input. `what` names the inputs in the message, e.g. another output that must not be replaced."""
    output = Path(output)
    for given in inputs:
        if given is None:
            continue
        source = Path(given)
        if _same(output, source) or ((source.is_dir() or not source.exists()) and _inside(output, source)):
            raise UserError(f"{output}: ${setting} would overwrite {what} {source}; choose another ${setting}")
        if output.is_dir() and source.exists() and _inside(source, output):
            raise UserError(f"{output}: ${setting} is a folder that holds {what} {source}; choose another ${setting}")


def is_ours(folder: str | Path) -> bool:
    """Whether `folder` is one this toolkit made (it holds our marker file)."""
    return (Path(folder) / MARKER).is_file()


def refuse_foreign(folder: str | Path, setting: str = "output") -> None:
    """Refuse a folder that holds files without our marker: they are the user's, and writing the folder would
    replace or delete them. Checked before any work, so nothing is done for an output that cannot be written."""
    folder = Path(folder)
    if folder.is_dir() and not is_ours(folder) and any(folder.iterdir()):
        raise UserError(f"{folder}: this folder holds files that cxrlabel did not write, and they are never replaced "
                        f"or deleted; give ${setting} a new or empty folder")


def mark_folder(folder: str | Path, kind: str) -> None:
    """Write our marker into `folder`, which this toolkit made or emptied itself."""
    (Path(folder) / MARKER).write_text(json.dumps({"written_by": "cxrlabel", "kind": kind}) + "\n", encoding="utf-8")


def claim_folder(folder: str | Path, kind: str, setting: str = "output") -> bool:
    """Make `folder` ours to write in: create it with a marker, or mark an empty one. A folder of ours is
    taken as it is; a non-empty folder without the marker is the user's and is refused. Returns whether
    this call created the folder."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder}: is a file, not a folder; choose another ${setting}")
    if is_ours(folder):
        return False
    refuse_foreign(folder, setting)
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        mark_folder(folder, kind)
    except OSError as exc:
        raise UserError(f"{folder}: cannot create the output folder ({exc.strerror or exc}); choose another ${setting}") from None
    return created


def temporary(beside: Path, folder: bool = False) -> Path:
    """A new hidden file (or folder) beside `beside`, created by this call, so removing it removes nothing
    else. Not `tempfile`: its 0600/0700 modes would carry over to the output; this gets what open and mkdir give."""
    while True:
        path = beside.with_name(f".{beside.name}.{secrets.token_hex(4)}.tmp")
        try:
            if folder:
                path.mkdir()
            else:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return path
        except FileExistsError:
            continue


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary name beside `path` for the block to write (with any library's own save function), renamed
    onto `path` when the block ends, and removed when it fails: a reader sees the old file or the whole new one,
    and a kill leaves no half-written one."""
    tmp = temporary(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def write_atomically(path: Path, data: bytes) -> None:
    with replacing(path) as tmp:
        tmp.write_bytes(data)
