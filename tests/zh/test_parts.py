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
    ("两肺纹理增多、增粗", [(Cue.NONE, "两肺纹理增多增粗")]),  # a shared subject: one part
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
