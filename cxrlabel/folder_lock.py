"""One run at a time in a folder: an exclusive `flock` on a file inside it, which also names the holder's PID.

Used by extract's parts folder and by `cxrtrain fit`'s run folder. The kernel drops a flock when the last
descriptor of its holder closes, so the lock goes with the process however it ends (SIGKILL included) and
no stale lock is ever left to clean up; while the holder lives, a second run is refused with its PID.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from .errors import UserError

LOCK = ".lock"


def hold(path: Path, holder: str, target: Path) -> int | None:
    """Lock `path` (made if needed) for this process and write our PID into it. Returns the open descriptor,
    which holds the lock until it is closed, or None when the folder of `path` was removed (by the run that
    held it) before the lock was taken, so the caller makes the folder again. Another live holder is refused:
    "another `holder` (PID n) is writing to `target`"."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except FileNotFoundError:
        return None
    held = False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            pid = f" (PID {other})" if other.isdigit() else ""
            raise UserError(f"another {holder}{pid} is writing to {target}; wait for it to finish") from None
        try:
            if not os.path.samestat(os.stat(path), os.fstat(fd)):
                return None
        except FileNotFoundError:
            return None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        held = True
        return fd
    finally:
        if not held:
            os.close(fd)
