"""What a resumed run must share with the run it continues: the same input files, the options that change the
output, and the same data files (rules, lexicons, a reviewed map). Each labeller names its own options and
digests; anything else (workers, engine, cache, batch size) may change between the two."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from .. import __version__


def files_digest(paths: Sequence[Path]) -> str:
    """A hash over each path in turn: every file under a folder (with its name), a file's bytes, nothing for
    a path that is missing; so an edit, an added or a removed file between runs is noticed."""
    digest = hashlib.sha256()
    for number, folder in enumerate(paths):
        digest.update(f"{number}\0".encode())
        if folder.is_file():
            digest.update(b"\0" + folder.read_bytes() + b"\0")
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file():
                digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def run_identity(input_files: list[dict], options: dict[str, object]) -> dict:
    """The manifest's record of the run: its input files, the cxrlabel version and the labeller's `options`
    that change the output."""
    return {"input": input_files, "options": {"version": __version__, **options}}
