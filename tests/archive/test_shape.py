"""`cxrlabel/archive/` serves every labeller, so it knows none: no module of it imports `cxrlabel.en` or
`cxrlabel.zh`, written anywhere in the file (a function's body, a TYPE_CHECKING block), and importing every
one of them loads neither."""
from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

ARCHIVE = ROOT / "cxrlabel" / "archive"
MODULES = sorted(ARCHIVE.glob("*.py"))
LABELLERS = ("cxrlabel.en", "cxrlabel.zh")


def imported(path) -> list[str]:
    """Every module a file imports, relative imports resolved against its package."""
    package = "cxrlabel.archive"
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            names += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return names


def labellers(names: list[str]) -> list[str]:
    return sorted({n for n in names if any(n == lab or n.startswith(lab + ".") for lab in LABELLERS)})


def test_the_check_sees_relative_and_absolute_imports(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text("from ..en.labeler import LabelerConfig\nif True:\n    from .. import zh\n"
                    "def f():\n    import cxrlabel.en.chunks\nfrom .parts import PartStore\n", encoding="utf-8")
    assert labellers(imported(path)) == ["cxrlabel.en.chunks", "cxrlabel.en.labeler",
                                         "cxrlabel.en.labeler.LabelerConfig", "cxrlabel.zh"]


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_no_archive_module_imports_a_labeller(path):
    assert labellers(imported(path)) == []


def test_importing_the_archive_loads_no_labeller():
    names = [f"cxrlabel.archive.{p.stem}" for p in MODULES if p.stem != "__init__"]
    probe = (f"import importlib, json, sys\nfor name in {names!r}:\n    importlib.import_module(name)\n"
             f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[:2] in (['cxrlabel', 'en'], "
             f"['cxrlabel', 'zh']))))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
