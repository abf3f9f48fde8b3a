"""A cue governs only its own part of a clause; prose frames and lists keep their scope."""
from __future__ import annotations

import pytest

from cxrlabel.zh.cues import Cue


def _read(pre, text):
    return [(c.cue, c.normalized) for c in pre.clauses(text) if c.normalized]


@pytest.mark.parametrize("text, expected", [
    ("双肺纹理增多未见明确实变", [(Cue.NONE, "双肺纹理增多"), (Cue.NEGATED, "实变")]),
    ("主动脉硬化、心影未见增大", [(Cue.NONE, "主动脉硬化"), (Cue.NORMAL, "心影")]),
    ("两肺纹理未见增多", [(Cue.NEGATED, "两肺纹理增多")]),  # 纹理 states no finding: one part
    ("两肺纹理增多、增粗", [(Cue.NONE, "两肺纹理增多"), (Cue.NONE, "两肺纹理增粗")]),  # a shared subject: one part each
    ("心、肺、膈未见明显异常", [(Cue.NORMAL, "心肺膈")]),
    ("未见胸腔积液及气胸", [(Cue.NEGATED, "胸腔积液"), (Cue.NEGATED, "气胸")]),
    ("右下肺炎伴胸腔积液", [(Cue.NONE, "右下肺炎"), (Cue.NONE, "胸腔积液")]),
    ("右下肺炎可能", [(Cue.UNCERTAIN, "右下肺炎")]),
    ("右第6、10肋骨骨折", [(Cue.NONE, "右肋骨骨折")]),
])
def test_parts_of_terse_clauses(pre, text, expected):
    assert _read(pre, text) == expected


@pytest.mark.parametrize("text, expected", [
    # negation carried over a comma into a list opened by 如, or a list of alternatives
    ("没有急性异常的迹象，如气胸或胸腔积液。", [(Cue.NEGATED, "急性异常"), (Cue.NEGATED, "气胸"), (Cue.NEGATED, "胸腔积液")]),
    ("没有局灶性肺不张，胸腔积液或气胸。", [(Cue.NEGATED, "局灶性肺不张"), (Cue.NEGATED, "胸腔积液"), (Cue.NEGATED, "气胸")]),
    ("未见胸腔积液，右下肺炎。", [(Cue.NEGATED, "胸腔积液"), (Cue.NONE, "右下肺炎")]),  # no list: no carry
    # discourse frames are removed, not clustered
    ("此外，X光片显示心脏肿大。", [(Cue.NONE, "心脏肿大")]),
    # "unchanged" negates nothing
    ("双侧胸膜增厚，与之前相比没有变化。", [(Cue.NONE, "双侧胸膜增厚")]),
    ("胸膜增厚没有变化", [(Cue.NONE, "胸膜增厚")]),
    # 无 inside a word is no negation; 不存在 and 看不到 are
    ("骨骼完好无损", [(Cue.NONE, "骨骼完好无损")]),
    ("不存在胸腔积液，看不到气胸", [(Cue.NEGATED, "胸腔积液"), (Cue.NEGATED, "气胸")]),
    ("肺部是清晰的", [(Cue.NORMAL, "肺部")]),
])
def test_parts_of_prose(pre, text, expected):
    assert _read(pre, text) == expected


def test_whole_report_is_read_from_its_diagnosis_section(pre):
    report = "检查方法：胸部正位\n影像所见：两肺纹理增多，右侧肋膈角变钝。\n诊断意见：1.心影增大 2.主动脉硬化"
    assert [c.normalized for c in pre.clauses(report) if c.normalized] == ["心影增大", "主动脉硬化"]
    assert [c.normalized for c in pre.clauses("【影像表现】\n右下肺片状影\n【诊断】\n右下肺炎")] == ["右下肺炎"]
    # without a diagnosis heading the findings are read rather than nothing; the clinical history never
    assert [c.normalized for c in pre.clauses("临床诊断：咳嗽\n影像表现：右下肺片状影")] == ["右下肺片状影"]


def test_sections_all_reads_every_line(zh_data):
    from cxrlabel.zh.preprocess import ClausePreprocessor

    everything = ClausePreprocessor(zh_data, sections="all")
    report = "影像所见：两肺纹理增多\n诊断意见：心影增大"
    assert "两肺纹理增多" in [c.normalized for c in everything.clauses(report)]


@pytest.mark.parametrize("text, expected", [
    ("右肺结节，大小约1.2cm", ["右肺结节"]),  # the leftover 大小约 is dropped
    ("心影较前增大", ["心影增大"]),  # a change since the last film is a finding
    ("较前片(2019-01-01)无明显变化", []),  # "no change since" is boilerplate
    ("两肺可见Kerley B线", ["两肺可见Kerley B线"]),  # English keeps its space
])
def test_leftovers_comparisons_and_english(pre, text, expected):
    assert [c.normalized for c in pre.clauses(text) if c.normalized] == expected
