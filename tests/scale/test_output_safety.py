"""`cxrlabel extract` never deletes or overwrites what it did not make: the user's folders and files
beside the output, an input reached through a link, a parts folder another run is writing; and a bad
input leaves nothing behind that blocks the next run."""
import json
import os
import signal
import stat
import subprocess
import sys
import time

import pandas as pd
import pytest

from cxrlabel.archive import parts
from cxrlabel.output_guard import MARKER, is_ours
from tests.conftest import ROOT
from tests.scale.conftest import reports_frame

NONE = ("--parser", "none")


def tree(folder):
    """Every path under `folder` with its file contents, to show nothing was touched."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def test_a_folder_output_holding_the_users_files_is_refused_before_labelling(reports_csv, tmp_path, extract):
    source = reports_csv(30)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "notes.txt").write_text("mine")
    (tmp_path / "results.old").mkdir()
    (tmp_path / "results.old" / "draft.csv").write_text("also mine")
    before = tree(tmp_path)
    code, err = extract(source, "-o", f"{tmp_path / 'results'}/", "-q", *NONE)
    assert code == 2 and "results: this folder holds files that cxrlabel did not write" in err
    assert "give --output a new or empty folder" in err and len(err.strip().splitlines()) == 1
    assert tree(tmp_path) == before  # not even a parts folder was made


def test_replacing_our_own_output_folder_leaves_its_siblings_alone(reports_csv, tmp_path, extract):
    source = reports_csv(30)
    out = tmp_path / "results"
    code, err = extract(source, "-o", f"{out}/", "--chunk-size", 10, "-q", *NONE)
    assert code == 0, err
    assert is_ours(out) and sorted(p.name for p in out.iterdir()) == [MARKER] + [f"part-00000{i}.csv" for i in range(3)]
    (tmp_path / "results.old").mkdir()
    (tmp_path / "results.old" / "draft.csv").write_text("mine")
    (tmp_path / "results.tmp").write_text("mine too")
    (tmp_path / "results.parts.tmp").write_text("and this")
    siblings = {name: tree(tmp_path / name) if (tmp_path / name).is_dir() else (tmp_path / name).read_bytes()
                for name in ("results.old", "results.tmp", "results.parts.tmp")}
    code, err = extract(source, "-o", f"{out}/", "--chunk-size", 15, "-q", *NONE)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "part-000000.csv", "part-000001.csv"]  # replaced whole
    assert siblings == {name: tree(tmp_path / name) if (tmp_path / name).is_dir() else (tmp_path / name).read_bytes()
                        for name in siblings}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["reports.csv", "results", *siblings])  # no leftovers


def test_an_empty_folder_output_is_taken_and_marked(reports_csv, tmp_path, extract):
    out = tmp_path / "empty"
    out.mkdir()
    code, err = extract(reports_csv(10), "-o", out, "-q", *NONE)  # an existing folder is a folder output
    assert code == 0, err
    assert is_ours(out) and (out / "part-000000.csv").is_file()


def test_an_output_in_folders_still_to_be_made_makes_them(reports_csv, tmp_path, extract):
    out = tmp_path / "new" / "sub" / "labels.csv"
    code, err = extract(reports_csv(10), "-o", out, "-q", *NONE)
    assert code == 0, err
    assert len(pd.read_csv(out)) == 10 and not (tmp_path / "new" / "sub" / "labels.csv.parts").exists()


def test_a_file_output_never_removes_a_users_tmp_file(reports_csv, tmp_path, extract):
    source = reports_csv(30)
    (tmp_path / "l.csv.tmp").write_text("my notes")
    (tmp_path / "m.jsonl.tmp").write_text("more notes")
    code, err = extract(source, "-o", tmp_path / "l.csv", "--mentions-out", tmp_path / "m.jsonl", "-q", *NONE)
    assert code == 0, err
    assert (tmp_path / "l.csv.tmp").read_text() == "my notes" and (tmp_path / "m.jsonl.tmp").read_text() == "more notes"
    assert len(pd.read_csv(tmp_path / "l.csv")) == 30 and (tmp_path / "m.jsonl").stat().st_size
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.csv", "l.csv.tmp", "m.jsonl", "m.jsonl.tmp", "reports.csv"]


def test_the_parts_folder_is_marked_and_one_of_an_older_version_is_still_ours(reports_csv, tmp_path, extract):
    source = reports_csv(30)
    out = tmp_path / "l.csv"
    code, err = extract(source, "-o", out, "--chunk-size", 10, "--keep-parts", "-q", *NONE)
    assert code == 0, err
    folder = tmp_path / "l.csv.parts"
    assert is_ours(folder)
    expected = out.read_bytes()
    (folder / MARKER).unlink()  # as an older cxrlabel left it: a manifest of ours, no marker
    out.unlink()
    code, err = extract(source, "-o", out, "--resume", "-q", *NONE)
    assert code == 0, err
    assert out.read_bytes() == expected and not folder.exists()


def test_a_users_parts_folder_is_neither_used_nor_discarded(reports_csv, tmp_path, extract):
    folder = tmp_path / "l.csv.parts"
    folder.mkdir()
    (folder / parts.MANIFEST).write_text('{"parts": []}')  # someone else's manifest
    code, err = extract(reports_csv(10), "-o", tmp_path / "l.csv", "--resume", "-q", *NONE)
    assert code == 2 and "not a part folder of cxrlabel" in err
    assert [p.name for p in folder.iterdir()] == [parts.MANIFEST]


def link(kind, target, name):
    if kind == "symlink":
        name.symlink_to(target)
    else:
        os.link(target, name)
    return name


@pytest.mark.parametrize("kind", ["symlink", "hard link"])
def test_an_output_that_is_the_input_under_another_name_is_refused(reports_csv, tmp_path, extract, kind):
    source = reports_csv(10)
    original = source.read_bytes()
    alias = link(kind, source, tmp_path / "alias.csv")
    code, err = extract(source, "-o", alias, "-q", *NONE)
    assert code == 2 and "--output would overwrite the input" in err
    code, err = extract(source, "-o", tmp_path / "l.csv", "--mentions-out", alias, "-q", *NONE)
    assert code == 2 and "--mentions-out would overwrite the input" in err
    assert source.read_bytes() == original and alias.read_bytes() == original
    assert not (tmp_path / "l.csv").exists()


@pytest.mark.parametrize("kind", ["symlink", "hard link"])
def test_mentions_that_would_replace_the_labels_are_refused(reports_csv, tmp_path, extract, kind):
    source = reports_csv(10)
    labels = tmp_path / "l.csv"
    labels.write_text("an earlier output\n")
    code, err = extract(source, "-o", labels, "--mentions-out", link(kind, labels, tmp_path / "m.jsonl"), "-q", *NONE)
    assert code == 2 and f"--mentions-out would overwrite the labels (-o) {labels}" in err
    assert labels.read_text() == "an earlier output\n"


def test_an_output_folder_holding_the_input_is_refused(tmp_path, extract):
    data = tmp_path / "data"
    data.mkdir()
    reports_frame(10).to_csv(data / "r.csv", index=False)
    code, err = extract(data / "r.csv", "-o", f"{data}/", "-q", *NONE)
    assert code == 2 and "holds the input" in err
    assert [p.name for p in data.iterdir()] == ["r.csv"]


def bad_part(folder, kind):
    """A folder input whose second file cannot be labelled: it lacks the report column, or is not Parquet."""
    frame = reports_frame(40)
    if kind == "csv":
        frame.iloc[:20].to_csv(folder / "a.csv", index=False)
        frame.iloc[20:].rename(columns={"report": "notes"}).to_csv(folder / "b.csv", index=False)
        return lambda: frame.iloc[20:].to_csv(folder / "b.csv", index=False)
    frame.iloc[:20].to_parquet(folder / "a.parquet", index=False)
    (folder / "b.parquet").write_bytes(b"not parquet at all")
    return lambda: frame.iloc[20:].to_parquet(folder / "b.parquet", index=False)


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_bad_file_in_a_folder_input_leaves_nothing_behind(tmp_path, extract, kind):
    folder = tmp_path / "archive"
    folder.mkdir()
    fix = bad_part(folder, kind)
    out = tmp_path / "l.csv"
    code, err = extract(folder, "--column", "report", "-o", out, "--chunk-size", 5, "--workers", 1, "-q", *NONE)
    assert code == 2 and f"b.{kind}" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archive"]
    fix()
    code, err = extract(folder, "--column", "report", "-o", out, "--chunk-size", 5, "--workers", 1, "-q", *NONE)
    assert code == 0, err
    assert len(pd.read_csv(out)) == 40


def test_an_empty_parts_folder_left_by_an_older_version_does_not_block_the_next_run(reports_csv, tmp_path, extract):
    source = reports_csv(10)
    folder = tmp_path / "l.csv.parts"
    folder.mkdir()
    (folder / parts.MANIFEST).write_text(json.dumps({"cxrlabel_parts": 1, "identity": {}, "columns": None, "parts": []}))
    code, err = extract(source, "-o", tmp_path / "l.csv", "-q", *NONE)  # nothing was done there, so nothing to resume
    assert code == 0, err
    assert not folder.exists()


def test_a_run_that_holds_the_parts_folder_refuses_a_second_one(reports_csv, tmp_path, extract):
    source = reports_csv(10)
    folder = tmp_path / "l.csv.parts"
    with parts.PartStore.claim(tmp_path / "l.csv"):  # as a run in this process would hold it
        code, err = extract(source, "-o", tmp_path / "l.csv", "--resume", "-q", *NONE)
    assert code == 2 and f"another cxrlabel extract (PID {os.getpid()}) is writing to {tmp_path / 'l.csv'}" in err
    assert "wait for it to finish" in err and "--resume" not in err
    code, err = extract(source, "-o", tmp_path / "l.csv", "-q", *NONE)  # released on leaving the block
    assert code == 0, err
    assert not folder.exists()  # and the finished run took its parts folder away


def test_a_second_run_on_the_same_output_waits_for_the_first(reports_csv, tmp_path, extract):
    source = reports_csv(20_000)
    out = tmp_path / "l.csv"
    command = [sys.executable, "-m", "cxrlabel", "extract", str(source), "-o", str(out), "--chunk-size", "100",
               "--workers", "1", "-q", *NONE]
    first = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stderr=subprocess.PIPE)
    manifest = tmp_path / "l.csv.parts" / parts.MANIFEST
    try:
        deadline = time.time() + 120
        while time.time() < deadline and first.poll() is None:
            try:
                if json.loads(manifest.read_text())["parts"]:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        assert first.poll() is None, first.stderr.read()
        code, err = extract(source, "-o", out, "--chunk-size", 100, "--resume", "-q", *NONE)  # the old advice
        assert first.poll() is None  # the refusal came while the first run was alive
        assert code == 2 and f"another cxrlabel extract (PID {first.pid}) is writing to {out}" in err
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    code, err = extract(source, "-o", out, "--resume", "-q", *NONE)  # a killed run holds nothing
    assert code == 0, err
    assert len(pd.read_csv(out)) == 20_000


def test_the_lock_is_released_after_an_error_and_after_ctrl_c(reports_csv, tmp_path, extract, monkeypatch):
    source = reports_csv(300)
    out = tmp_path / "l.csv"
    folder = tmp_path / "l.csv.parts"
    add = parts.PartStore.add
    calls = {"n": 0}

    def interrupted(self, result):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        add(self, result)

    monkeypatch.setattr(parts.PartStore, "add", interrupted)
    code, err = extract(source, "-o", out, "--chunk-size", 100, "--workers", 1, "-q", *NONE)
    assert code == 130 and "interrupted" in err
    monkeypatch.setattr(parts.PartStore, "add", add)
    with parts.PartStore.claim(tmp_path / "l.csv"):  # free again, and the finished part is kept
        pass
    assert len(json.loads((folder / parts.MANIFEST).read_text())["parts"]) == 1
    code, err = extract(source, "-o", out, "--chunk-size", 100, "--no-header", "--resume", "-q", *NONE)
    assert code == 2 and "--no-header was False, now True" in err  # refused, and the lock let go
    with parts.PartStore.claim(tmp_path / "l.csv"):
        pass
    code, err = extract(source, "-o", out, "--resume", "-q", *NONE)
    assert code == 0, err
    assert len(pd.read_csv(out)) == 300


def test_repeated_ids_are_counted_across_chunks(tmp_path, extract):
    frame = reports_frame(20)
    frame.loc[[0, 7, 13, 19], "study"] = "a"
    frame.loc[[2, 11], "study"] = "b"
    frame.loc[[4, 5], "study"] = "c"
    frame.loc[9, "report"] = "Jane Doe: no effusion."
    frame.to_csv(tmp_path / "r.csv", index=False)
    code, err = extract(tmp_path / "r.csv", "--id-column", "study", "-o", tmp_path / "l.csv", "--chunk-size", 3, "-q", *NONE)
    assert code == 0, err
    assert err.strip() == ("cxrlabel: warning: 3 ids in column 'study' appear more than once (8 rows); every row is "
                           "kept, in input order, and `cxrlabel evaluate` refuses duplicate ids, so make them unique "
                           "before scoring")
    code, err = extract(tmp_path / "r.csv", "-o", tmp_path / "m.csv", "-q", *NONE)  # no ids given: nothing to warn
    assert code == 0 and err == ""


def test_unique_ids_give_no_warning(reports_csv, tmp_path, extract):
    code, err = extract(reports_csv(30), "--id-column", "study", "-o", tmp_path / "l.csv", "--chunk-size", 7, "-q", *NONE)
    assert code == 0 and err == ""


@pytest.fixture
def devices(tmp_path_factory):
    """(null, full): as root, private device nodes of /dev/null and /dev/full, so that a regression of this test
    cannot destroy the machine's own (a rename by root would make them regular files); else the real ones,
    which a user cannot rename over anyway."""
    if os.geteuid() != 0:
        return "/dev/null", "/dev/full"
    folder = tmp_path_factory.mktemp("dev")
    made = []
    for name in ("null", "full"):
        os.mknod(folder / name, 0o666 | stat.S_IFCHR, os.stat(f"/dev/{name}").st_rdev)
        made.append(str(folder / name))
    try:
        open(made[0], "wb").close()
    except OSError:  # a file system mounted nodev
        return "/dev/null", "/dev/full"
    return tuple(made)


@pytest.mark.parametrize("flag", ["-o", "--mentions-out"])
def test_a_device_output_is_written_into_never_replaced(reports_csv, tmp_path, extract, devices, flag):
    """Issue 22, case 1: -o /dev/null (as root, a rename made the device a regular file) discards; /dev/full
    says it is full, in one line; both stay devices, and no parts or temporary files are left."""
    null, full = devices
    source = reports_csv(30)
    other = ["-o", str(tmp_path / "l.csv")] if flag == "--mentions-out" else []
    code, err = extract(source, flag, null, *other, "--chunk-size", 10, "-q", *NONE)
    assert code == 0, err
    code, err = extract(source, flag, full, *other, "--chunk-size", 10, "-q", *NONE)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1
    assert lines[0].startswith(f"cxrlabel: error: {full}: cannot write (No space left on device); ")
    for device in devices:
        assert stat.S_ISCHR(os.stat(device).st_mode)
    assert not list(tmp_path.glob(".*.tmp"))
    # labels to a device keep no parts; labels to a file keep theirs for --resume (with another --mentions-out)
    assert [p.name for p in tmp_path.glob("*.parts")] == (["l.csv.parts"] if other else [])


def test_a_fifo_reader_gets_the_labels(reports_csv, tmp_path, extract):
    """A FIFO (or a shell's >(cmd), a pipe named /dev/fd/N) is written into as `cat > fifo` would, and the
    run offers no --resume, which could not help it."""
    import threading

    source = reports_csv(30)
    code, err = extract(source, "-o", str(tmp_path / "file.csv"), "--chunk-size", 10, "-q", *NONE)
    assert code == 0, err
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    code, err = extract(source, "-o", str(fifo), "--chunk-size", 10, "-q", *NONE)
    reader.join()
    assert code == 0, err
    assert got == [(tmp_path / "file.csv").read_bytes()] and fifo.is_fifo()
    code, err = extract(source, "-o", str(fifo), "--resume", "-q", *NONE)
    assert code == 2 and "--resume: " in err and "keeps no parts beside it" in err
    read, write = os.pipe()  # what bash's >(cmd) passes: /dev/fd/N
    got = []
    reader = threading.Thread(target=lambda: got.append(os.fdopen(read, "rb").read()))
    reader.start()
    code, err = extract(source, "-o", f"/dev/fd/{write}", "--chunk-size", 10, "-q", *NONE)
    os.close(write)
    reader.join()
    assert code == 0 and got == [(tmp_path / "file.csv").read_bytes()], err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "file.csv", "reports.csv"]


def test_labels_to_standard_output(reports_csv, tmp_path, capfd):
    """-o - writes the labels alone to standard output (messages go to stderr), as -o FILE would write them."""
    from cxrlabel.cli import main

    source = reports_csv(30)
    assert main(["extract", str(source), "-o", str(tmp_path / "file.csv"), "--chunk-size", "10", *NONE]) == 0
    capfd.readouterr()
    assert main(["extract", str(source), "-o", "-", "--chunk-size", "10", *NONE]) == 0
    captured = capfd.readouterr()
    assert captured.out.encode("utf-8") == (tmp_path / "file.csv").read_bytes()
    assert "labelled 30 reports -> -" in captured.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.csv", "reports.csv"]
    assert main(["extract", str(source), "-o", "-", "--mentions-out", "-", *NONE]) == 2
    assert "--output and --mentions-out are both -" in capfd.readouterr().err


@pytest.mark.parametrize("path, stream", [("-", True), ("/dev/null", True), ("/dev/stdout", True),
                                          ("/proc/self/fd/1", True), ("/dev/shm/labels.csv", False),
                                          ("labels.csv", False)])
def test_which_outputs_are_written_into(path, stream):
    """/dev/stdout is written into even when the shell redirected it to a regular file (a rename would replace
    the link /dev/stdout itself); /dev/shm holds ordinary files, replaced as anywhere else."""
    from cxrlabel.output_guard import is_stream

    assert is_stream(path) is stream
