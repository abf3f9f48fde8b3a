"""No label column, image or blank is lost in silence: stray cells are named, duplicate images are refused or
kept once, a Parquet table reads as the same CSV, and the public layouts' paths work from any folder."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxrlabel.cli import main as cxrlabel_main
from cxrlabel.errors import UserError
from cxrtrain.cli import main
from .synthetic import flat_image, read_labels

CORPUS = Path(__file__).resolve().parents[2] / "corpora" / "zh" / "reports.csv"


def _table(folder: Path, n: int = 12, **columns: list[str]) -> Path:
    """labels.csv with n images on disk, patients p0..p5, and observations A, B plus `columns`."""
    for i in range(n):
        flat_image(folder / "images" / f"i{i}.png")
    table = pd.DataFrame({"Path": [f"images/i{i}.png" for i in range(n)], "patient_id": [f"p{i % 6}" for i in range(n)],
                          "A": ["1", "0", ""] * (n // 3), "B": ["0", "1", "-1"] * (n // 3), **columns})
    table.to_csv(folder / "labels.csv", index=False)
    return folder / "labels.csv"


def _fit(labels: Path, images: Path, out: Path, *extra: str) -> int:
    return main(["fit", "--labels", str(labels), "--images", str(images), "--out", str(out), "--arch", "resnet18",
                 "--image-size", "32", "--epochs", "1", "--no-progress", *extra])


def test_a_stray_cell_in_a_label_column_is_refused_with_its_value_and_lines(tmp_path, capsys):
    labels = _table(tmp_path, Edema=["1", "0", "0", "1", "2", "0", "1", "0", "0", "1", "1", "0"])
    with pytest.raises(UserError, match=r"column 'Edema': 1 cell other than 1, 0, -1 or blank \('2'; line 6\)"):
        read_labels(labels, tmp_path)
    assert _fit(labels, tmp_path, tmp_path / "run") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'2'; line 6" in err and "--observations" in err, err
    assert not (tmp_path / "run").exists()
    # the observations named without it: trained, the column is left alone
    assert read_labels(labels, tmp_path, observations=["A", "B"]).task.outputs == ["A", "B"]


def test_many_stray_cells_are_counted_and_text_is_not_quoted(tmp_path):
    marker = "ZEBRASTRIPE seen, see report"
    labels = _table(tmp_path, n=60, Edema=["2"] * 2 + ["1", "0"] * 28 + [marker, "3"])
    with pytest.raises(UserError) as error:
        read_labels(labels, tmp_path)
    message = str(error.value)
    assert "column 'Edema': 4 cells" in message and "3 distinct values, not shown as they may be text" in message
    assert "lines 2, 3, 60, 61" in message and "ZEBRASTRIPE" not in message


def test_a_yes_no_column_is_not_learned_and_says_so(tmp_path):
    labels = _table(tmp_path, Smoker=["yes", "no"] * 6, Ward=[f"ward {i}" for i in range(12)],
                    **{"Pleural Fluid": ["1", "0"] * 6})  # ends like an id, yet is one
    data = read_labels(labels, tmp_path)
    assert data.task.outputs == ["A", "B", "Pleural Fluid"]
    assert ("warning: column 'Smoker' is not learned: its values are 'yes', 'no', not 1, 0, -1 or blank; to learn it, "
            "write them as 1/0/-1 and name it in $observations") in data.task.notes
    assert "not observations (cells other than 1, 0, -1 or blank, or all blank): 'Ward'" in data.task.notes


def test_the_chexpert_table_trains_its_observations_without_a_warning_on_its_other_columns(tmp_path):
    from .synthetic import CHEXPERT_OBSERVATIONS, make_chexpert

    top = make_chexpert(tmp_path, n_patients=4, size=16)
    data = read_labels(top / "train.csv", tmp_path)
    assert set(data.task.outputs) <= set(CHEXPERT_OBSERVATIONS) and len(data.task.outputs) >= 2
    assert not [note for note in data.task.notes + data.layout_notes if "warning" in note.lower()]


def test_an_image_listed_twice_with_other_labels_or_patient_is_refused(tmp_path, capsys):
    labels = _table(tmp_path)
    table = pd.read_csv(labels, dtype=str, keep_default_na=False)
    twice = pd.concat([table, table.iloc[[3]].assign(A="1", patient_id="p9")], ignore_index=True)
    twice.to_csv(labels, index=False)
    with pytest.raises(UserError, match=r"the same image is listed in rows with different labels or patient ids: "
                                        r"'.*images/i3.png' on lines 5, 14"):
        read_labels(labels, tmp_path)
    assert _fit(labels, tmp_path, tmp_path / "run") == 2
    assert "i3.png' on lines 5, 14" in capsys.readouterr().err


def test_an_image_repeated_identically_is_used_once_with_a_warning(tmp_path):
    labels = _table(tmp_path)
    table = pd.read_csv(labels, dtype=str, keep_default_na=False)
    # the same files, written as ./images/... and as an absolute path: one image each
    again = table.iloc[[3, 4]].assign(Path=["./images/i3.png", str(tmp_path / "images" / "i4.png")])
    pd.concat([table, again], ignore_index=True).to_csv(labels, index=False)
    data = read_labels(labels, tmp_path)
    assert len(data.paths) == 12 and len(set(data.paths)) == 12 and list(data.lines) == list(range(2, 14))
    assert any(note.startswith("warning: 2 rows repeat an earlier row's image with the same labels and patient "
                               "(e.g. ") and "on lines 5, 14); each image is used once" in note
               for note in data.layout_notes)


def test_a_parquet_table_reads_as_the_same_csv(tmp_path):
    labels = _table(tmp_path, Edema=["1", "", "0"] * 4)
    table = pd.read_csv(labels, dtype=str, keep_default_na=False)
    typed = table.assign(**{c: pd.to_numeric(table[c]).astype("float64") for c in ("A", "B", "Edema")})
    typed.to_parquet(tmp_path / "labels.parquet")  # blanks are NaN, labels 1.0 / 0.0 / -1.0
    for observations in (None, ["A", "Edema"]):  # found by fit, or named as evaluate names them
        csv = read_labels(labels, tmp_path, observations=observations)
        parquet = read_labels(tmp_path / "labels.parquet", tmp_path, observations=observations)
        assert parquet.task.outputs == csv.task.outputs
        np.testing.assert_array_equal(parquet.task.values, csv.task.values)
        np.testing.assert_array_equal(parquet.mask, csv.mask)
        assert parquet.groups == csv.groups and parquet.paths == csv.paths


def test_zh_label_parquet_output_trains_as_its_csv(tmp_path):
    mined = tmp_path / "mined"
    assert cxrlabel_main(["zh", "mine", str(CORPUS), "-k", "4", "--out", str(mined)]) == 0
    for suffix in ("parquet", "csv"):
        assert cxrlabel_main(["zh", "label", str(CORPUS), "--label-map", str(mined / "label_map.csv"),
                              "-o", str(tmp_path / f"labels.{suffix}")]) == 0
    for name in pd.read_csv(CORPUS, dtype=str)["id"]:
        flat_image(tmp_path / "png" / f"{name}.png")
    read = {suffix: read_labels(tmp_path / f"labels.{suffix}", tmp_path / "png", id_column="id", image_pattern="{id}.png")
            for suffix in ("parquet", "csv")}
    assert read["parquet"].task.outputs == read["csv"].task.outputs and len(read["csv"].task.outputs) >= 2
    np.testing.assert_array_equal(read["parquet"].task.values, read["csv"].task.values)


def _nih(root: Path) -> None:
    rows = [("00000001_000.png", "Cardiomegaly", "1"), ("00000001_001.png", "Effusion", "1"),
            ("00000002_000.png", "No Finding", "2"), ("00000003_000.png", "Effusion", "3")]
    pd.DataFrame(rows, columns=["Image Index", "Finding Labels", "Patient ID"]).to_csv(root / "Data_Entry_2017.csv",
                                                                                       index=False)
    for i, (name, *_) in enumerate(rows):
        flat_image(root / f"images_00{1 + i % 2}" / "images" / name)


def _mimic(root: Path) -> None:
    pd.DataFrame({"subject_id": ["10000032", "10000764"], "study_id": ["50414267", "57375967"],
                  "Edema": ["1.0", "0.0"]}).to_csv(root / "mimic-cxr-2.0.0-chexpert.csv", index=False)
    meta = pd.DataFrame({"dicom_id": ["a1", "c1"], "subject_id": ["10000032", "10000764"],
                         "study_id": ["50414267", "57375967"]})
    meta.to_csv(root / "mimic-cxr-2.0.0-metadata.csv", index=False)
    for dicom, subject, study in zip(meta["dicom_id"], meta["subject_id"], meta["study_id"]):
        flat_image(root / "files" / f"p{subject[:2]}" / f"p{subject}" / f"s{study}" / f"{dicom}.jpg")


@pytest.mark.parametrize("layout", ["nih", "mimic"])
def test_the_nih_and_mimic_layouts_work_with_a_relative_images_folder(layout, tmp_path, monkeypatch, capsys):
    root = tmp_path / "data" / layout
    root.mkdir(parents=True)
    (_nih if layout == "nih" else _mimic)(root)
    table = "Data_Entry_2017.csv" if layout == "nih" else "mimic-cxr-2.0.0-chexpert.csv"
    monkeypatch.chdir(tmp_path)
    data = read_labels(f"data/{layout}/{table}", f"data/{layout}")
    assert all(p.is_file() for p in data.paths) and all(str(p).startswith(f"data/{layout}/") for p in data.paths)
    assert not any(f"data/{layout}/data/{layout}" in str(p) for p in data.paths)
    (tmp_path / "tables").mkdir()  # the tables alone, no image beside them or under --images: the message
    for csv in root.glob("*.csv"):  # names no internal column
        (tmp_path / "tables" / csv.name).write_bytes(csv.read_bytes())
    assert _fit(Path(f"tables/{table}"), Path("tables"), tmp_path / "run") == 2
    err = capsys.readouterr().err
    assert "no images found" in err and "__" not in err, err
    assert _fit(Path(f"data/{layout}/{table}"), Path(f"data/{layout}"), tmp_path / "run2",
                "--observations", "Nope") == 2
    err = capsys.readouterr().err
    assert "unknown observation 'Nope'" in err and "__" not in err, err


def test_a_column_listing_names_no_setting_cxrtrain_lacks(tmp_path, capsys):
    labels = _table(tmp_path)
    table = pd.read_csv(labels, dtype=str, keep_default_na=False)
    table.rename(columns={"Path": "where the file is, on disk"}).to_csv(labels, index=False)
    assert _fit(labels, tmp_path, tmp_path / "run") == 2
    err = capsys.readouterr().err
    assert "cannot tell which column holds the image paths" in err and "not named here" in err, err
    assert "$" not in err and "no_header" not in err and "no-header" not in err, err


def test_an_observation_with_a_comma_is_chosen_quoted_or_with_the_flag_repeated(tmp_path):
    from cxrtrain.cli import build_parser

    labels = _table(tmp_path, **{"Effusion, left": ["1", "0"] * 6})
    base = ["fit", "--labels", str(labels), "--images", str(tmp_path), "--out", str(tmp_path / "run")]
    for given in (["--observations", 'A,"Effusion, left"'], ["--observations", "A", "--observations", '"Effusion, left"']):
        args = build_parser().parse_args(base + given + ["--policy-per-observation", '"Effusion, left=u-ones"'])
        assert args.observations == ["A", "Effusion, left"]
        data = read_labels(labels, tmp_path, observations=args.observations,
                       policy_per_observation=args.policy_per_observation)
        assert data.task.outputs == ["A", "Effusion, left"] and data.policies == ["u-ignore", "u-ones"]


def test_paths_with_spaces_are_paths_not_text(tmp_path):
    labels = _table(tmp_path)
    table = pd.read_csv(labels, dtype=str, keep_default_na=False)
    for i in range(len(table)):
        flat_image(tmp_path / "My Scans" / f"chest x ray, patient {i}.png")
    table["Path"] = [f"My Scans/chest x ray, patient {i}.png" for i in range(len(table))]
    table.to_csv(labels, index=False)
    assert all(p.is_file() for p in read_labels(labels, tmp_path).paths)
