from cxrlabel.zh.clauses import split_clauses
from cxrlabel.zh.normalize import laterality_pattern, strip_laterality, strip_numbers, tidy_whitespace, to_halfwidth


def test_numbered_items_of_every_style_split():
    text = "1.两肺纹理增多 2、心影增大（3）主动脉硬化④左侧胸腔积液\n５．肺气肿"
    assert split_clauses(text) == ["两肺纹理增多", "心影增大", "主动脉硬化", "左侧胸腔积液", "肺气肿"]


def test_punctuation_and_line_breaks_split():
    assert split_clauses("双膈面光整，肋膈角锐利。气管居中;纵隔居中,心影不大\r\n请结合临床") == [
        "双膈面光整", "肋膈角锐利", "气管居中", "纵隔居中", "心影不大", "请结合临床"]


def test_decimals_rib_lists_and_codes_are_not_item_numbers():
    assert split_clauses("右肺结节约0.5cm") == ["右肺结节约0.5cm"]
    assert split_clauses("右侧第5、6肋骨骨折") == ["右侧第5、6肋骨骨折"]
    assert split_clauses("T12、L1椎体压缩") == ["T12、L1椎体压缩"]
    assert split_clauses("右侧3、4肋骨骨折") == ["右侧3、4肋骨骨折"]


def test_item_number_glued_to_previous_clause_splits():
    assert split_clauses("左肺转移2.双肾囊肿") == ["左肺转移", "双肾囊肿"]


def test_empty_and_whitespace_give_no_clauses():
    assert split_clauses("") == []
    assert split_clauses("  \n ，。") == []


def test_fullwidth_folds_and_whitespace_tidies():
    assert to_halfwidth("１２ＣＭ，（左）？") == "12CM,(左)?"
    assert tidy_whitespace("  两肺 纹理\u3000增多  Kerley  B 线 ") == "两肺纹理增多Kerley B线"


def test_digits_measurements_and_dates_are_removed():
    assert strip_numbers("右肺结节约0.5cm×0.3cm") == "右肺结节约"
    assert strip_numbers("较前(2016-2-26)基本变化不著") == "较前基本变化不著"
    assert strip_numbers("右侧第5、6、7肋骨骨折") == "右侧肋骨骨折"
    assert strip_numbers("2019年3月复查") == "复查"
    assert strip_numbers("心胸比约0.56") == "心胸比约"


def test_laterality_is_removed_longest_first():
    pattern = laterality_pattern(["左", "右", "双", "双侧", "左侧", "右侧", "两下"])
    assert strip_laterality("左侧胸腔积液", pattern) == strip_laterality("右侧胸腔积液", pattern) == "胸腔积液"
    assert strip_laterality("双侧胸膜增厚", pattern) == "胸膜增厚"
    assert strip_laterality("两下肺纹理增多", pattern) == "肺纹理增多"
    assert strip_laterality("心影增大", None) == "心影增大"
