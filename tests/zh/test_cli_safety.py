"""What `zh mine` and `zh label` refuse to do: overwrite an input, write into a user's folder, lose a
reviewer's edits, label with a map from another mine run; and reading that follows the user's names."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cxrlabel.cli import main
from cxrlabel.zh import mine as zh_mine

CORPUS = Path(__file__).resolve().parents[2] / "corpora" / "zh"
REPORTS = CORPUS / "reports.csv"


def _mine(out: Path, *extra: str, source: Path = REPORTS) -> int:
    return main(["zh", "mine", str(source), "--column", "诊断", "-k", "10", "--out", str(out), *extra])


def _label(source: Path, label_map: Path, output: Path, *extra: str) -> int:
    return main(["zh", "label", str(source), "--label-map", str(label_map), "-o", str(output), *extra])


def _no_report_text(printed: str) -> bool:
    clauses = pd.read_csv(CORPUS / "clauses_gold.csv", dtype=str, keep_default_na=False)["clause"]
    return not any(len(c) > 1 and c in printed for c in clauses)


@pytest.fixture(scope="module")
def mined(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("safety") / "mined"
    assert _mine(out) == 0
    return out


@pytest.fixture
def reports(tmp_path) -> Path:
    copy = tmp_path / "reports.csv"
    shutil.copyfile(REPORTS, copy)
    return copy


@pytest.mark.parametrize("alias", ["same", "symlink", "hardlink"])
def test_label_refuses_to_overwrite_its_input(mined, reports, tmp_path, capsys, alias):
    before = reports.read_bytes()
    output = {"same": lambda: reports, "symlink": lambda: _symlink(tmp_path / "out.csv", reports),
              "hardlink": lambda: _hardlink(tmp_path / "out.csv", reports)}[alias]()
    assert _label(reports, mined / "label_map.csv", output) == 2
    err = capsys.readouterr().err
    assert "would overwrite the input" in err and "Traceback" not in err
    assert reports.read_bytes() == before


def test_label_refuses_to_overwrite_the_label_map_or_model(mined, reports, tmp_path, capsys):
    folder = tmp_path / "m"
    shutil.copytree(mined, folder)
    for victim in ("label_map.csv", "model.json"):
        before = (folder / victim).read_bytes()
        assert _label(reports, folder / "label_map.csv", folder / victim) == 2
        assert "would overwrite the input" in capsys.readouterr().err
        assert (folder / victim).read_bytes() == before


def _symlink(link: Path, target: Path) -> Path:
    link.symlink_to(target)
    return link


def _hardlink(link: Path, target: Path) -> Path:
    os.link(target, link)
    return link


def test_mine_refuses_a_users_folder_and_leaves_it_alone(tmp_path, capsys):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    assert _mine(folder) == 2
    assert "cxrlabel did not write" in capsys.readouterr().err
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_mine_refuses_an_out_that_is_the_input_or_holds_it(reports, tmp_path, capsys):
    before = reports.read_bytes()
    assert _mine(_symlink(tmp_path / "link", reports), source=reports) == 2
    assert "would overwrite the input" in capsys.readouterr().err
    mined = tmp_path / "m"
    assert _mine(mined, source=reports) == 0
    inside = mined / "reports.csv"
    shutil.copyfile(reports, inside)
    assert _mine(mined, source=inside) == 2
    assert "holds the input" in capsys.readouterr().err
    assert reports.read_bytes() == before and inside.read_bytes() == before


def test_rerun_replaces_an_unedited_map(tmp_path):
    out = tmp_path / "m"
    assert _mine(out) == 0
    assert main(["zh", "mine", str(REPORTS), "--column", "诊断", "-k", "6", "--out", str(out)]) == 0
    assert len(pd.read_csv(out / "label_map.csv")) == 6 + 1  # and the line of the unassigned parts
    assert len(pd.read_csv(out / "clusters.csv")) == 6


def test_rerun_keeps_a_reviewed_map_and_its_model(tmp_path, capsys):
    out = tmp_path / "m"
    assert _mine(out) == 0
    edited = pd.read_csv(out / "label_map.csv")
    edited.loc[0, "label"] = "reviewed"
    edited.to_csv(out / "label_map.csv", index=False)
    kept = {name: (out / name).read_bytes() for name in ("label_map.csv", "model.json", "clusters.csv")}
    capsys.readouterr()
    assert main(["zh", "mine", str(REPORTS), "--column", "诊断", "-k", "6", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "label_map.csv" in err and "edited" in err and "--out" in err and "Traceback" not in err
    assert {name: (out / name).read_bytes() for name in kept} == kept
    # the kept pair still labels
    assert _label(REPORTS, out / "label_map.csv", tmp_path / "labels.csv") == 0
    assert "reviewed" in pd.read_csv(tmp_path / "labels.csv").columns


def test_map_edited_while_mining_runs_is_kept(tmp_path, monkeypatch, capsys):
    out = tmp_path / "m"
    assert _mine(out) == 0
    mine = zh_mine.mine

    def mine_while_reviewing(*args, **kwargs):
        result = mine(*args, **kwargs)
        (out / "label_map.csv").write_text("cluster_id,label,medoid\n", encoding="utf-8")
        return result

    monkeypatch.setattr(zh_mine, "mine", mine_while_reviewing)  # zh mine imports it when it runs
    model = (out / "model.json").read_bytes()
    assert _mine(out, "--seed", "1") == 2
    assert "edited" in capsys.readouterr().err
    assert (out / "label_map.csv").read_text(encoding="utf-8") == "cluster_id,label,medoid\n"
    assert (out / "model.json").read_bytes() == model


def test_rerun_after_the_reviewer_moved_the_map_away(tmp_path):
    out = tmp_path / "m"
    assert _mine(out) == 0
    (out / "label_map.csv").unlink()
    assert _mine(out, "--seed", "1") == 0
    assert (out / "label_map.csv").is_file()


def test_map_from_another_mine_run_is_refused(mined, tmp_path, capsys):
    other = tmp_path / "other"
    assert _mine(other, "--distance", "tokens", "--no-drop-laterality") == 0
    ours = pd.read_csv(mined / "label_map.csv", dtype=str, keep_default_na=False)["medoid"]
    theirs = pd.read_csv(other / "label_map.csv", dtype=str, keep_default_na=False)["medoid"]
    differ = int((ours != theirs).sum())
    assert differ > 0
    capsys.readouterr()
    assert _label(REPORTS, mined / "label_map.csv", tmp_path / "o.csv", "--model", str(other / "model.json")) == 2
    err = capsys.readouterr().err
    assert f"{differ} of 10 clusters" in err and "Traceback" not in err
    assert _no_report_text(err)
    assert not (tmp_path / "o.csv").exists()


def test_map_without_medoids_is_refused(mined, tmp_path, capsys):
    folder = tmp_path / "m"
    shutil.copytree(mined, folder)
    pd.read_csv(folder / "label_map.csv").drop(columns="medoid").to_csv(folder / "label_map.csv", index=False)
    assert _label(REPORTS, folder / "label_map.csv", tmp_path / "o.csv") == 2
    assert "medoid" in capsys.readouterr().err


def test_one_column_file_with_a_named_header(mined, tmp_path):
    texts = pd.read_csv(REPORTS, dtype=str, keep_default_na=False)["诊断"].head(40)
    source = tmp_path / "one.csv"
    pd.DataFrame({"诊断描述": texts}).to_csv(source, index=False)
    out = tmp_path / "labels.csv"
    assert _label(source, mined / "label_map.csv", out, "--column", "诊断描述") == 0
    labels = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(labels) == 40 and labels["诊断描述"].tolist() == texts.tolist()
    assert main(["zh", "mine", str(source), "--column", "诊断描述", "-k", "4", "--out", str(tmp_path / "m")]) == 0
    assert pd.read_csv(tmp_path / "m" / "assignments.csv")["id"].max() == 40


def test_duplicate_ids_are_counted_in_a_warning(mined, tmp_path, capsys):
    source = tmp_path / "dup.csv"
    pd.DataFrame({"id": ["a", "b", "a", "a", "c"],
                  "诊断": ["心影增大", "主动脉硬化", "两肺纹理增多", "未见胸腔积液", "心影增大"]}).to_csv(source, index=False)
    out = tmp_path / "labels.csv"
    assert _label(source, mined / "label_map.csv", out) == 0
    err = capsys.readouterr().err
    assert "warning: 1 id in column 'id' appears more than once (3 rows)" in err and _no_report_text(err)
    assert pd.read_csv(out)["id"].tolist() == ["a", "b", "a", "a", "c"]


def test_no_header_reads_a_header_less_table_of_several_columns(mined, tmp_path, capsys):
    texts = pd.read_csv(REPORTS, dtype=str, keep_default_na=False)["诊断"].head(30)
    source = tmp_path / "bare.csv"
    pd.DataFrame({"t": texts, "extra": range(30)}).to_csv(source, index=False, header=False)
    out = tmp_path / "labels.csv"
    assert _label(source, mined / "label_map.csv", out) == 2  # the first report would be taken as a header
    assert _no_report_text(capsys.readouterr().err)
    assert _label(source, mined / "label_map.csv", out, "--no-header") == 0
    labels = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert labels["Reports"].tolist() == texts.tolist()


@pytest.mark.parametrize("name", ["clusters.csv", "assignments.csv", "clusters.html", "new.csv"])
def test_label_never_replaces_a_file_of_the_mine_folder(mined, reports, tmp_path, capsys, name):
    """Issue 22, case 5: the mine's review files are outputs of zh mine; zh label may add a file beside them
    but never replaces one."""
    folder = tmp_path / "m"
    shutil.copytree(mined, folder)
    target = folder / name
    before = target.read_bytes() if target.exists() else None
    code = _label(reports, folder / "label_map.csv", target)
    if before is None:
        assert code == 0 and target.is_file()
        return
    assert code == 2
    err = capsys.readouterr().err
    assert f"{target}: is an output of `zh mine` in {folder}" in err and "--output" in err
    assert target.read_bytes() == before and not list(folder.glob("*.parts"))


def test_label_to_standard_output_and_devices(mined, reports, tmp_path, capfd):
    """Issue 22, case 1: -o - writes the labels alone to standard output; /dev/null stays a device."""
    assert _label(reports, mined / "label_map.csv", Path("-")) == 0
    out = capfd.readouterr().out
    assert out.startswith("id,") and "wrote" not in out
    assert _label(reports, mined / "label_map.csv", tmp_path / "x.csv") == 0
    assert out.encode("utf-8") == (tmp_path / "x.csv").read_bytes()
    assert _label(reports, mined / "label_map.csv", Path("/dev/null")) == 0
    assert Path("/dev/null").is_char_device()
    assert _label(reports, mined / "label_map.csv", Path("/dev/full")) == 2
    assert capfd.readouterr().err.strip().splitlines() == [
        "cxrlabel: error: /dev/full: cannot write (No space left on device); free some disk space"]
    assert Path("/dev/full").is_char_device()


def test_second_label_run_is_told_zh_label(mined, reports, tmp_path, capsys):
    """The lock names the command that holds it (it said "another cxrlabel extract")."""
    from cxrlabel.archive.parts import PartStore

    output = tmp_path / "labels.csv"
    with PartStore.claim(output, "cxrlabel zh label"):
        assert _label(reports, mined / "label_map.csv", output) == 2
    assert f"another cxrlabel zh label (PID {os.getpid()}) is writing to {output}" in capsys.readouterr().err


def test_a_failed_run_leaves_no_semaphore_warning(mined, reports, tmp_path):
    """A run stopped while its workers label (here: the disk fills as the first part is saved) says one line:
    tqdm made a semaphore in each worker, which the stopped workers left for the resource tracker to warn of."""
    import subprocess
    import sys

    script = ("import errno, sys\n"
              "from cxrlabel.archive import parts\n"
              "def full(store, result):\n"
              "    raise parts.write_error(store.folder / 'part.csv', OSError(errno.ENOSPC, 'No space left on device'))\n"
              "parts.PartStore.add = full\n"
              "from cxrlabel.cli import main\n"
              "sys.exit(main(sys.argv[1:]))\n")
    done = subprocess.run([sys.executable, "-c", script, "zh", "label", str(reports), "--label-map",
                           str(mined / "label_map.csv"), "-o", str(tmp_path / "l.csv"), "--workers", "2",
                           "--chunk-size", "40", "--batch-size", "20"],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"cxrlabel: error: {tmp_path / 'l.csv.parts' / 'part.csv'}: cannot write (No space left on device); free some "
        "disk space"], done.stderr
