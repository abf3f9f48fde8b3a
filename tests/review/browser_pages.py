"""Helpers for the browser tests of review.html and clusters.html: a headless Chromium (Debian's `chromium`, driven by
Playwright for Python through `executable_path`, no browser download), and sample folders built by hand as
`cxrlabel sample` writes them (issue 23's contract: sample.csv + sample.json)."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, in_ci

CHROMIUM = os.environ.get("CXRLABEL_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
SHOTS = Path(os.environ.get("CXRLABEL_SCREENSHOTS", "/tmp/cxrlabel-screenshots"))


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[dev]')"
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
    return None


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module; skipped with the reason where it is missing, failed under CI."""
    missing = _missing()
    if missing:
        if in_ci():
            pytest.fail(f"{missing}; CI is set, where the browser tests must run (.ci/run installs it)")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Watched:
    """A page that records every request it makes that is not the file itself, and every script error."""

    def __init__(self, context, url: str) -> None:
        self.context = context
        self.url = url
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page = context.new_page()
        self.page.on("request", lambda request: request.url == url or request.url.startswith("blob:")
                     or self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.goto(url)

    def saved(self, check: str) -> None:
        """Wait until the browser's storage (as any page of this origin reads it) holds what `check`, a JavaScript
        expression over `saved` (the parsed autosave), says: a reload must not race the page's last write."""
        key = self.page.evaluate("pageData().key")
        probe = self.context.new_page()
        blank = SHOTS.parent / "cxrlabel-blank.html"
        blank.write_text("<!DOCTYPE html><title>storage probe</title>")
        probe.goto(blank.as_uri())
        probe.wait_for_function(f"(key) => {{ const saved = JSON.parse(localStorage.getItem(key) || 'null'); "
                                f"return !!saved && ({check}); }}", arg=key, timeout=10000)
        probe.close()

    def shot(self, name: str, full_page: bool = False) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def download(self, selector: str, target: Path) -> Path:
        with self.page.expect_download() as info:
            self.page.click(selector)
        info.value.save_as(str(target))
        return target


def write_sample(folder: Path, labels: pd.DataFrame, id_column: str, observations: list[str], focus: list[str],
                 reports: Path, language: str = "en", text_column: str = "report") -> Path:
    """A sample folder as `cxrlabel sample` writes it (the contract of issue 23): every row of `labels`, drawn."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".cxrlabel-output").write_text(json.dumps({"written_by": "cxrlabel", "kind": "sample"}) + "\n")
    sample = labels[[id_column]].copy()
    sample["inclusion_probability"] = 0.5
    sample["reason"] = "stratified"
    sample["focus"] = focus
    for obs in observations:
        sample[obs] = labels[obs]
    sample.to_csv(folder / "sample.csv", index=False)
    meta = {"version": 1, "tool": "cxrlabel sample", "language": language, "labels_file": "labels.csv",
            "labels_sha256": hashlib.sha256(labels.to_csv(index=False).encode()).hexdigest(),
            "id_column": id_column, "observations": observations, "population": len(labels) * 2, "n": len(labels),
            "seed": 0, "options": {"n": len(labels)},
            "reports": {"path": str(reports), "id_column": id_column, "text_column": text_column, "encoding": None}}
    (folder / "sample.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    return folder


def english_sample(tmp_path: Path, n: int = 6) -> tuple[Path, pd.DataFrame]:
    """The first `n` corpora/en reports, labelled with --parser none, as a sample folder; returns it and the labels."""
    from cxrlabel.api import label

    reports = pd.read_csv(ROOT / "corpora" / "en" / "reports.csv", dtype=str).head(n)
    source = tmp_path / "reports.csv"
    reports.to_csv(source, index=False)
    labels = label(reports["report"], parser="none").drop(columns=["Reports"])
    labels.insert(0, "id", reports["id"])
    observations = [c for c in labels.columns if c != "id"]
    focus = [next((o for o in observations if labels.loc[i, o] == labels.loc[i, o]), "") for i in labels.index]
    return write_sample(tmp_path / "review", labels, "id", observations, focus, source), labels
