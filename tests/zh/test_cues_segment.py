import pytest

from cxrlabel.errors import UserError
from cxrlabel.zh.cues import Cue, CueMatcher
from cxrlabel.zh.segment import read_userdict


@pytest.fixture(scope="module")
def cues(zh_data):
    return CueMatcher(zh_data.negation, zh_data.uncertainty, zh_data.normal, zh_data.not_cues)


@pytest.mark.parametrize("clause, kind, rest", [
    ("未见胸腔积液", Cue.NEGATED, "胸腔积液"),
    ("无气胸", Cue.NEGATED, "气胸"),
    ("未发现骨折", Cue.NEGATED, "骨折"),
    ("心肺未见明显异常", Cue.NORMAL, "心肺"),
    ("心影不大", Cue.NORMAL, "心影"),
    ("肋膈角锐利", Cue.NORMAL, "肋膈角"),
    ("两肺纹理清晰", Cue.NORMAL, "两肺纹理"),
    ("不考虑肺炎", Cue.NEGATED, "肺炎"),
    ("未见胸腔积液,考虑肺炎", Cue.UNCERTAIN, "胸腔积液,肺炎"),
    ("右侧肋膈角消失", Cue.NONE, "右侧肋膈角消失"),  # 消失 inside a finding: not_cues.txt
    ("肺纹理不清晰", Cue.NONE, "肺纹理不清晰"),  # 不清晰 negates a normal descriptor
    ("气胸消失", Cue.NEGATED, "气胸"),
    ("排除气胸", Cue.NEGATED, "气胸"),
    ("考虑右下肺炎", Cue.UNCERTAIN, "右下肺炎"),
    ("右下肺炎可能", Cue.UNCERTAIN, "右下肺炎"),
    ("疑左肺结节", Cue.UNCERTAIN, "左肺结节"),
    ("肺炎?", Cue.UNCERTAIN, "肺炎"),
    ("双侧胸腔积液", Cue.NONE, "双侧胸腔积液"),
])
def test_cue_kinds_and_removal(cues, clause, kind, rest):
    assert cues.classify(clause) == (kind, rest)


def test_longest_cue_wins(cues):
    # 不除外 contains 除外/排 but is uncertainty; 待排除 contains 排除 but is uncertainty.
    assert cues.find("不除外结核") == ["不除外"]
    assert cues.classify("不除外结核") == (Cue.UNCERTAIN, "结核")
    assert cues.find("待排除肺炎") == ["待排除"]
    assert cues.classify("右侧气胸待排") == (Cue.UNCERTAIN, "右侧气胸")
    assert cues.find("未见明显骨折") == ["未见明显"]


def test_uncertainty_outranks_negation(cues):
    assert cues.classify("未见明确结节,考虑炎症")[0] is Cue.UNCERTAIN


def test_fullwidth_question_mark_after_folding(pre):
    [clause] = pre.clauses("右下肺炎症？")
    assert clause.cue is Cue.UNCERTAIN and clause.normalized == "右下肺炎症"


def test_cue_in_both_lists_is_a_user_error():
    with pytest.raises(UserError, match="both negation and uncertainty"):
        CueMatcher(["可能"], ["可能"])


def test_dictionary_keeps_radiology_terms_whole(pre):
    for term in ("肋膈角", "肺纹理", "主动脉硬化", "胸膜增厚", "胸腔积液"):
        assert term in pre.segmenter.tokens(f"双侧{term}改变")
    assert pre.segmenter.tokens("双侧肋膈角变钝") == ["双侧", "肋膈角", "变钝"]


def test_user_dictionary_is_big_enough_and_clean(zh_data):
    words = [w for w, _ in read_userdict(zh_data.userdict)]
    assert len(words) >= 200
    assert len(words) == len(set(words))


def test_private_tokenizer_leaves_global_jieba_alone(pre):
    import jieba

    pre.segmenter.tokens("肋膈角变钝")
    assert "肋膈角" not in jieba.dt.FREQ or jieba.dt.FREQ.get("肋膈角", 0) < 200_000


def test_boilerplate_and_numbers_in_preprocessing(pre):
    clauses = pre.clauses("1.右侧第5、6肋骨骨折 2.请结合临床 3.较前(2019-03-01)无明显变化")
    assert [c.boilerplate for c in clauses] == [False, True, True]
    assert clauses[0].normalized == "右侧肋骨骨折"
    assert [c.clause_no for c in clauses] == [0, 1, 2]


def test_drop_laterality_merges_sides(pre_nolat):
    left, right = pre_nolat.clauses("左侧胸腔积液。右侧胸腔积液")
    assert left.normalized == right.normalized == "胸腔积液"
