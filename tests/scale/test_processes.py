"""The processes of a run end with it: a killed `cxrlabel extract` leaves no worker, nanny or resource tracker
behind; SIGTERM and Ctrl-C stop it in one line with the usual exit codes, and --resume then finishes it with the
output of an uninterrupted run; a Dask run with no loopback network fails at once, in one line."""
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.scale.conftest import reports_frame

NONE = ("--parser", "none")
ROWS = 12_000  # some seconds of labelling with 2 workers, stopped after its first 200-row part
HAS_DASK = importlib.util.find_spec("distributed") is not None
needs_proc_children = pytest.mark.skipif(not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
                                         reason="needs /proc/PID/task/TID/children (Linux) to find a run's processes")


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, through each of its threads' children."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        for children in Path(f"/proc/{todo.pop()}/task").glob("*/children"):
            try:
                new = {int(c) for c in children.read_text().split()} - found
            except OSError:  # the thread or process just ended
                continue
            found |= new
            todo += new
    return found


def ignores_sigint(pid: int) -> bool | None:
    """Whether Ctrl-C leaves the process alone: ignored, or still blocked in a worker that has not reached its
    initializer yet (a pending SIGINT is dropped once it is ignored). None when it has already ended."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    masks = dict(line.split(":", 1) for line in status.splitlines() if line.startswith(("SigIgn:", "SigBlk:")))
    return any(int(masks[name].strip(), 16) & 1 << (signal.SIGINT - 1) for name in ("SigIgn", "SigBlk"))


def alive(pid: int) -> bool:
    """Running, not ended (a zombie waits only to be reaped, and holds no memory)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("archive") / "reports.csv"
    reports_frame(ROWS).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def uninterrupted(source) -> tuple[bytes, bytes]:
    """Labels and mentions of a run nobody stops (with one worker: the output does not depend on it)."""
    out = source.with_name("uninterrupted.csv")
    done = subprocess.run([sys.executable, "-m", "cxrlabel", *arguments(source, out), "--workers", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return out.read_bytes(), mentions(out).read_bytes()


def mentions(out: Path) -> Path:
    return out.with_name(out.name + ".jsonl")


def arguments(source: Path, out: Path) -> list[str]:
    return ["extract", str(source), "--id-column", "study", "-o", str(out), "--mentions-out", str(mentions(out)),
            "--chunk-size", "200", "-q", *NONE]


class Run:
    """`cxrlabel extract` in its own session (so a signal to its group reaches nothing else), stderr in a file:
    a pipe would stay open, and `communicate` wait, as long as any leftover process holds it."""

    def __init__(self, source: Path, out: Path, *extra: str) -> None:
        self.out = out
        self.stderr = out.with_name(out.name + ".stderr")
        with open(self.stderr, "wb") as err:
            self.process = subprocess.Popen([sys.executable, "-m", "cxrlabel", *arguments(source, out), *extra],
                                            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                            start_new_session=True)
        self.seen: set[int] = set()

    def wait_for(self, processes: int) -> None:
        """Until `processes` processes run below it and its first part is saved: its workers are labelling."""
        manifest = self.out.with_name(self.out.name + ".parts") / "manifest.json"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and self.process.poll() is None:
            self.seen |= descendants(self.process.pid)
            try:
                if len(self.seen) >= processes and json.loads(manifest.read_text())["parts"]:
                    return
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        pytest.fail(f"the run ended or stalled before its workers labelled a part: {self.stderr.read_text()}")

    def leftovers(self, within: float = 15) -> list[int]:
        """The processes seen below it that still run `within` seconds after it ended (killed, so none stay)."""
        self.process.wait(timeout=120)
        deadline = time.monotonic() + within
        while time.monotonic() < deadline and any(alive(p) for p in self.seen):
            time.sleep(0.1)
        left = [p for p in self.seen if alive(p)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        return left


@needs_proc_children
@pytest.mark.parametrize("engine, sig", [("local", signal.SIGKILL), ("local", signal.SIGTERM),
                                         pytest.param("dask", signal.SIGKILL, marks=pytest.mark.skipif(
                                             not HAS_DASK, reason="dask.distributed is not installed"))])
def test_no_process_outlives_a_killed_run(source, tmp_path, engine, sig):
    run = Run(source, tmp_path / "labels.csv", "--workers", "2", "--engine", engine)
    run.wait_for(3)  # 2 workers (under a LocalCluster's nannies, which run in the main process) and the resource tracker
    os.kill(run.process.pid, sig)  # the main process alone, as the OOM killer or `kill` would
    assert run.leftovers() == []
    assert run.process.returncode == (-signal.SIGKILL if sig == signal.SIGKILL else 128 + signal.SIGTERM)


@needs_proc_children
@pytest.mark.parametrize("engine, sig, to_group, code, line", [
    ("local", signal.SIGINT, True, 130, "cxrlabel: interrupted"),
    ("local", signal.SIGTERM, False, 143, "cxrlabel: terminated"),
    pytest.param("dask", signal.SIGINT, True, 130, "cxrlabel: interrupted",
                 marks=pytest.mark.skipif(not HAS_DASK, reason="dask.distributed is not installed"))])
def test_a_stopped_run_says_one_line_and_resumes_to_the_uninterrupted_output(source, tmp_path, uninterrupted, engine,
                                                                            sig, to_group, code, line):
    out = tmp_path / "labels.csv"
    run = Run(source, out, "--workers", "2", "--engine", engine)
    run.wait_for(3)
    ignoring = [ignores_sigint(p) for p in run.seen]  # workers too: Ctrl-C is for the main process, which stops them
    assert False not in ignoring and ignoring.count(True) >= 2, ignoring
    (os.killpg if to_group else os.kill)(run.process.pid, sig)  # Ctrl-C reaches the whole process group
    assert run.leftovers() == []
    assert (run.process.returncode, run.stderr.read_text()) == (code, line + "\n")  # no traceback from any process
    manifest = json.loads((out.with_name("labels.csv.parts") / "manifest.json").read_text())
    assert 1 <= len(manifest["parts"]) < ROWS // 200 and not out.exists()

    resumed = subprocess.run([sys.executable, "-m", "cxrlabel", *arguments(source, out), "--workers", "2", "--resume"],
                             cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert (out.read_bytes(), mentions(out).read_bytes()) == uninterrupted


def test_a_worker_whose_parent_already_ended_exits_at_once():
    """The race prctl leaves open: the parent may end before its worker asks to die with it."""
    code = "from cxrlabel.archive.local_engine import die_with; die_with(1); print('still running')"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", "")


def test_where_prctl_is_missing_a_thread_ends_the_orphaned_worker():
    code = ("import sys, time\nfrom cxrlabel.archive.local_engine import die_with\n"
            "sys.platform = 'darwin'; die_with(1); time.sleep(30); print('still running')")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", "")


def _loopback_down() -> str | None:
    """Why a run cannot be put in a network namespace whose loopback is down, or None when it can."""
    if not shutil.which("unshare"):
        return "no unshare command"
    probe = subprocess.run(["unshare", "-n", sys.executable, "-c",
                            "import socket; socket.create_connection(('127.0.0.1', 9), timeout=5)"],
                           capture_output=True, text=True)
    if "Network is unreachable" not in probe.stderr:
        return f"`unshare -n` gives no namespace with loopback down here (needs root): {probe.stderr.strip()[-200:]}"
    return None


@pytest.mark.skipif(not HAS_DASK, reason="dask.distributed is not installed")
def test_dask_with_loopback_down_fails_in_one_line_at_once(tmp_path):
    reason = _loopback_down()
    if reason:
        pytest.skip(reason)
    source = tmp_path / "reports.csv"
    reports_frame(20).to_csv(source, index=False)
    started = time.monotonic()
    done = subprocess.run(["unshare", "-n", sys.executable, "-m", "cxrlabel", "extract", str(source), "-o",
                           str(tmp_path / "labels.csv"), "--engine", "dask", "--workers", "2", *NONE],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert time.monotonic() - started < 30  # not distributed's 2 x 30 s of connection retries
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    [message] = done.stderr.splitlines()
    assert message.startswith("cxrlabel: error: ") and "127.0.0.1" in message
