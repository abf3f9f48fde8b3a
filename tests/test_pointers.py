"""A docstring or comment in cxrlabel/ that sends the reader elsewhere is right: a README section it names
(`README, "Label a whole archive"`) is a heading of the README, and a README file or module it names
(`rules/README.md`, `cli/zh.py`) exists. A renamed section or a moved file shows here, not when a reader
follows the pointer."""
from __future__ import annotations

import re

from tests.conftest import ROOT

SOURCES = sorted((ROOT / "cxrlabel").rglob("*.py"))
# A heading is cited by its words before any parenthesis: "Accuracy and speed" for "Accuracy and speed (measured ...)".
HEADINGS = [line.lstrip("#").strip() for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
            if line.startswith("#")]


def _pointers(pattern: str) -> list[tuple[str, str]]:
    return [(str(path.relative_to(ROOT)), found) for path in SOURCES
            for found in re.findall(pattern, path.read_text(encoding="utf-8"))]


def test_every_readme_section_cited_exists():
    cited = _pointers(r'README, "([^"]+)"')
    assert len(cited) >= 5  # the pattern still finds the citations
    assert [(path, section) for path, section in cited
            if not any(h == section or h.startswith(section + " (") for h in HEADINGS)] == []


def test_every_readme_file_cited_exists():
    cited = _pointers(r"\b([\w/]+/README\.md)\b")
    assert cited
    assert [(path, name) for path, name in cited if not (ROOT / name).is_file()] == []


def test_every_module_file_named_exists():
    named = _pointers(r"\b([A-Za-z_][\w/.]*\.py)\b")
    assert named
    files = {path.relative_to(ROOT).as_posix() for folder in ("cxrlabel", "cxrtrain", "bench", "tests")
             for path in (ROOT / folder).rglob("*.py")}
    assert [(path, name) for path, name in named
            if not any(f == name or f.endswith("/" + name) for f in files)] == []
