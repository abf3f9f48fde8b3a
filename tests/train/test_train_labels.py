"""Which columns are observations, task targets, image paths, patient splits, and the errors users see."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxrlabel.errors import UserError
from cxrtrain.data.labels import build_task, default_observations, resolve_image_paths, resolve_observations
from cxrtrain.data.splits import split_by_group
from cxrtrain.data.labelled import prepare_labels


def frame(rows: dict) -> pd.DataFrame:
    return pd.DataFrame(rows).astype(str)


def chinese_style() -> pd.DataFrame:
    return frame({
        "id": ["1", "0", "1", "0"], "Path": ["a.png", "b.png", "c.png", "d.png"],
        "patient_id": ["1", "1", "0", "0"], "Reports": ["r1", "r2", "r3", "r4"], "age": ["50.0", "1", "0", "1"],
        "肺炎": ["1", "0", "1", "0"], "结节": ["0", "1", "1", ""], "normal": ["0", "0", "0", "1"],
        "n_labels": ["1", "1", "2", "0"], "single_label": ["肺炎", "结节", "", ""],
    })


def test_bookkeeping_columns_are_never_observations():
    data = chinese_style()
    # id and patient_id hold only 0/1 here, n_labels too: still not observations
    assert default_observations(data, reserved={"Path", "patient_id"}) == (["肺炎", "结节", "normal"], [])


def test_multiclass_uses_single_label_column():
    task = build_task(chinese_style(), "multiclass", ["肺炎", "结节"], reserved=set())
    assert task.outputs == ["肺炎", "结节"]
    assert task.usable.tolist() == [True, True, False, False]
    assert task.values[:2, 0].tolist() == [0, 1]


def test_multiclass_without_single_label_takes_rows_with_one_positive():
    data = frame({"Path": list("abcd"), "A": ["1", "1", "0", "-1"], "B": ["0", "1", "1", "1"]})
    task = build_task(data, "multiclass", None, reserved={"Path"})
    assert task.usable.tolist() == [True, False, True, True]
    assert task.values[[0, 2, 3], 0].tolist() == [0, 1, 1]


def test_binary_targets():
    data = frame({"Path": list("abcde"), "No Finding": ["1", "0", "", "-1", "0"], "Edema": ["0", "1", "", "-1", "0"]})
    task = build_task(data, "binary", None, reserved={"Path"})
    assert task.outputs == ["abnormal"]
    np.testing.assert_array_equal(task.values[:, 0], [0, 1, np.nan, -1, 1])  # abnormal = not 'No Finding'
    derived = build_task(data.drop(columns="No Finding"), "binary", None, reserved={"Path"})
    np.testing.assert_array_equal(derived.values[:, 0], [0, 1, np.nan, -1, 0])  # any positive among observations


def test_unknown_or_bad_observation_lists_columns():
    data = chinese_style()
    with pytest.raises(UserError, match=r"unknown observation 'Edema'.*'Reports'.*'single_label'"):
        resolve_observations(data, ["Edema"], set())
    with pytest.raises(UserError, match=r"column 'age': 1 cell other than 1, 0, -1 or blank \('50.0'; line 2\): not a label"):
        resolve_observations(data, ["age"], set())


def test_image_paths_and_their_errors(tmp_path):
    (tmp_path / "imgs").mkdir()
    for name in ("x1.png", "x2.jpg"):
        (tmp_path / "imgs" / name).write_bytes(b"")
    data = frame({"image_id": ["x1", "x2"], "file": ["imgs/x1.png", "imgs/x2.jpg"], "A": ["1", "0"]})
    paths, column = resolve_image_paths(data, tmp_path, tmp_path / "l.csv", None, None, None)
    assert column == "file" and paths == [tmp_path / "imgs/x1.png", tmp_path / "imgs/x2.jpg"]
    paths, _ = resolve_image_paths(data, tmp_path / "imgs", tmp_path / "l.csv", None, "image_id", None)
    assert paths == [tmp_path / "imgs/x1.png", tmp_path / "imgs/x2.jpg"]  # any image named <id>.*
    paths, _ = resolve_image_paths(data, tmp_path / "imgs", tmp_path / "l.csv", None, "image_id", "{id}.dcm")
    assert paths[0].name == "x1.dcm"
    with pytest.raises(UserError, match=r"no column 'Path'.*'image_id', 'file', 'A'"):
        resolve_image_paths(data, tmp_path, tmp_path / "l.csv", "Path", None, None)
    with pytest.raises(UserError, match="cannot tell which column holds the image paths"):
        resolve_image_paths(data.drop(columns="file"), tmp_path, tmp_path / "l.csv", None, None, None)
    data.assign(file=["elsewhere/x1.png", "elsewhere/x2.jpg"]).to_csv(tmp_path / "labels.csv", index=False)
    with pytest.raises(UserError, match="no images found: none of the 2 files"):
        prepare_labels(tmp_path / "labels.csv", tmp_path / "imgs", path_column=None, id_column=None,
                       image_pattern=None, task="multilabel", observations=None, policy="u-ignore",
                       policy_per_observation=None, blank="zero")


def test_patient_split_has_no_leakage_and_sensible_sizes():
    rng = np.random.default_rng(1)
    groups = [f"p{g}" for g in rng.integers(0, 300, 1000)]
    split = split_by_group(groups, 0.16, 0.2, seed=5)
    for name in ("train", "val", "test"):
        others = {g for g, s in zip(groups, split) if s != name}
        assert not others & {g for g, s in zip(groups, split) if s == name}
    share = {name: float(np.mean(split == name)) for name in ("train", "val", "test")}
    assert abs(share["test"] - 0.2) < 0.03 and abs(share["val"] - 0.16) < 0.03
    assert (split_by_group(groups, 0.16, 0.2, seed=5) == split).all()  # deterministic by seed
    blank = split_by_group([""] * 50, 0.2, 0.2, seed=0)  # blank ids: one group per row
    assert 5 <= (blank == "test").sum() <= 15
    with pytest.raises(UserError):
        split_by_group(groups, 0.6, 0.5, seed=0)
