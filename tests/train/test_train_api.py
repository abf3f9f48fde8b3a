"""cxrtrain.load_run: predict and cam from Python give what the commands give; the CLI's shape and names."""
from __future__ import annotations

import ast
import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import cxrtrain
from cxrtrain.cli import build_parser, main
from cxrlabel.errors import UserError
from cxrtrain.errors import OptionError
from cxrtrain.data.images import find_images

CLI = Path(cxrtrain.__file__).parent / "cli"
COMMANDS = ("fit", "evaluate", "predict", "export", "cam")


def test_load_run_predict_equals_the_predict_command(quick_run, small, cache_dir, tmp_path):
    csv = tmp_path / "predictions.csv"
    assert main(["predict", "--run", str(quick_run), "--images", str(small / "images"), "-o", str(csv),
                 "--cache-dir", str(cache_dir)]) == 0
    written = pd.read_csv(csv)
    run = cxrtrain.load_run(quick_run, device="cpu")
    table = run.predict(find_images(small / "images"))
    assert list(table.columns) == list(written.columns)
    assert run.outputs == ["Disc", "Bar"]
    for name in run.outputs:
        np.testing.assert_allclose(table[f"prob_{name}"], written[f"prob_{name}"], atol=1e-6)
        assert (table[f"label_{name}"].astype(int) == written[f"label_{name}"]).all()


def test_load_run_takes_pil_images_one_image_and_best_pt(quick_run, small):
    paths = find_images(small / "images")[:3]
    run = cxrtrain.load_run(quick_run / "best.pt", device="cpu")
    from_paths = run.predict(paths)
    with Image.open(paths[0]) as a, Image.open(paths[1]) as b:
        from_pil = run.predict([a, b])
    np.testing.assert_allclose(from_pil["prob_Disc"], from_paths["prob_Disc"][:2], atol=1e-6)
    one = run.predict(str(paths[2]))
    assert len(one) == 1 and one["prob_Bar"].iloc[0] == pytest.approx(from_paths["prob_Bar"].iloc[2], abs=1e-6)
    broken = run.predict([paths[0], small / "missing.png"])
    assert np.isnan(broken["prob_Disc"].iloc[1]) and broken["error"].iloc[1] == "file not found"
    with pytest.raises(UserError, match="give a run folder"):
        cxrtrain.load_run(quick_run / "config.json")


def test_load_run_cam(quick_run, small):
    run = cxrtrain.load_run(quick_run, device="cpu")
    image = find_images(small / "images")[0]
    heat = run.cam(image)
    assert heat.shape == (32, 32) and 0 <= heat.min() and heat.max() <= 1
    with Image.open(image) as pil:
        np.testing.assert_allclose(run.cam(pil, observation="Bar"), run.cam(image, observation="Bar"), atol=1e-6)
    with pytest.raises(OptionError, match="the model predicts Disc, Bar") as raised:
        run.cam(image, observation="Edema")
    assert raised.value.option == "observation"


def test_loader_workers_and_its_hidden_alias():
    parser = build_parser()
    for command in (["fit", "--out", "o"], ["evaluate", "--run", "r"], ["predict", "--run", "r", "--images", "i",
                                                                          "-o", "p.csv"]):
        assert parser.parse_args([*command, "--loader-workers", "3"]).workers == 3
        assert parser.parse_args([*command, "--workers", "2"]).workers == 2
    assert parser.parse_args(["fit", "--out", "o"]).workers is None  # fit: 0 on CPU, 4 on CUDA
    assert parser.parse_args(["evaluate", "--run", "r"]).workers == 0
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name in ("fit", "evaluate", "predict"):
        text = sub.choices[name].format_help()
        assert "--loader-workers" in text and "--workers" not in text


def test_both_spellings_run(quick_run, small, cache_dir, tmp_path, capsys):
    for flag in ("--workers", "--loader-workers"):
        out = tmp_path / f"{flag.strip('-')}.csv"
        assert main(["predict", "--run", str(quick_run), "--images", str(small / "images"), "-o", str(out),
                     "--cache-dir", str(cache_dir), flag, "1"]) == 0
        assert len(pd.read_csv(out)) == 64


def test_library_errors_are_worded_with_the_flag(small, cache_dir, tmp_path, capsys):
    argv = ["fit", "--labels", str(small / "labels.csv"), "--images", str(small), "--arch", "resnet18",
            "--image-size", "32", "--cache-dir", str(cache_dir), "--no-progress"]
    assert main([*argv, "--out", str(tmp_path / "a"), "--workers", "-1"]) == 2
    assert "cxrtrain: error: --loader-workers -1: must be 0 or more" in capsys.readouterr().err
    assert main([*argv, "--out", str(tmp_path / "b"), "--epochs", "2", "--warmup-epochs", "2"]) == 2
    assert "cxrtrain: error: --warmup-epochs 2: must be at least 0 and below" in capsys.readouterr().err
    assert main(["evaluate", "--run", str(tmp_path / "none")]) == 2
    assert f"cxrtrain: error: --run {tmp_path / 'none'}: not a cxrtrain run folder" in capsys.readouterr().err


def test_one_module_per_command_and_no_command_imports_another():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == set(COMMANDS)
    for name in COMMANDS:
        tree = ast.parse((CLI / f"{name}.py").read_text(encoding="utf-8"))
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert {"register", "run"} <= defined, name
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 1
                    for alias in node.names} | {node.module for node in ast.walk(tree)
                                                if isinstance(node, ast.ImportFrom) and node.level == 1}
        assert not imported & set(COMMANDS), (name, imported & set(COMMANDS))
        assert sub.choices[name].get_default("run").__module__ == f"cxrtrain.cli.{name}"


def test_every_setting_a_library_message_names_is_a_flag():
    import re

    from cxrlabel.errors import SETTING

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    dests = {a.dest for p in sub.choices.values() for a in p._actions if a.option_strings}
    named = set()
    for path in (p for p in CLI.parent.glob("*.py") if p.name != "errors.py"):  # errors.py explains them
        text = path.read_text(encoding="utf-8")
        named |= {m.group(1) for m in SETTING.finditer(text)}
        named |= set(re.findall(r'OptionError\("([a-z_]+)"', text))
        # a flag spelled out in a raised message is the command's to word, not the library's
        assert not re.search(r'Error\(f?"[^"]*(?<![\w-])--[a-z]', text), path.name
    assert named and named - dests == set(), named - dests


def test_the_readme_example_runs(quick_run, small, capsys):
    from tests.test_readme import EXAMPLES  # the cxrlabel examples run there; this one needs a run

    [example] = [e for e in EXAMPLES if "cxrtrain.load_run(" in e]
    image = find_images(small / "images")[0]
    exec(compile(example, "README.md", "exec"), {"run_dir": quick_run, "image_path": image})
    assert "prob_Disc" in capsys.readouterr().out
