"""--engine dask on a LocalCluster of 2 worker processes gives the local engine's output, file for file."""
import importlib.util

import pandas as pd
import pytest

from tests.conftest import spacy_model_available
from tests.scale.conftest import reports_frame

pytestmark = pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                reason="dask.distributed is not installed (pip install 'cxrlabel[dask]')")


def test_local_cluster_output_equals_the_local_engine(reports_csv, tmp_path, extract):
    parser = ["--parser", "spacy"] if spacy_model_available() else ["--parser", "none"]
    source = reports_csv(250)
    outputs = []
    for engine in ("local", "dask"):
        out, mentions = tmp_path / f"{engine}.csv", tmp_path / f"{engine}.jsonl"
        code, err = extract(source, "--id-column", "study", "-o", out, "--mentions-out", mentions, "--engine", engine,
                            "--workers", 2, "--chunk-size", 60, "-q", *parser)
        assert code == 0, err
        outputs.append((out.read_bytes(), mentions.read_bytes()))
    assert outputs[0] == outputs[1]


def test_partitioned_parquet_in_and_out_on_dask(tmp_path, extract):
    folder = tmp_path / "archive"
    folder.mkdir()
    frame = reports_frame(150)
    for n, start in enumerate(range(0, 150, 50)):
        frame.iloc[start:start + 50].to_parquet(folder / f"part.{n}.parquet", index=False)
    results = {}
    for engine in ("local", "dask"):
        out = tmp_path / f"labels_{engine}"
        code, err = extract(folder, "--id-column", "study", "-o", f"{out}/", "--output-format", "parquet",
                            "--engine", engine, "--workers", 2, "--chunk-size", 40, "-q", "--parser", "none")
        assert code == 0, err
        results[engine] = [pd.read_parquet(f) for f in sorted(out.iterdir()) if not f.name.startswith(".")]
    assert len(results["dask"]) == 6  # 50 rows per file in chunks of 40: 40 + 10, three times
    for a, b in zip(results["local"], results["dask"]):
        pd.testing.assert_frame_equal(a, b)
    assert pd.concat(results["dask"])["study"].tolist() == frame["study"].tolist()


def test_an_unreachable_scheduler_is_a_clear_error(reports_csv, extract):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code, err = extract(reports_csv(10), "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9", "--parser", "none")
    assert code == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err and "Traceback" not in err


def _import_state() -> tuple[str, bool, str | None]:
    import os
    import sys

    import dask
    trim = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    profiling = dask.config.get("distributed.worker.profile.enabled")
    try:
        import torch  # noqa: F401
        return "imported", "torch" in sys.modules, trim, profiling
    except ModuleNotFoundError as exc:
        return str(exc), "torch" in sys.modules, trim, profiling


def test_a_local_cluster_started_for_spacy_keeps_torch_malloc_trimming_and_profiling_out_of_its_workers():
    from cxrlabel.archive.dask_engine import DaskEngine
    from cxrlabel.en.chunks import label_chunk

    with DaskEngine(1, label_chunk, hidden=("torch", "scipy")) as engine:
        states = engine.client.run(_import_state)
    [(message, loaded, trim, profiling)] = states.values()
    assert "No module named 'torch'" in message and not loaded  # `import torch` fails at once, thinc goes on without
    assert trim is None  # the nanny's default, which makes glibc map and unmap each large array anew
    assert profiling is False  # the profiler would take the GIL from the labelling thread every 10 ms
