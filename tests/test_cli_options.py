"""One CLI style: an option name means one thing in every command, old names stay as hidden aliases, and
every setting a library message names is a flag of some command."""
from __future__ import annotations

import argparse

from cxrlabel.cli import build_parser
from cxrlabel.errors import SETTING, UserError
from tests.conftest import ROOT


def commands(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    """Every leaf command's parser by its name ("extract", "zh mine")."""
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found |= commands(child, f"{prefix}{name} ") or {f"{prefix}{name}": child}
    return found


def visible(parser: argparse.ArgumentParser, flag: str) -> argparse.Action | None:
    return next((a for a in parser._actions if flag in a.option_strings and a.help != argparse.SUPPRESS), None)


def test_workers_are_always_processes_and_engine_always_where_they_run():
    for name, parser in commands(build_parser()).items():
        workers, engine = visible(parser, "--workers"), visible(parser, "--engine")
        assert workers is None or "processes" in workers.help, name
        assert engine is None or tuple(engine.choices) == ("local", "dask"), name


def test_zh_distance_threads_and_kmedoids_have_their_own_names_and_the_old_ones_still_work():
    parser = build_parser()
    for old, new in (("--workers", "--threads"), ("--engine", "--kmedoids")):
        value = "3" if new == "--threads" else "sklearn-extra"
        given = [parser.parse_args(["zh", "mine", "r.csv", "--out", "m", flag, value]) for flag in (old, new)]
        assert vars(given[0]) == vars(given[1])
    assert parser.parse_args(["zh", "split", "m", "--cluster", "1", "--workers", "2"]).threads == 2
    mine = commands(parser)["zh mine"]
    assert visible(mine, "--workers") is None and visible(mine, "--engine") is None  # hidden from --help


def test_every_setting_a_library_message_names_is_a_flag():
    dests = {a.dest for p in commands(build_parser()).values() for a in p._actions if a.option_strings}
    named = set()
    for path in (ROOT / "cxrlabel").rglob("*.py"):
        if "cli" not in path.relative_to(ROOT / "cxrlabel").parts and path.name != "errors.py":  # it explains them
            named |= {m.group(1) for m in SETTING.finditer(path.read_text(encoding="utf-8"))}
    assert named and named - dests == set()


def test_a_library_message_is_worded_as_flags_on_the_command_line_and_as_keywords_in_python():
    error = UserError("give $id_column to match rows by id")
    assert str(error) == "give id_column to match rows by id"
    assert error.worded({"id_column": "--id-column"}) == "give --id-column to match rows by id"
    assert build_parser().parse_args(["evaluate", "a.csv", "b.csv"]).flags["id_column"] == "--id-column"


def test_a_dollar_word_in_a_path_the_message_quotes_is_left_as_it_is(tmp_path, capsys):
    from cxrlabel.cli import main

    folder = tmp_path / "$scratch"
    folder.mkdir()
    (folder / "mine.txt").write_text("a file of the user's\n")
    source = tmp_path / "r.csv"
    source.write_text("report\nNo effusion.\n")
    assert main(["extract", str(source), "-o", str(folder) + "/", "--parser", "none", "-q"]) == 2
    err = capsys.readouterr().err
    assert "$scratch: this folder holds files" in err and "give --output a new or empty folder" in err
