"""`--help` of every command of both tools loads nothing but the standard library and our own modules: no
torch, pandas, numpy, spaCy or any other installed package (each takes from 0.1 s to 10 s to import), so that
help answers at once (bench/startup.py measures how fast). The commands are read from the parsers themselves,
so a new command is checked too."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.startup import command_paths
from cxrlabel.cli import build_parser as cxrlabel_parser
from cxrtrain.cli import build_parser as cxrtrain_parser
from tests.conftest import ROOT

HEAVY = ("torch", "pandas", "numpy", "spacy", "scipy", "sklearn", "pyarrow", "PIL", "nltk", "stanza", "dask")


COMMANDS = ([("cxrlabel", path) for path in command_paths(cxrlabel_parser())]
            + [("cxrtrain", path) for path in command_paths(cxrtrain_parser())])

# In a fresh interpreter: the modules start-up already holds, then the help, then what it added from the folders
# packages are installed in (site-packages), ours (installed there or not) left out.
PROBE = """\
import json, site, sys
before = set(sys.modules)
from {tool}.cli import main
try:
    main({argv!r})
except SystemExit as exc:
    code = exc.code
installed = tuple(site.getsitepackages() + [site.getusersitepackages()])
foreign = sorted(name for name, module in list(sys.modules.items()) if name not in before
                 and name.split(".")[0] not in ("cxrlabel", "cxrtrain")
                 and str(getattr(module, "__file__", None) or "").startswith(installed))
print(json.dumps({{"code": code, "foreign": foreign}}))
"""


def test_every_command_is_found():
    names = {" ".join((tool, *path)) for tool, path in COMMANDS}
    assert {"cxrlabel", "cxrlabel extract", "cxrlabel zh mine", "cxrlabel zh label", "cxrlabel zh split",
            "cxrlabel review", "cxrtrain", "cxrtrain fit", "cxrtrain export"} <= names
    assert len(names) == len(COMMANDS) >= 17


@pytest.mark.parametrize("tool,path", COMMANDS, ids=[" ".join((t, *p)) for t, p in COMMANDS])
def test_help_loads_no_installed_package(tool, path):
    probe = PROBE.format(tool=tool, argv=[*path, "--help"])
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    *help_lines, last = done.stdout.splitlines()
    result = json.loads(last)
    assert result["code"] == 0 and help_lines[0].startswith("usage:")
    heavy = sorted({m.split(".")[0] for m in result["foreign"]} & set(HEAVY))
    assert not result["foreign"], f"{' '.join((tool, *path))} --help loaded {heavy or result['foreign'][:10]}"
