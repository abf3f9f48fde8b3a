"""Shared fixtures for the Chinese label miner tests."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxrlabel.zh.data_files import load_zh_data
from cxrlabel.zh.preprocess import ClausePreprocessor

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpora" / "zh"


@pytest.fixture(scope="session")
def zh_data():
    return load_zh_data()


@pytest.fixture(scope="session")
def pre(zh_data):
    return ClausePreprocessor(zh_data)


@pytest.fixture(scope="session")
def pre_nolat(zh_data):
    return ClausePreprocessor(zh_data, drop_laterality=True)


@pytest.fixture(scope="session")
def corpus():
    read = lambda name: pd.read_csv(CORPUS / name, dtype=str, keep_default_na=False)  # noqa: E731
    clauses = read("clauses_gold.csv")
    clauses["clause_no"] = clauses["clause_no"].astype(int)
    return read("reports.csv"), read("gold.csv"), clauses
