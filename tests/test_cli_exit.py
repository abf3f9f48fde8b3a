"""The installed command's exit (`cxrlabel.cli.script`): it skips the interpreter's teardown, so what a
normal exit does on the way out must still happen: the exit code, flushed output, exit handlers, and
waiting for a thread the interpreter would wait for."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_the_code_output_and_exit_handlers_of_main_survive_the_exit(tmp_path: Path) -> None:
    done = python(f"""
import atexit, sys
import cxrlabel.cli as cli
def main():
    atexit.register(lambda: open({str(tmp_path / 'handler')!r}, 'w').write('ran'))
    sys.stdout.write('x' * 100000)  # more than a pipe's buffer, left in the stream's buffer unflushed
    return 3
cli.main = main
cli.script()
""", tmp_path)
    assert done.returncode == 3, done.stderr
    assert done.stdout == "x" * 100000
    assert (tmp_path / "handler").read_text() == "ran"


def test_a_thread_the_interpreter_waits_for_finishes_first(tmp_path: Path) -> None:
    done = python(f"""
import threading, time
import cxrlabel.cli as cli
def late():
    time.sleep(0.5)
    open({str(tmp_path / 'thread')!r}, 'w').write('finished')
def main():
    threading.Thread(target=late).start()
    return 0
cli.main = main
cli.script()
""", tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "thread").read_text() == "finished"


def test_extract_as_a_command_writes_every_row_and_says_why_it_failed(tmp_path: Path) -> None:
    reports = pd.read_csv(ROOT / "corpora" / "en" / "reports.csv", dtype=str, keep_default_na=False).head(12)
    reports.to_csv(tmp_path / "reports.csv", index=False)
    command = [sys.executable, "-m", "cxrlabel", "extract"]
    done = subprocess.run(command + ["reports.csv", "-o", "labels.csv", "--parser", "none", "-q"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(tmp_path / "labels.csv")) == 12

    missing = subprocess.run(command + ["absent.csv"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2
    assert "absent.csv" in missing.stderr and "Traceback" not in missing.stderr
