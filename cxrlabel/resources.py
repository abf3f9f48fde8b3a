"""Where the shipped rules and lexicons live: inside an installed wheel, or at the top of a checkout."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def data_dir(name: str) -> Path:
    """The folder of shipped data files called `name` ("rules" or "lexicons")."""
    try:
        found = Path(str(resources.files(f"cxrlabel.{name}")))
        if found.is_dir():
            return found
    except ModuleNotFoundError:
        pass  # an editable install maps the package to the checkout, where the folder sits at the top
    return _CHECKOUT / name


def rules_dir() -> Path:
    return data_dir("rules")


def lexicons_dir() -> Path:
    return data_dir("lexicons")
