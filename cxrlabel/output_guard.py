"""One guard for every command that writes: an output never replaces an input, a folder is only
written into, replaced or removed when this toolkit made it, and a file is replaced whole or not at all.

A folder we make carries a marker file, so our own leftovers are recognised by what we wrote into them,
never by their names: a user's `results/` or `results.old/` is theirs whatever it is called. The files in
such a folder are the outputs of the command that made it, so no other command replaces them.

Every output file goes through `replacing` (or `write_atomically`): a temporary name beside it, renamed
into place when whole. An output that is not a regular file (`-` for standard output, a device such as
/dev/null, a FIFO or a shell's `>(cmd)` pipe) is never renamed over: the whole output is written into it,
as any Unix tool would. A full, read-only or unwritable disk stops the command with one line naming the
file (`UserError`), and the temporary file is removed: no partial output is left behind.
"""
from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import stat
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from .errors import UserError

MARKER = ".cxrlabel-output"
STDOUT = "-"  # an output named so is written to standard output
# What a failed write means to the user, by errno; any other OSError is not a problem of the disk.
_WRITE_FIXES = {errno.ENOSPC: "free some disk space", errno.EDQUOT: "free some disk space (or raise the quota)",
                errno.EFBIG: "choose a file system that takes larger files", errno.EROFS: "make it writable",
                errno.EACCES: "make it writable", errno.EPERM: "make it writable",
                errno.EPIPE: "the program reading it stopped early"}


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
                 what: str = "the input", owner: str | None = None) -> None:
    """Refuse an output that is an input, lies inside an input folder (or one still to be made), is a folder
    holding an input, or is a file another command of this toolkit wrote into a folder it made (`owner`: the
    kind of folder this command may replace files in, e.g. "cxrtrain run" for evaluate). `what` names the
    inputs in the message, e.g. another output that must not be replaced."""
    if is_stream(output):  # written into, never replaced
        return
    output = Path(output)
    for given in inputs:
        if given is None:
            continue
        source = Path(given)
        if _same(output, source) or ((source.is_dir() or not source.exists()) and _inside(output, source)):
            raise UserError(f"{output}: ${setting} would overwrite {what} {source}; choose another ${setting}")
        if output.is_dir() and source.exists() and _inside(source, output):
            raise UserError(f"{output}: ${setting} is a folder that holds {what} {source}; choose another ${setting}")
    refuse_tool_file(output, setting, owner)


def is_ours(folder: str | Path) -> bool:
    """Whether `folder` is one this toolkit made (it holds our marker file)."""
    return (Path(folder) / MARKER).is_file()


def kind_of(folder: str | Path) -> str:
    """Which command made a folder of ours, as its marker says ("" when the marker does not say)."""
    try:
        kind = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        return ""
    return kind if isinstance(kind, str) else ""


def refuse_tool_file(output: Path, setting: str = "output", owner: str | None = None) -> None:
    """Refuse to replace a file that lies in a folder this toolkit made, unless this command is of the kind
    that made it (`owner`): `zh label -o mined/clusters.csv` would destroy the mine's review table."""
    if not output.exists() or output.is_dir():
        return  # a new file beside the tool's outputs replaces nothing
    for folder in output.absolute().parents:
        if is_ours(folder):
            kind = kind_of(folder)
            if owner is None or kind != owner:
                made_by = f"`{kind}`" if kind else "cxrlabel"
                raise UserError(f"{output}: is an output of {made_by} in {folder}, which another command never "
                                f"replaces; choose another ${setting}")
            return


def refuse_foreign(folder: str | Path, setting: str = "output") -> None:
    """Refuse a folder that holds files without our marker: they are the user's, and writing the folder would
    replace or delete them. Checked before any work, so nothing is done for an output that cannot be written."""
    folder = Path(folder)
    if folder.is_dir() and not is_ours(folder) and any(folder.iterdir()):
        raise UserError(f"{folder}: this folder holds files that cxrlabel did not write, and they are never replaced "
                        f"or deleted; give ${setting} a new or empty folder")


def mark_folder(folder: str | Path, kind: str, setting: str = "output") -> None:
    """Write our marker into `folder`, which this toolkit made or emptied itself."""
    write_atomically(Path(folder) / MARKER, (json.dumps({"written_by": "cxrlabel", "kind": kind}) + "\n").encode("utf-8"),
                     setting)


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
    make_folder(folder, setting)
    try:
        mark_folder(folder, kind, setting)
    except BaseException:
        if created:
            folder.rmdir()  # made empty by this call a moment ago
        raise
    return created


def make_folder(folder: str | Path, setting: str = "output") -> None:
    """Create `folder` (and the folders above it) for an output; a disk that refuses gives one line."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(Path(folder), exc, setting) from None


def probe_writable(path: str | Path, setting: str = "output") -> None:
    """Refuse, before any long work, an output whose folder (or the nearest one that exists) takes no new file:
    one is created there and removed at once, so the answer is the disk's own (read-only, no permission)."""
    if is_stream(path):
        return
    folder = Path(os.path.abspath(path)).parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        if not is_write_error(exc):
            raise
        raise write_error(Path(path), exc, setting) from None


def is_stream(path: str | Path) -> bool:
    """Whether an output is written into rather than replaced: `-` (standard output), anything that is not a
    regular file or folder (a device, a FIFO, a socket, a `>(cmd)` pipe), or a name in /dev or /proc
    (/dev/stdout names the shell's redirection, whatever that is; /dev/shm holds ordinary files)."""
    if str(path) == STDOUT:
        return True
    try:
        mode = os.stat(path).st_mode  # through links: /dev/fd/63 names a pipe
    except OSError:
        mode = None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return True
    top = Path(os.path.abspath(path)).parts[1:3]
    return top[:1] in (("dev",), ("proc",)) and top != ("dev", "shm")


def write_error(path: Path, exc: OSError, setting: str = "output", kept: str = "", then: str = "") -> UserError:
    """The one line for an output the disk would not take: which file, why, and what to do (`kept`: what is
    kept before that advice; `then`: what to run after it; `setting`: the option that names another output,
    "" where there is none)."""
    fix = _WRITE_FIXES.get(exc.errno, "fix that")
    if fix == "make it writable":
        fix = f"make {path.parent} writable"
    if setting and exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EPIPE):
        fix += f" or choose another ${setting}"
    return UserError(f"{path}: cannot write ({exc.strerror or exc}); {kept}{fix}{then}")


def is_write_error(exc: BaseException) -> bool:
    """An OSError a full, read-only or unwritable disk (or a closed pipe) gives a writer."""
    return isinstance(exc, OSError) and exc.errno in _WRITE_FIXES


@contextmanager
def writing(path: str | Path, setting: str = "output", kept: str = "", then: str = "") -> Iterator[None]:
    """A write that cannot go through a temporary name (an appended log): a disk that refuses it gives one line."""
    try:
        yield
    except OSError as exc:
        if not is_write_error(exc):
            raise
        raise write_error(Path(path), exc, setting, kept, then) from None


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
def replacing(path: str | Path, setting: str = "output", folder: bool = False, kept: str = "",
              then: str = "") -> Iterator[Path]:
    """A temporary name beside `path` for the block to write (with any library's own save function), renamed
    onto `path` when the block ends, and removed when it fails: a reader sees the old file or the whole new one,
    and a kill leaves no half-written one. `folder`: the block fills a temporary folder that replaces `path`.

    A stream output (`is_stream`) gets a temporary file in the system's temporary folder instead, copied
    into it whole once written. A full or read-only disk raises `write_error` (with `kept` and `then`)."""
    path = Path(path)
    if is_stream(path):
        if folder:
            raise UserError(f"{path}: is not a folder; give ${setting} a folder name")
        with _streaming(path, setting, kept, then) as tmp:
            yield tmp
        return
    try:
        tmp = temporary(path, folder)
    except OSError as exc:
        if not is_write_error(exc):
            raise
        raise write_error(path, exc, setting, kept, then) from None
    try:
        yield tmp
        _commit(tmp, path)
    except BaseException as exc:
        _remove(tmp)
        if is_write_error(exc):
            raise write_error(path, exc, setting, kept, then) from None
        raise


@contextmanager
def _streaming(path: Path, setting: str, kept: str, then: str) -> Iterator[Path]:
    """A private temporary file for the block, then its bytes written into the stream `path`."""
    with tempfile.TemporaryDirectory(prefix="cxrlabel-") as scratch:
        tmp = Path(scratch) / ("stdout" if str(path) == STDOUT else path.name)
        try:
            yield tmp
        except OSError as exc:
            if not is_write_error(exc):
                raise
            raise UserError(f"{path}: cannot write its temporary copy in {scratch} ({exc.strerror or exc}); free "
                            "some space there, or name another folder in the TMPDIR environment variable") from None
        try:
            _commit(tmp, path)
        except OSError as exc:
            if not is_write_error(exc):
                raise
            raise write_error(path, exc, setting, kept, then) from None


def _commit(tmp: Path, path: Path) -> None:
    """Put the finished temporary file (or folder) in place of `path`: renamed onto a file or folder, written
    into a stream. A folder cannot replace a non-empty one in one step, so an earlier output folder of ours is
    first renamed to a new hidden name of ours, then removed; one that is not ours makes the rename fail (it is
    not empty), so it is never removed."""
    if is_stream(path):
        with open(tmp, "rb") as source:
            if str(path) == STDOUT:
                sys.stdout.flush()
                shutil.copyfileobj(source, sys.stdout.buffer, 1 << 20)
                sys.stdout.buffer.flush()
            else:
                with open(path, "wb") as target:
                    shutil.copyfileobj(source, target, 1 << 20)
    elif tmp.is_dir() and path.is_dir() and is_ours(path):
        aside = temporary(path, folder=True)
        os.replace(path, aside)
        try:
            os.replace(tmp, path)
        except BaseException:
            os.replace(aside, path)  # the earlier output stays where it was
            raise
        shutil.rmtree(aside)
    else:
        os.replace(tmp, path)


def _remove(path: Path) -> None:
    """Remove a temporary file or folder this process made, if it is still there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def write_atomically(path: str | Path, data: bytes, setting: str = "output", kept: str = "", then: str = "") -> None:
    """`data` as the whole of `path`, through `replacing`."""
    with replacing(path, setting, kept=kept, then=then) as tmp:
        tmp.write_bytes(data)


def write_together(files: Mapping[Path, bytes], setting: str = "output") -> None:
    """Several files that belong together: every one is written to its temporary name before any is renamed
    into place, so a full disk leaves all of them as they were."""
    with ExitStack() as stack:
        for path, data in files.items():
            stack.enter_context(replacing(path, setting)).write_bytes(data)
