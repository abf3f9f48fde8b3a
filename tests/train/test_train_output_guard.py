"""evaluate -o, predict -o and cam --out never write over an input: the run's files, the label table, the images."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from cxrlabel.output_guard import is_ours
from cxrtrain.cli import main
from cxrtrain.inference.run_files import RUN_FILES


def fingerprint(*folders: Path) -> dict[str, str]:
    """Every file under the folders and a hash of its bytes, to show that nothing was touched."""
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def untouched(quick_run, small):
    """Fails the test if the run folder or the data set changed."""
    before = fingerprint(quick_run, small)
    yield
    assert fingerprint(quick_run, small) == before


def refused(argv: list[str], capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("cxrtrain: error: ") and "Traceback" not in err
    return err


def test_predict_never_writes_over_the_run_or_the_images(quick_run, small, cache_dir, tmp_path, capsys, untouched):
    predict = ["predict", "--run", str(quick_run), "--images", str(small / "images"), "--cache-dir", str(cache_dir)]
    assert "would overwrite the input" in refused(predict + ["-o", str(quick_run / "config.json")], capsys)
    assert "thresholds.json" in refused(predict + ["-o", str(quick_run / "thresholds.json")], capsys)
    (tmp_path / "link.csv").symlink_to(quick_run / "best.pt")
    assert "best.pt" in refused(predict + ["-o", str(tmp_path / "link.csv")], capsys)
    os.link(quick_run / "metrics.json", tmp_path / "hard.csv")
    assert "metrics.json" in refused(predict + ["-o", str(tmp_path / "hard.csv")], capsys)
    assert str(small / "images") in refused(predict + ["-o", str(small / "images" / "predictions.csv")], capsys)
    assert "holds the input" in refused(predict + ["-o", str(quick_run)], capsys)
    assert main(predict + ["-o", str(tmp_path / "new" / "predictions.csv")]) == 0
    assert (tmp_path / "new" / "predictions.csv").is_file()


def test_evaluate_never_writes_over_the_labels_or_the_run(quick_run, small, cache_dir, tmp_path, capsys, untouched):
    evaluate = ["evaluate", "--run", str(quick_run), "--cache-dir", str(cache_dir)]
    assert "labels.csv" in refused(evaluate + ["-o", str(small / "labels.csv")], capsys)
    os.link(small / "labels.csv", tmp_path / "hard.json")
    assert "labels.csv" in refused(evaluate + ["-o", str(tmp_path / "hard.json")], capsys)
    for name in RUN_FILES[:3]:
        assert name in refused(evaluate + ["-o", str(quick_run / name)], capsys)
    (tmp_path / "link.json").symlink_to(quick_run / "last.pt")
    assert "last.pt" in refused(evaluate + ["-o", str(tmp_path / "link.json")], capsys)
    other = ["--labels", str(small / "labels.csv"), "--images", str(small)]
    assert "labels.csv" in refused(evaluate + other + ["-o", str(small / "labels.csv")], capsys)
    assert main(evaluate + ["-o", str(tmp_path / "evaluation.json")]) == 0


def test_cam_claims_its_folder_and_never_writes_among_the_inputs(quick_run, small, tmp_path, capsys, untouched):
    image = str(small / "images" / "img0000.png")
    cam = ["cam", "--run", str(quick_run), image, "--out"]
    users = tmp_path / "mine"
    users.mkdir()
    (users / "notes.txt").write_text("keep me")
    assert "did not write" in refused(cam + [str(users)], capsys)
    assert sorted(p.name for p in users.iterdir()) == ["notes.txt"]
    assert "holds the input" in refused(cam + [str(small / "images")], capsys)
    (tmp_path / "images_link").symlink_to(small / "images")
    assert "holds the input" in refused(cam + [str(tmp_path / "images_link")], capsys)
    assert "would overwrite the input" in refused(cam + [image], capsys)
    assert "holds the input" in refused(cam + [str(quick_run)], capsys)
    for _ in range(2):  # a folder cam made is its own to write in again
        assert main(cam + [str(tmp_path / "cams")]) == 0
    assert is_ours(tmp_path / "cams") and len(list((tmp_path / "cams").glob("*_gradcam_*.png"))) == 1


def test_fit_starts_a_run_only_in_a_folder_of_its_own(small, cache_dir, tmp_path, capsys):
    users = tmp_path / "mine"
    users.mkdir()
    (users / "config.json").write_text("the user's")
    fit = ["fit", "--labels", str(small / "labels.csv"), "--images", str(small), "--arch", "resnet18", "--image-size",
           "32", "--epochs", "1", "--batch-size", "8", "--cache-dir", str(cache_dir), "--no-progress", "--out"]
    assert "did not write" in refused(fit + [str(users)], capsys)
    assert [p.name for p in users.iterdir()] == ["config.json"] and (users / "config.json").read_text() == "the user's"
    assert "is a file" in refused(fit + [str(small / "labels.csv")], capsys)
    assert main(fit + [str(tmp_path / "run")]) == 0 and is_ours(tmp_path / "run")


def test_special_files_are_written_into_and_standard_output_is_offered(quick_run, small, cache_dir, tmp_path, capfd):
    """Issue 22, case 1: evaluate, predict and export write into a device, a FIFO or standard output (-o -),
    never renaming over it; /dev/full is one line. (As root, a rename would turn /dev/null into a file: the
    devices here are private nodes then, so that a regression cannot harm the machine's own.)"""
    import stat
    import threading

    null, full = "/dev/null", "/dev/full"
    if os.geteuid() == 0:
        null, full = str(tmp_path / "null"), str(tmp_path / "full")
        for name, path in (("null", null), ("full", full)):
            os.mknod(path, 0o666 | stat.S_IFCHR, os.stat(f"/dev/{name}").st_rdev)
    predict = ["predict", "--run", str(quick_run), "--images", str(small / "images"), "--cache-dir", str(cache_dir)]
    assert main(predict + ["-o", str(tmp_path / "p.csv")]) == 0
    capfd.readouterr()
    assert main(predict + ["-o", "-"]) == 0
    captured = capfd.readouterr()
    assert captured.out.encode("utf-8") == (tmp_path / "p.csv").read_bytes() and "written to -" in captured.err
    evaluate = ["evaluate", "--run", str(quick_run), "--cache-dir", str(cache_dir)]
    assert main(["export", "--run", str(quick_run), "-o", null]) == 0  # (a full device is the same writer's case)
    for argv in (predict, evaluate):
        assert main(argv + ["-o", null]) == 0
        assert main(argv + ["-o", full]) == 2
        assert capfd.readouterr().err.strip().splitlines()[-1] == (
            f"cxrtrain: error: {full}: cannot write (No space left on device); free some disk space")
    assert all(stat.S_ISCHR(os.stat(device).st_mode) for device in (null, full))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert main(evaluate + ["-o", str(fifo)]) == 0
    reader.join()
    assert got[0].startswith(b"{") and b'"mean_auc"' in got[0] and fifo.is_fifo()
    assert not list(tmp_path.glob(".*.tmp"))


def test_no_command_replaces_a_file_another_one_wrote_in_its_folder(quick_run, small, cache_dir, tmp_path, capsys):
    """Issue 22, case 5, in cxrtrain: a run folder's files belong to fit and evaluate; predict may add a file
    there but not replace one of theirs, e.g. an evaluation report."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(quick_run, run)
    evaluate = ["evaluate", "--run", str(run), "--cache-dir", str(cache_dir)]
    assert main(evaluate) == 0 and main(evaluate) == 0  # evaluate replaces its own report in the run folder
    before = (run / "evaluation.json").read_bytes()
    predict = ["predict", "--run", str(run), "--images", str(small / "images"), "--cache-dir", str(cache_dir)]
    capsys.readouterr()
    err = refused(predict + ["-o", str(run / "evaluation.json")], capsys)
    assert f"{run / 'evaluation.json'}: is an output of `cxrtrain run` in {run}" in err and "--output" in err
    assert (run / "evaluation.json").read_bytes() == before
    assert main(predict + ["-o", str(run / "predictions.csv")]) == 0
