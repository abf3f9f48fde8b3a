"""Labelling in the `cxrlabel` process itself (one worker) leaves torch and scipy unloaded, as a worker does,
and only for as long as it labels: bench/startup.py measures what that saves."""
from __future__ import annotations

import importlib.util
import subprocess
import sys

import pandas as pd
import pytest

from cxrlabel.archive.local_engine import LocalEngine
from cxrlabel.en.chunks import label_chunk
from tests.conftest import ROOT, spacy_required

CORPUS = ROOT / "corpora" / "en" / "reports.csv"
TORCH_INSTALLED = importlib.util.find_spec("torch") is not None  # finds it without importing it


@pytest.mark.parametrize("parser", ["spacy", "none"])
def test_extract_with_one_worker_labels_without_torch_and_can_import_it_afterwards(parser, tmp_path):
    if parser == "spacy":
        spacy_required()
    code = ("import sys\n"
            "from cxrlabel.cli import main\n"
            f"print(main(['extract', {str(CORPUS)!r}, '-o', {str(tmp_path / 'labels.csv')!r}, '--workers', '1',"
            f" '--parser', {parser!r}, '-q']))\n"
            "print('torch' in sys.modules, 'scipy' in sys.modules)\n"
            "import scipy.sparse\n"
            + ("import torch\n" if TORCH_INSTALLED else "")
            + "print('after:', 'scipy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.splitlines() == ["0", "False False", "after: True"]
    assert len(pd.read_csv(tmp_path / "labels.csv")) == len(pd.read_csv(CORPUS))


def test_explain_labels_without_torch():
    spacy_required()
    code = ("import sys\n"
            "from cxrlabel.cli import main\n"
            "main(['explain', 'Possible pneumonia. No effusion.'])\n"
            "print('torch' in sys.modules, 'scipy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert "Pneumonia" in out and out.splitlines()[-1] == "False False"


def test_packages_are_hidden_only_while_the_engine_labels_here_and_only_if_not_loaded(tmp_path, monkeypatch):
    (tmp_path / "unused_by_labelling.py").write_text("")  # a package not imported yet; json is
    monkeypatch.syspath_prepend(tmp_path)
    with LocalEngine(1, label_chunk, ("unused_by_labelling", "json")):
        with pytest.raises(ModuleNotFoundError, match="not loaded while cxrlabel labels"):
            import unused_by_labelling  # noqa: F401
        import json  # noqa: F401
    import unused_by_labelling  # noqa: F401,F811
    monkeypatch.delitem(sys.modules, "unused_by_labelling")
