"""Where the shipped rules and lexicons live: inside an installed wheel, or at the top of a checkout."""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder of shipped data files called `name` ("rules" or "lexicons").

    A wheel installs them as cxrlabel/<name>/; in a checkout (and an editable install) they sit at
    the top of the repository, where users read and edit them."""
    installed = _PACKAGE / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


def rules_dir() -> Path:
    return data_dir("rules")


def lexicons_dir() -> Path:
    return data_dir("lexicons")
