"""review.html in a real browser (headless Chromium): keys and clicks change the labels, a reload continues where the
reviewer was, the download is what was clicked, a downloaded file loads again, and the page connects nowhere."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from cxrlabel.cli import main
from cxrlabel.html_page import FONT_STACK

from .browser_pages import Watched, browser, english_sample, write_sample  # noqa: F401  (browser: a fixture)

REVIEWER = "Dr. Test"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """Six corpora/en reports as a sample folder, and its page written by `cxrlabel review`."""
    folder, labels = english_sample(tmp_path_factory.mktemp("en"), n=6)
    assert main(["review", str(folder), "--parser", "none"]) == 0
    return folder, labels


def _open(browser, folder) -> Watched:
    return Watched(browser.new_context(viewport={"width": 1280, "height": 760}), (folder / "review.html").as_uri())


def _keys(page, *keys: str) -> int:
    """Press `keys` in order; returns how many were pressed (the reviewer's cost)."""
    for key in keys:
        page.keyboard.press(key)
    return len(keys)


def _notice(page, text: str) -> str:
    """The notice once it says `text` (a loaded file is read asynchronously)."""
    page.wait_for_function("(text) => document.getElementById('notices').textContent.includes(text)", arg=text,
                           timeout=5000)
    return page.inner_text("#notices")


def _progress(page) -> str:
    return page.inner_text("#progress")


def test_keys_and_clicks_are_saved_reloaded_and_downloaded(browser, sample, tmp_path):
    folder, labels = sample
    observations = [c for c in labels.columns if c != "id"]
    view = _open(browser, folder)
    page = view.page
    assert _progress(page).startswith("0 / 6 confirmed")
    page.fill("#reviewer", REVIEWER)
    page.keyboard.press("Enter")  # leaves the name field
    view.shot("review-en-first")

    # Every prediction right: one key.
    all_right = _keys(page, "Enter")
    # One wrong, the label it was drawn for (selected when the report opens): the value, then Enter.
    assert page.inner_text("#meta").startswith("id en002")
    assert "Pneumothorax" in page.inner_text("#ask")
    focus_wrong = _keys(page, "0", "Enter")
    # One wrong elsewhere: walk to it (two labels down from Cardiomegaly to Lung Opacity), the value, Enter.
    assert "Cardiomegaly" in page.inner_text("#ask")
    other_wrong = _keys(page, "ArrowDown", "ArrowDown", "1", "Enter")
    # With the mouse: click the value, then Enter.
    page.click('#cells .cell[data-obs="Pneumothorax"] button[data-value="null"]')
    assert "was 0" in page.inner_text('#cells .cell[data-obs="Pneumothorax"]')
    view.shot("review-en-changed")
    _keys(page, "Enter")
    assert (all_right, focus_wrong, other_wrong) == (1, 2, 4)  # the counts the README gives
    assert _progress(page).startswith("4 / 6 confirmed · report 5 of 6")

    view.saved("Object.values(saved.rows).filter((r) => r.status === 'confirmed').length === 4")
    page.reload()  # the autosave: the same place, the same answers
    assert _progress(page).startswith("4 / 6 confirmed · report 5 of 6")
    assert page.input_value("#reviewer") == REVIEWER
    _keys(page, "ArrowLeft")
    assert page.inner_text("#meta").startswith("id en004") and "confirmed by Dr. Test" in page.inner_text("#meta")
    assert page.get_attribute('#cells .cell[data-obs="Pneumothorax"] button[data-value="null"]', "aria-pressed") == "true"

    got = pd.read_csv(view.download("#download", tmp_path / "reviewed.csv"), dtype=str, keep_default_na=False)
    assert list(got.columns) == ["id", *observations, "reviewer", "reviewed_at", "status"]
    expected = labels.copy()
    expected.loc[1, "Pneumothorax"] = 0.0
    expected.loc[2, "Lung Opacity"] = 1.0
    expected.loc[3, "Pneumothorax"] = float("nan")
    for obs in observations:  # written as extract writes them
        expected[obs] = expected[obs].map(lambda v: "" if v != v else f"{v:.1f}")
    assert got[["id", *observations]].equals(expected[["id", *observations]])
    assert got["status"].tolist() == ["confirmed"] * 4 + ["unreviewed"] * 2
    assert got["reviewer"].tolist() == [REVIEWER] * 4 + [""] * 2
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", t) for t in got["reviewed_at"][:4])
    assert view.requests == [] and view.errors == []


def test_a_downloaded_review_loads_again_elsewhere_and_samples_do_not_mix(browser, sample, tmp_path):
    folder, labels = sample
    first = _open(browser, folder)
    _keys(first.page, "0", "Enter", "Enter")  # en001 with its Atelectasis set to 0, en002 as predicted
    half = first.download("#download", tmp_path / "half.csv")
    before = pd.read_csv(half, dtype=str, keep_default_na=False)
    assert before["status"].tolist()[:2] == ["confirmed", "confirmed"] and before.loc[0, "Atelectasis"] == "0.0"

    other = _open(browser, folder)  # a fresh browser profile: nothing saved there
    assert _progress(other.page).startswith("0 / 6 confirmed")
    other.page.set_input_files("#load-file", str(half))
    assert "Loaded 2 confirmed and 4 unreviewed reports." in _notice(other.page, "Loaded")
    assert _progress(other.page).startswith("2 / 6 confirmed · report 3 of 6")
    again = pd.read_csv(other.download("#download", tmp_path / "again.csv"), dtype=str, keep_default_na=False)
    assert again.equals(before)

    # A file of another sample is refused with the reason, and changes nothing.
    wrong = tmp_path / "wrong.csv"
    before.drop(columns=["Edema"]).to_csv(wrong, index=False)
    other.page.set_input_files("#load-file", str(wrong))
    assert "wrong.csv: not loaded: it has no column" in _notice(other.page, 'no column "Edema"')
    assert _progress(other.page).startswith("2 / 6 confirmed")

    # Another sample opened in the same browser starts afresh: the autosave is keyed by the sample's digest.
    second = write_sample(tmp_path / "second", labels.head(3), "id", [c for c in labels.columns if c != "id"],
                          [""] * 3, folder.parent / "reports.csv")
    assert main(["review", str(second), "--parser", "none"]) == 0
    mixed = Watched(first.context, (second / "review.html").as_uri())
    assert _progress(mixed.page).startswith("0 / 3 confirmed")
    assert first.requests == other.requests == mixed.requests == []
    assert first.errors == other.errors == mixed.errors == []


def test_the_page_can_connect_nowhere(browser, sample):
    folder, _ = sample
    view = _open(browser, folder)
    assert view.requests == []  # the page by itself asks for nothing
    finished, failed = [], []
    view.page.on("requestfinished", lambda request: finished.append(request.url))
    view.page.on("requestfailed", lambda request: failed.append(request.failure))
    blocked = view.page.evaluate("""async () => {
        const seen = [];
        document.addEventListener("securitypolicyviolation", (e) => seen.push(e.violatedDirective));
        let fetched = "sent";
        try { await fetch("http://127.0.0.1:9/x?leak=1"); } catch (e) { fetched = "refused"; }
        const image = new Image(); image.src = "http://127.0.0.1:9/pixel.png";
        await new Promise((done) => setTimeout(done, 200));
        return {fetched, seen};
    }""")
    assert blocked["fetched"] == "refused"
    assert {"connect-src", "img-src"} <= set(blocked["seen"])
    # Planted requests are stopped by the policy before they leave (Chromium reports the image as blocked).
    assert finished == [] and failed and all("csp" in reason.lower() for reason in failed)


def test_sections_mentions_and_rules_are_shown(browser, sample):
    folder, _ = sample
    view = _open(browser, folder)
    page = view.page
    _keys(page, "ArrowRight", "ArrowRight", "ArrowRight")  # en004: IMPRESSION: 1. Widened mediastinum ...
    assert page.inner_text("#text .header").strip() == "IMPRESSION:"
    selected = page.locator("#text .mark.selected")
    assert selected.first.inner_text() == "Widened mediastinum"
    assert "Enlarged Cardiomediastinum: positive, rule" in selected.first.get_attribute("title")
    assert "Widened mediastinum" in page.inner_text("#text .sentence")  # the deciding sentence
    negated = page.locator('#text .mark.v0').first
    assert negated.inner_text() == "pneumothorax" and "Pneumothorax: negative" in negated.get_attribute("title")
    family = page.evaluate("getComputedStyle(document.documentElement).fontFamily")
    assert "Microsoft YaHei" in family and "PingFang SC" in family and "Noto Sans CJK SC" in family
    assert "Microsoft YaHei" in FONT_STACK
    view.shot("review-en-sections")
    assert view.errors == []


def test_review_prints_no_report_text(sample, capsys):
    folder, _ = sample
    reports = pd.read_csv(folder.parent / "reports.csv", dtype=str)
    assert main(["review", str(folder), "--parser", "none", "-o", str(folder / "again.html")]) == 0
    printed = capsys.readouterr()
    words = {w for text in reports["report"] for w in re.findall(r"[a-z]{6,}", text.lower())}
    assert words and not [w for w in words if w in (printed.out + printed.err).lower()]
