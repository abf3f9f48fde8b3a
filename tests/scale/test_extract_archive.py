"""`cxrlabel extract` at archive scale: chunks and workers do not change the output, formats, folders,
resuming after a kill or a full disk, clear refusals, and messages without report text."""
import errno
import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from cxrlabel import output_guard
from tests.conftest import ROOT, spacy_model_available
from tests.scale.conftest import reports_frame

NONE = ("--parser", "none")


def labelled(extract, source, out, *args):
    """Run extract with ids and mentions; returns (labels bytes, mentions bytes)."""
    mentions = out.with_name(out.name + ".mentions.jsonl")
    code, err = extract(source, "--id-column", "study", "-o", out, "--mentions-out", mentions, "-q", *args)
    assert code == 0, err
    return out.read_bytes(), mentions.read_bytes()


def test_chunk_size_does_not_change_a_byte(reports_csv, tmp_path, extract):
    source = reports_csv(400)
    runs = [labelled(extract, source, tmp_path / f"l{size}.csv", "--chunk-size", size, *NONE) for size in (3, 64, 10_000)]
    assert runs[0] == runs[1] == runs[2]
    frame = pd.read_csv(tmp_path / "l3.csv")
    assert frame["study"].tolist() == reports_frame(400)["study"].tolist()  # every row once, in order
    assert not (tmp_path / "l3.csv.parts").exists()  # removed once the output is written
    first = json.loads(runs[0][1].splitlines()[0])
    assert first["report"] == "s000000" and {"observation", "label", "rule"} <= set(first)


def test_two_workers_give_the_output_of_one(reports_csv, tmp_path, extract):
    parser = ("--parser", "spacy") if spacy_model_available() else NONE
    source = reports_csv(300)
    one = labelled(extract, source, tmp_path / "one.csv", "--workers", 1, "--chunk-size", 50, *parser)
    two = labelled(extract, source, tmp_path / "two.csv", "--workers", 2, "--chunk-size", 50, *parser)
    assert one == two


def test_parquet_file_and_folders_hold_the_same_rows(reports_csv, tmp_path, extract):
    source = reports_csv(120)
    labelled(extract, source, tmp_path / "labels.csv", "--chunk-size", 50, *NONE)
    expected = pd.read_csv(tmp_path / "labels.csv", dtype={"study": str}, keep_default_na=False, na_values=[""])
    code, err = extract(source, "--id-column", "study", "-o", tmp_path / "labels.parquet", "--chunk-size", 50, "-q", *NONE)
    assert code == 0, err
    as_parquet = pd.read_parquet(tmp_path / "labels.parquet")
    pd.testing.assert_frame_equal(as_parquet.drop(columns="Reports"), expected.drop(columns="Reports"), check_dtype=False)
    for fmt in ("csv", "parquet"):
        folder = tmp_path / f"out_{fmt}"
        code, err = extract(source, "--id-column", "study", "-o", f"{folder}/", "--output-format", fmt,
                            "--chunk-size", 50, "-q", *NONE)
        assert code == 0, err
        files = sorted(f for f in folder.iterdir() if not f.name.startswith("."))  # beside our marker
        assert [f.name for f in files] == [f"part-00000{i}.{fmt}" for i in range(3)]
        read = pd.read_parquet if fmt == "parquet" else lambda f: pd.read_csv(f, dtype={"study": str})
        together = pd.concat([read(f) for f in files], ignore_index=True)
        assert together["study"].tolist() == expected["study"].tolist()
        assert together["Pleural Effusion"].equals(expected["Pleural Effusion"])


def test_a_folder_of_part_files_is_one_input(tmp_path, extract):
    frame = reports_frame(90)
    folder = tmp_path / "archive"
    folder.mkdir()
    for n, start in enumerate(range(0, 90, 40)):
        frame.iloc[start:start + 40].to_parquet(folder / f"part-{n}.parquet", index=False)
    frame.to_csv(tmp_path / "whole.csv", index=False)
    whole = labelled(extract, tmp_path / "whole.csv", tmp_path / "a.csv", *NONE)
    parted = labelled(extract, folder, tmp_path / "b.csv", *NONE)
    assert whole == parted


def test_resume_after_a_kill_equals_an_uninterrupted_run(reports_csv, tmp_path, extract):
    source = reports_csv(20_000)
    out = tmp_path / "killed.csv"
    command = [sys.executable, "-m", "cxrlabel", "extract", str(source), "--id-column", "study", "-o", str(out),
               "--mentions-out", str(tmp_path / "killed.jsonl"), "--chunk-size", "100", "--workers", "2", "-q", *NONE]
    run = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stderr=subprocess.PIPE)
    manifest = tmp_path / "killed.csv.parts" / "manifest.json"
    deadline = time.time() + 120
    while time.time() < deadline and run.poll() is None:
        try:
            if len(json.loads(manifest.read_text())["parts"]) >= 3:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    os.killpg(run.pid, signal.SIGKILL)  # the main process and its workers, mid-run
    run.wait()
    done = len(json.loads(manifest.read_text())["parts"])
    assert 3 <= done < 200 and not out.exists()

    again = (source, "--id-column", "study", "-o", out, "--mentions-out", tmp_path / "killed.jsonl", *NONE)
    code, err = extract(*again, "--chunk-size", 100)
    assert code == 2 and "holds an unfinished run" in err and "add --resume" in err
    code, err = extract(*again, "--resume")  # the chunk size is taken from the manifest
    assert code == 0, err
    assert f"resuming: {done * 100} rows in {done} parts are done" in err
    clean = labelled(extract, source, tmp_path / "clean.csv", "--chunk-size", 100, *NONE)
    assert (out.read_bytes(), (tmp_path / "killed.jsonl").read_bytes()) == clean
    assert not (tmp_path / "killed.csv.parts").exists()


def test_resume_is_refused_when_the_input_or_labelling_options_changed(reports_csv, tmp_path, extract, monkeypatch):
    source = reports_csv(100)
    out = tmp_path / "l.csv"
    code, err = extract(source, "-o", out, "--chunk-size", 10, "--keep-parts", "-q", *NONE)
    assert code == 0, err
    code, err = extract(source, "-o", out, "--resume", "--parser", "spacy", "--sections", "all", "-q")
    assert code == 2 and "--parser was 'none', now 'spacy'" in err and "--sections was 'default', now 'all'" in err
    code, err = extract(source, "-o", out, "--resume", "--workers", 2, "--no-cache", "--keep-parts", "-q", *NONE)
    assert code == 0, err  # workers and cache do not change labels
    source.write_text(source.read_text() + "s999999,No edema.\n")
    code, err = extract(source, "-o", out, "--resume", "-q", *NONE)
    assert code == 2 and "the input changed" in err and len(err.strip().splitlines()) == 1


def test_a_full_disk_stops_cleanly_and_the_parts_resume(reports_csv, tmp_path, extract, monkeypatch):
    source = reports_csv(500)
    commit = output_guard._commit
    calls = {"n": 0}

    def disk_fills_up(tmp, path):
        calls["n"] += 1
        if calls["n"] > 7:  # the marker, the manifest, then two chunks of labels, mentions and manifest
            with open(tmp, "r+b") as half:
                half.truncate(tmp.stat().st_size // 2)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))
        commit(tmp, path)

    monkeypatch.setattr(output_guard, "_commit", disk_fills_up)
    out = tmp_path / "l.csv"
    args = (source, "--id-column", "study", "-o", out, "--mentions-out", tmp_path / "m.jsonl", "--chunk-size", 100, *NONE)
    code, err = extract(*args)
    assert code == 2 and "Traceback" not in err
    message = err.strip().splitlines()[-1]
    assert "No space left on device" in message and "the 2 finished parts are kept" in message and "--resume" in message
    assert not list((tmp_path / "l.csv.parts").glob(".*.tmp"))  # the half-written part went with its error
    monkeypatch.setattr(output_guard, "_commit", commit)
    code, err = extract(*args, "--resume")
    assert code == 0, err
    assert (out.read_bytes(), (tmp_path / "m.jsonl").read_bytes()) == labelled(
        extract, source, tmp_path / "clean.csv", "--chunk-size", 100, *NONE)


def read_only(folder):
    """Make a folder unwritable, even for root (chattr +i); skip where neither works."""
    folder.chmod(0o555)
    probe = folder / ".probe"
    try:
        probe.touch()
    except OSError:
        return lambda: folder.chmod(0o755)
    probe.unlink()
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        folder.chmod(0o755)
        pytest.skip("cannot make a folder read-only here (root without chattr)")
    return lambda: (subprocess.run(["chattr", "-i", str(folder)]), folder.chmod(0o755))


def test_a_read_only_output_folder_is_explained_and_the_parts_stay_usable(reports_csv, tmp_path, extract):
    source = reports_csv(300)
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "l.csv"
    undo = read_only(folder)
    try:
        code, err = extract(source, "-o", out, "--chunk-size", 100, "-q", *NONE)
        assert code == 2 and "cannot write" in err and f"make {folder} writable" in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    finally:
        undo()
    code, err = extract(source, "-o", out, "--chunk-size", 100, "--keep-parts", "-q", *NONE)
    assert code == 0, err
    expected = out.read_bytes()
    out.unlink()
    undo = read_only(folder)  # the parts folder stays writable; the final file cannot be created
    try:
        code, err = extract(source, "-o", out, "--chunk-size", 100, "--resume", "-q", *NONE)
        assert code == 2 and "the 3 finished parts are kept" in err and not out.exists()
    finally:
        undo()
    code, err = extract(source, "-o", out, "--resume", "-q", *NONE)
    assert code == 0, err
    assert out.read_bytes() == expected


def test_an_unfinished_run_is_never_overwritten_without_resume(reports_csv, tmp_path, extract):
    source = reports_csv(50)
    out = tmp_path / "l.csv"
    (tmp_path / "l.csv.parts").mkdir()
    (tmp_path / "l.csv.parts" / "notes.txt").write_text("mine")
    code, err = extract(source, "-o", out, "-q", *NONE)
    assert code == 2 and "not a part folder of cxrlabel" in err
    code, err = extract(source, "-o", tmp_path / "fresh.csv", "--resume", *NONE)
    assert code == 0 and "nothing to resume" in err


def test_a_report_that_fails_is_named_by_row_and_id_never_by_text(tmp_path, extract, breaks_on_marker):
    frame = reports_frame(30)
    frame.loc[23, "report"] = "UNREADABLE patient Jane Doe, no effusion"
    source = tmp_path / "r.csv"
    frame.to_csv(source, index=False)
    code, err = extract(source, "--id-column", "study", "--chunk-size", 10, "--workers", 1, *NONE)  # patched here
    assert code == 2 and "row 24 (id 's000023')" in err and "cannot split this report" in err
    assert "Jane Doe" not in err and "--log-text" in err
    assert not (tmp_path / "r_labels.csv.parts").exists()  # the input must be fixed, so no parts are kept
    code, err = extract(source, "--id-column", "study", "--chunk-size", 10, "--workers", 1, "--log-text", *NONE)
    assert code == 2 and "row 24" in err and "Jane Doe" in err


def test_the_summary_counts_and_reports_the_cache(reports_csv, tmp_path, extract):
    source = reports_csv(300)
    code, err = extract(source, "-o", tmp_path / "a.csv", "--chunk-size", 100, "--workers", 2, *NONE)
    assert code == 0 and "labelled 300 reports" in err and "sentences reused (2 workers)" in err
    assert "No pneumothorax" not in err  # counts, never text
    code, err = extract(source, "-o", tmp_path / "b.csv", "--no-cache", *NONE)
    assert code == 0 and "sentence cache off" in err


BLOCK_SOCKETS = """
import os, socket
def refuse(*args, **kwargs):
    raise OSError("network use blocked by the test")
class NoSocket(socket.socket):
    def __init__(self, *args, **kwargs):
        refuse()
socket.socket = NoSocket
socket.create_connection = socket.socketpair = socket.fromfd = refuse
with open(os.environ["BLOCKED_PIDS"], "a") as f:
    f.write(f"{os.getpid()}\\n")
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_extract_runs_with_every_socket_blocked(reports_csv, tmp_path, workers):
    """No network at run time: every process (main and workers) starts with socket creation disabled."""
    (tmp_path / "sitecustomize.py").write_text(BLOCK_SOCKETS)
    pids = tmp_path / "pids.txt"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]), "BLOCKED_PIDS": str(pids)}
    parser = [] if spacy_model_available() else list(NONE)
    source = reports_csv(200)
    done = subprocess.run([sys.executable, "-m", "cxrlabel", "extract", str(source), "--batch-size", "50",
                           "--workers", str(workers), "-o", str(tmp_path / "l.csv"), "-q", *parser],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(tmp_path / "l.csv")) == 200
    assert len(pids.read_text().split()) >= 1 + (workers if workers > 1 else 0)
    check = subprocess.run([sys.executable, "-c", "import socket; socket.create_connection(('127.0.0.1', 9))"],
                           env=env, capture_output=True, text=True)
    assert "blocked by the test" in check.stderr  # the block is real


def test_help_teaches_the_archive_options(capsys):
    from cxrlabel.cli import main

    with pytest.raises(SystemExit):
        main(["extract", "--help"])
    out = capsys.readouterr().out
    for option in ("--workers", "--chunk-size", "--resume", "--keep-parts", "--engine", "--scheduler", "--no-cache",
                   "--log-text", "--output-format"):
        assert option in out
    assert "archive scale:" in out and "--engine dask --scheduler tcp://" in out and "extract archive.csv -o labels.csv --resume" in out


@pytest.mark.usefixtures("spacy_model")
def test_a_spacy_worker_labels_without_loading_torch_or_scipy():
    # start_worker runs before anything is imported, as in a fresh worker: nltk then meets a missing scipy
    code = ("import sys\n"
            "from cxrlabel.archive.local_engine import start_worker\n"
            "from cxrlabel.en.labeler import LabelerConfig\n"
            "start_worker(LabelerConfig().unused_packages())\n"
            "from cxrlabel.en.labeler import pipeline_for\n"
            "print(pipeline_for(LabelerConfig()).label(['No pleural effusion. Mild cardiomegaly.'])[0].labels['Pleural Effusion'])\n"
            "print('torch' in sys.modules, 'scipy' in sys.modules)\n"
            "from threadpoolctl import threadpool_info\n"
            "print(sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}))\n"
            "try:\n"
            "    import torch\n"
            "except ModuleNotFoundError as exc:\n"
            "    print(exc.name)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.splitlines() == ["0.0", "False False", "[1]", "torch"]


def test_only_stanza_or_a_named_spacy_model_may_need_torch():
    from cxrlabel.en.labeler import LabelerConfig

    assert not LabelerConfig().needs_torch() and not LabelerConfig(parser="none").needs_torch()
    assert LabelerConfig().unused_packages() == ("torch", "scipy") and LabelerConfig(parser="stanza").unused_packages() == ()
    assert LabelerConfig(parser="stanza").needs_torch()
    assert LabelerConfig(spacy_model="en_core_web_trf").needs_torch()
