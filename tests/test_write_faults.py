"""Every command that writes meets a full disk and a read-only folder (issue 22, cases 6 and 18).

The faults are raised where the one writer (`cxrlabel.output_guard`) touches the disk, in-process:
ENOSPC when a finished temporary file is put in place (the first and the last file a command writes),
EROFS when a file or folder is created. A real read-only folder is also tried: as root, chmod does not stop
writes, so the command runs with the effective user id of `nobody` (skipped where that is not possible).
Each must end with one line on stderr naming the file, exit 2, and leave no partial or temporary file.
"""
from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd
import pytest

from cxrlabel import output_guard
from cxrlabel.cli import main as cxrlabel_main
from cxrtrain.cli import main as cxrtrain_main
from cxrtrain.training.fit import fit

from .train.synthetic import make_dataset, quick_options

ZH_REPORTS = Path(__file__).resolve().parents[1] / "corpora" / "zh" / "reports.csv"


@pytest.fixture(scope="module")
def world() -> Iterator[Path]:
    """Tiny inputs of every command, and a finished run and mine folder; readable by every user (0755), so a
    command may also run as `nobody`."""
    folder = Path(tempfile.mkdtemp(prefix="cxr-write-faults-"))
    try:
        folder.chmod(0o755)
        pd.DataFrame({"id": [1, 2, 3], "Reports": ["No pleural effusion.", "Mild cardiomegaly.", "Normal chest."]}
                     ).to_csv(folder / "reports.csv", index=False)
        pd.read_csv(ZH_REPORTS, dtype=str).head(60).to_csv(folder / "zh.csv", index=False)
        assert cxrlabel_main(["zh", "mine", str(folder / "zh.csv"), "-k", "3", "--out", str(folder / "mined")]) == 0
        make_dataset(folder / "data", n=24, size=32, seed=1)
        fit(quick_options(folder / "data", folder / "run", folder / "cache", epochs=1))
        for path in [folder, *folder.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0))
        (folder / "cache").chmod(0o777)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _commands(w: Path, out: Path) -> dict[str, tuple[Callable[[list[str]], int], list[str]]]:
    """Each writing command, writing into `out` (the zh split target is a copy of the mine folder there)."""
    run, image = str(w / "run"), str(w / "data" / "images" / "img0001.png")
    return {
        "extract": (cxrlabel_main, ["extract", str(w / "reports.csv"), "-o", str(out / "l.csv"), "--parser", "none", "-q"]),
        "extract --mentions-out": (cxrlabel_main, ["extract", str(w / "reports.csv"), "-o", str(out / "l.csv"),
                                                   "--mentions-out", str(out / "m.jsonl"), "--parser", "none", "-q"]),
        "extract parquet": (cxrlabel_main, ["extract", str(w / "reports.csv"), "-o", str(out / "l.parquet"),
                                            "--parser", "none", "-q"]),
        "zh mine": (cxrlabel_main, ["zh", "mine", str(w / "zh.csv"), "-k", "3", "--out", str(out / "mined")]),
        "zh label": (cxrlabel_main, ["zh", "label", str(w / "zh.csv"), "--label-map", str(w / "mined" / "label_map.csv"),
                                     "-o", str(out / "zh.csv")]),
        "zh split": (cxrlabel_main, ["zh", "split", str(out / "mined"), "--cluster", "1"]),
        "fit": (cxrtrain_main, ["fit", "--labels", str(w / "data" / "labels.csv"), "--images", str(w / "data"),
                                "--out", str(out / "run"), "--arch", "resnet18", "--image-size", "32", "--epochs", "1",
                                "--batch-size", "8", "--cache-dir", str(w / "cache"), "--no-progress"]),
        "evaluate": (cxrtrain_main, ["evaluate", "--run", run, "-o", str(out / "e.json"), "--cache-dir", str(w / "cache")]),
        "predict": (cxrtrain_main, ["predict", "--run", run, "--images", str(w / "data" / "images"),
                                    "-o", str(out / "p.csv"), "--cache-dir", str(w / "cache")]),
        "export": (cxrtrain_main, ["export", "--run", run, "-o", str(out / "m.ts")]),
        "cam": (cxrtrain_main, ["cam", "--run", run, image, "--out", str(out / "cams")]),
    }


COMMANDS = list(_commands(Path("w"), Path("o")))
ONE_FILE = ("evaluate", "predict", "export")  # their first file is their last


def _out(world: Path, tmp_path: Path, command: str) -> Path:
    """A fresh output folder; zh split's holds a copy of the mine."""
    out = tmp_path / "out"
    out.mkdir()
    if command == "zh split":
        shutil.copytree(world / "mined", out / "mined")
    return out


def _leftovers(out: Path) -> list[Path]:
    """Temporary files or folders of the writer, anywhere under `out`."""
    return [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def _snapshot(out: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}


def _one_error(err: str, prog: str) -> str:
    """The one error line of a failed command (fit logs progress lines before it); no traceback."""
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if line.startswith(f"{prog}: error:")]
    assert len(errors) == 1, err
    assert err.rstrip().splitlines()[-1] == errors[0], err
    return errors[0]


class Faults:
    """Patches the writer so that the disk under `root` fails: `full` makes the `nth` file written fail as it
    is put in place (truncated, ENOSPC; nth=-1: count the files instead of failing); `read_only` makes every
    new file or folder fail with EROFS."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, root: Path, mode: str, nth: int = 1) -> None:
        self.root, self.mode, self.nth = root.resolve(), mode, nth
        self.made: list[Path] = []
        self.failed: Path | None = None
        real_temporary, real_commit, real_mkdir = output_guard.temporary, output_guard._commit, Path.mkdir

        def mine(path: Path) -> bool:
            return self.root in Path(os.path.abspath(path)).parents

        def temporary(beside: Path, folder: bool = False) -> Path:
            if mode == "read_only" and mine(beside):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(beside))
            tmp = real_temporary(beside, folder)
            if mine(beside):
                self.made.append(tmp)
            return tmp

        def commit(tmp: Path, path: Path) -> None:
            if mode == "full" and tmp in self.made and self.made.index(tmp) + 1 == self.nth:
                if tmp.is_file():
                    with open(tmp, "r+b") as handle:  # the disk filled while this file was written
                        handle.truncate(tmp.stat().st_size // 2)
                self.failed = path
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))
            real_commit(tmp, path)

        def mkdir(path: Path, mode_bits: int = 0o777, parents: bool = False, exist_ok: bool = False) -> None:
            if mode == "read_only" and mine(path) and not path.exists():
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
            real_mkdir(path, mode_bits, parents, exist_ok)

        monkeypatch.setattr(output_guard, "temporary", temporary)
        monkeypatch.setattr(output_guard, "_commit", commit)
        monkeypatch.setattr(Path, "mkdir", mkdir)


def _run(world: Path, out: Path, command: str) -> int:
    main, argv = _commands(world, out)[command]
    return main(argv)


@pytest.mark.parametrize("command, which", [(c, "first") for c in COMMANDS]
                         + [(c, "last") for c in COMMANDS if c not in ONE_FILE])
def test_full_disk_gives_one_line_and_no_partial_file(world, tmp_path, monkeypatch, capsys, command, which):
    prog = "cxrtrain" if command in ("fit", "evaluate", "predict", "export", "cam") else "cxrlabel"
    nth = 1
    if which == "last":  # how many files the command writes, from a run on a disk that has room
        counting = tmp_path / "count"
        counting.mkdir()
        with monkeypatch.context() as patch:
            faults = Faults(patch, counting, "full", nth=0)
            assert _run(world, _out(world, counting, command), command) == 0
        nth = len(faults.made)
        capsys.readouterr()
    out = _out(world, tmp_path, command)
    before = _snapshot(out)
    faults = Faults(monkeypatch, out, "full", nth)
    assert _run(world, out, command) == 2
    line = _one_error(capsys.readouterr().err, prog)
    assert faults.failed is not None
    assert f"{faults.failed}: cannot write (No space left on device)" in line
    assert not _leftovers(out)
    # the file being written is as it was before (absent, or the earlier whole one), never a part of the new one
    assert (faults.failed.read_bytes() if faults.failed.is_file() else None) == before.get(faults.failed)


@pytest.mark.parametrize("command", COMMANDS)
def test_read_only_folder_gives_one_line(world, tmp_path, monkeypatch, capsys, command):
    prog = "cxrtrain" if command in ("fit", "evaluate", "predict", "export", "cam") else "cxrlabel"
    out = _out(world, tmp_path, command)
    before = _snapshot(out)
    Faults(monkeypatch, out, "read_only")
    assert _run(world, out, command) == 2
    line = _one_error(capsys.readouterr().err, prog)
    assert "cannot write (Read-only file system)" in line and str(out) in line
    assert _snapshot(out) == before and not _leftovers(out)


@contextmanager
def _as_nobody() -> Iterator[None]:
    """This process with the effective user id of `nobody`, so that a folder's permissions bind it even when it
    runs as root."""
    if os.geteuid() != 0:
        yield
        return
    try:
        os.setegid(65534)
        os.seteuid(65534)
    except OSError as exc:
        pytest.skip(f"runs as root and cannot take another user id ({exc}), so no folder is read-only to it")
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.mark.parametrize("command", COMMANDS)
def test_real_read_only_folder(world, tmp_path, capsys, command):
    prog = "cxrtrain" if command in ("fit", "evaluate", "predict", "export", "cam") else "cxrlabel"
    home = Path(tempfile.mkdtemp(prefix="cxr-read-only-"))  # outside pytest's 0700 folder, which nobody cannot enter
    try:
        home.chmod(0o755)
        out = _out(world, home, command)
        for path in [out, *out.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        before = _snapshot(out)
        with _as_nobody():
            code = _run(world, out, command)
        assert code == 2
        line = _one_error(capsys.readouterr().err, prog)
        assert "cannot write (Permission denied)" in line and str(out) in line
        assert _snapshot(out) == before and not _leftovers(out)
    finally:
        for path in [home, *home.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(home, ignore_errors=True)
