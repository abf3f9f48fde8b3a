"""The shape of cxrtrain holds: inference never imports training (read from the sources, and seen in a fresh
interpreter), no module imports another that imports it back, and fit's options are read without torch."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "cxrtrain"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every cxrtrain module `path` imports, at the top or inside a function, by absolute name."""
    package = module_name(path).split(".") if path.name == "__init__.py" else module_name(path).split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[:len(package) - node.level + 1], *([base] if base else [])])
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # `from . import x` names module x
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return {name for name in found if name in modules}


def test_nothing_under_inference_imports_training():
    offending = {module_name(path): sorted(n for n in imports_of(path) if n.startswith("cxrtrain.training"))
                 for path in (PACKAGE / "inference").rglob("*.py")}
    assert len(offending) >= 8
    assert not {k: v for k, v in offending.items() if v}


def test_loading_every_inference_module_loads_no_training_module():
    names = sorted(module_name(p) for p in (PACKAGE / "inference").rglob("*.py"))
    probe = ("import importlib, json, sys\n"
             f"for name in {names!r}:\n    importlib.import_module(name)\n"
             "print(json.dumps(sorted(m for m in sys.modules if m.startswith('cxrtrain.'))))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert "cxrtrain.inference.export" in loaded and "cxrtrain.inference.loaded_run" in loaded
    assert not [m for m in loaded if m.startswith("cxrtrain.training")]


def test_no_import_cycle_among_cxrtrain_modules():
    """Package __init__ files are left out: importing a.b runs a/__init__ first, which is no dependency."""
    graph = {module_name(p): {n for n in imports_of(p) if not (ROOT / n.replace(".", "/") / "__init__.py").exists()}
             for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"}
    assert len(graph) > 20
    try:
        list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_a_broken_config_file_is_said_before_torch_is_loaded(tmp_path):
    """fit reads its options (--config, --resume) in the light modules; torch loads once training starts."""
    (tmp_path / "config.json").write_text('{"epochs": 2,')
    argv = ["fit", "--config", str(tmp_path / "config.json"), "--out", str(tmp_path / "run")]
    probe = ("import json, sys\nfrom cxrtrain.cli import main\n"
             f"code = main({argv!r})\n"
             "print(json.dumps([code, 'torch' in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == [2, False]
    assert done.stderr.startswith(f"cxrtrain: error: {tmp_path / 'config.json'}: damaged (not complete JSON")


def test_the_choices_fit_offers_are_the_ones_the_library_checks():
    """One tuple per setting in cxrtrain.settings, read by the parser and by the library's checks alike."""
    import argparse

    from cxrtrain import settings
    from cxrtrain.cli import build_parser

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    choices = {action.dest: action.choices for action in commands["fit"]._actions if action.choices}
    assert choices["task"] is settings.TASKS and choices["blank"] is settings.BLANK_MODES
    assert choices["class_weights"] is settings.CLASS_WEIGHTS and choices["device"] is settings.DEVICES
    assert choices["policy"] is settings.POLICIES and choices["optimizer"] is settings.OPTIMIZERS
