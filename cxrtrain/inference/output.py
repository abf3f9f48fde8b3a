"""Where a command that uses a finished run writes its result, and where its summary goes."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from cxrlabel.errors import UserError
from cxrlabel.output_guard import STDOUT, check_output, is_stream, make_folder, probe_writable


def output_file(output: str | Path, inputs: list[Path | str], setting: str = "output",
                owner: str | None = None) -> Path:
    """The file a command writes its result to, once it is known to replace none of its inputs nor another
    command's outputs (`owner`: the kind of folder of ours whose files this command may replace)."""
    path = Path(output)
    check_output(path, inputs, setting, owner=owner)
    if path.is_dir():
        raise UserError(f"{path}: ${setting} is a folder; give a file name")
    if not is_stream(path):
        probe_writable(path, setting)  # before the work: a read-only folder is said at once
        make_folder(path.parent, setting)
    return path


def summary_stream(output: str | Path) -> TextIO:
    """Where a command's summary goes: standard error when the result itself goes to standard output."""
    return sys.stderr if str(output) == STDOUT else sys.stdout
