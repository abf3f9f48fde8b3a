"""What a resumed extract run must share with the run it continues: the same input files, the options that
change the output, and the same rule and lexicon files. Anything else (workers, engine, cache, batch size)
may change between the two."""
from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..en.labeler import LabelerConfig


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


def rule_files_digest(config: LabelerConfig) -> str:
    """A hash over every rule and lexicon file the labeler reads, so an edit between runs is noticed."""
    return files_digest(config.data_folders())


def run_identity(input_files: list[dict], config: LabelerConfig, **options: object) -> dict:
    """The manifest's record of the run; `options` are the extract options that change the output."""
    return {"input": input_files,
            "options": {"version": __version__, **dataclasses.asdict(config), **options,
                        "rules_digest": rule_files_digest(config)}}
