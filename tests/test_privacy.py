"""No report text in any message, log or file not meant to hold it: a marker planted in the reports must not
reach stdout, stderr, a manifest or any other bookkeeping file, for `extract`, `zh mine` and `zh label`, on
inputs they refuse and on runs that succeed. Only the outputs made to hold the text are exempt: the label
and mention files (and their parts), and what `zh mine` writes, whose clusters are made of clauses."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxrlabel.cli import main

MARKER = "ZEBRASTRIPE"
CORPUS = Path(__file__).resolve().parents[1] / "corpora" / "zh" / "reports.csv"
EN = f"{MARKER} has no effusion, really"  # a comma: a header-less row has three cells
ZH = f"{MARKER}两肺纹理增多，心影增大"

FAILING = {
    "headerless.csv": (f"p1,{EN}\np2,Clear.\nZH0003,{ZH}\n", []),
    "headerless-named.csv": (f"p1,{EN}\np2,Clear.\n", ["--column", "nope"]),
    "headerless-id.csv": (f"p1,{EN}\np2,Clear.\n", ["--column", "p1", "--id-column", "nope"]),
    "quote.csv": (f'id,text\n1,"{EN}\n2,Clear.\n', []),
    "ragged.csv": ("id,text\n" + "".join(f"{i},Clear\n" for i in range(4)) + f"5,{EN}\n", []),
    "broken.jsonl": (f'{{"text": "Clear."}}\n{{"text": "{EN}\n', []),
    "string.jsonl": (f'{{"text": "Clear."}}\n"{EN}"\n', []),
    "cp1252.csv": (("text\n" + f"Épanchement {MARKER} à droite, opacité élargie\n" * 4).encode("cp1252"), []),
}


def command(name: str, source: Path, out: Path, label_map: Path) -> list[str]:
    if name == "extract":
        return ["extract", str(source), "--parser", "none", "-o", str(out / "labels.csv"), "--workers", "1", "-q"]
    if name == "zh mine":
        return ["zh", "mine", str(source), "-k", "2", "--out", str(out / "mined")]
    return ["zh", "label", str(source), "--label-map", str(label_map), "-o", str(out / "labels.csv")]


@pytest.fixture(scope="module")
def label_map(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model")
    assert main(["zh", "mine", str(CORPUS), "-k", "4", "--out", str(out)]) == 0
    return out / "label_map.csv"


def written(folder: Path, exempt: tuple[str, ...] = ()) -> dict[str, str]:
    """Every file under `folder` whose name matches none of `exempt`, as text."""
    return {str(p): p.read_bytes().decode("utf-8", errors="replace") for p in folder.rglob("*")
            if p.is_file() and not any(p.match(pattern) for pattern in exempt)}


def assert_no_marker(capfd, *folders_and_exempt) -> tuple[str, str]:
    out, err = capfd.readouterr()
    assert MARKER not in out and MARKER not in err
    for folder, exempt in folders_and_exempt:
        for path, text in written(folder, exempt).items():
            assert MARKER not in text, path
    return out, err


@pytest.mark.parametrize("cmd", ["extract", "zh mine", "zh label"])
@pytest.mark.parametrize("name", list(FAILING))
def test_a_refused_input_is_one_line_that_quotes_no_report(cmd, name, tmp_path, label_map, capfd):
    data, extra = FAILING[name]
    source = tmp_path / "in" / name.replace("-named", "").replace("-id", "")
    source.parent.mkdir()
    source.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    out = tmp_path / "out"
    out.mkdir()
    capfd.readouterr()
    assert main(command(cmd, source, out, label_map) + extra) == 2
    _, err = assert_no_marker(capfd, (out, ()))
    assert err.count("\n") == 1 and "Traceback" not in err, err


def test_a_folder_whose_second_part_is_headerless_names_no_report(tmp_path, capfd):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "part-0.csv").write_text("id,text\n1,Clear.\n")
    (folder / "part-1.csv").write_text(f"2,{EN}\n3,Clear.\n")
    assert main(["extract", str(folder), "--parser", "none", "-o", str(tmp_path / "o.csv"), "--workers", "1", "-q"]) == 2
    _, err = assert_no_marker(capfd, (tmp_path, ("in/*",)))
    assert "part-1.csv" in err


def test_a_successful_extract_keeps_the_text_out_of_messages_and_bookkeeping(tmp_path, capfd):
    source = tmp_path / "in" / "r.csv"
    source.parent.mkdir()
    rows = [f'{i},"{EN} {i}. Café au lait{chr(0) if i % 10 == 0 else "."}"\n'.encode() for i in range(20)]
    source.write_bytes(b"id,report\n" + b"".join(rows).replace(b"\x00", b"\x92"))  # two stray bytes
    out = tmp_path / "out"
    out.mkdir()
    assert main(["extract", str(source), "--parser", "none", "-o", str(out / "labels.csv"), "--keep-parts",
                 "--mentions-out", str(out / "mentions.jsonl"), "--id-column", "id", "--workers", "1"]) == 0
    exempt = ("labels.csv", "mentions.jsonl", "part-*.csv", "part-*.mentions.jsonl")
    _, err = assert_no_marker(capfd, (out, exempt))
    assert "2 undecodable bytes" in err  # the warning counts the stray bytes without quoting them
    assert (out / "labels.csv.parts" / "manifest.json").exists()  # bookkeeping was checked, not skipped
    assert MARKER in (out / "labels.csv").read_text()  # the labels hold the Reports column by design


def test_successful_zh_mine_and_label_keep_the_text_out_of_messages(tmp_path, capfd):
    reports = pd.read_csv(CORPUS, dtype=str, keep_default_na=False).head(80)
    reports.loc[:2, "诊断"] = [ZH, f"右下肺{MARKER}结节", f"{MARKER}"]
    source = tmp_path / "zh.csv"
    reports.to_csv(source, index=False)
    assert main(["zh", "mine", str(source), "-k", "3", "--out", str(tmp_path / "mined")]) == 0
    assert_no_marker(capfd)  # the mined files are made of clauses by design
    labels = tmp_path / "labels.csv"
    assert main(["zh", "label", str(source), "--label-map", str(tmp_path / "mined" / "label_map.csv"),
                 "-o", str(labels)]) == 0
    assert_no_marker(capfd)
    assert MARKER in labels.read_text(encoding="utf-8")


# cxrtrain: the label table's report column must not reach a message, a log or a run file, whichever column a
# user points an option at by mistake.
TRAIN_MISTAKES = {
    "path column": ["--path-column", "Reports"],
    "id column": ["--id-column", "Reports", "--image-pattern", "{id}.png"],
    "split column": ["--split-column", "Reports"],
    "observation": ["--observations", "Reports"],
}


@pytest.fixture(scope="module")
def train_set(tmp_path_factory) -> Path:
    """A tiny image set whose labels.csv has a Reports column of marked report text (and a few image-like ones)."""
    from tests.train.synthetic import make_dataset

    folder = tmp_path_factory.mktemp("train_set")
    labels = make_dataset(folder, n=40, size=32, seed=3)
    table = pd.read_csv(labels, dtype=str, keep_default_na=False)
    table["Reports"] = [f"{EN} {i}. Heart size normal." for i in range(len(table))]
    table.loc[:2, "Reports"] = ["images/img0000", "img0001", MARKER]  # cells that alone look like ids
    table.to_csv(labels, index=False)
    return folder


def _cxrtrain(*argv: str) -> int:
    from cxrtrain.cli import main as cxrtrain_main

    return cxrtrain_main(list(argv))


@pytest.fixture(scope="module")
def train_run(train_set, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("train_run") / "run"
    assert _cxrtrain("fit", "--labels", str(train_set / "labels.csv"), "--images", str(train_set), "--out", str(out),
                     "--arch", "resnet18", "--image-size", "32", "--epochs", "1", "--no-progress",
                     "--cache-dir", str(out.parent / "cache")) == 0
    return out


@pytest.mark.parametrize("mistake", list(TRAIN_MISTAKES))
def test_cxrtrain_fit_and_evaluate_on_the_report_column_quote_no_report(mistake, train_set, train_run, tmp_path,
                                                                       capfd):
    capfd.readouterr()
    common = ["--labels", str(train_set / "labels.csv"), "--images", str(train_set), "--cache-dir", str(tmp_path / "c")]
    assert _cxrtrain("fit", *common, "--out", str(tmp_path / "run"), "--arch", "resnet18", "--image-size", "32",
                     "--epochs", "1", "--no-progress", *TRAIN_MISTAKES[mistake]) == 2
    _, err = assert_no_marker(capfd, (tmp_path, ()))
    assert err.count("\n") == 1 and "Reports" in err, err
    if mistake in ("path column", "id column"):  # options of evaluate on another table
        assert _cxrtrain("evaluate", "--run", str(train_run), *common, "-o", str(tmp_path / "e.json"),
                         *TRAIN_MISTAKES[mistake]) == 2
        _, err = assert_no_marker(capfd, (tmp_path, ()))
        assert err.count("\n") == 1, err


def test_a_successful_cxrtrain_run_keeps_the_text_out_of_its_folder_and_messages(train_set, train_run, tmp_path,
                                                                                capfd):
    assert _cxrtrain("evaluate", "--run", str(train_run), "--cache-dir", str(tmp_path / "c")) == 0
    assert_no_marker(capfd, (train_run, ()))
    assert (train_run / "split.csv").is_file() and (train_run / "log.txt").is_file()
