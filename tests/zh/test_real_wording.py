"""Wording of real hospital chest radiograph reports, written here as general radiology language: closing
advice and headings, removal and resolution, device positions, degree words, the chosen k, and the names
the lexicon suggests."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxrlabel.zh import gold_scores
from cxrlabel.zh.auto_k import FindingKMedoids, leader_groups
from cxrlabel.zh.cues import Cue
from cxrlabel.zh.distance import Metric
from cxrlabel.zh.known_findings import finding_guide, output_name, suggest_label
from cxrlabel.zh.mine import MineSettings, mine
from cxrlabel.zh.normalize import position_pattern, strip_positions


def parts(pre, text: str) -> list[tuple[str, str]]:
    """(cue, normalized) of every clause part that is not boilerplate."""
    return [(c.cue.value, c.normalized) for c in pre.clauses(text) if not c.boilerplate]


# 1. advice, comparisons and headings are discourse, never findings
@pytest.mark.parametrize("advice", [
    "详请贵科结合临床阅片", "详请密切结合临床考虑", "请密切结合临床", "建议进一步行CT检查", "必要时复查",
    "余大致同前", "余所见同前", "意义待定", "急诊报告", "无前片对比", "呼气相?",
])
def test_advice_and_comparisons_leave_nothing_to_cluster(pre_nolat, advice):
    assert [p for p in parts(pre_nolat, f"{advice}。") if p[1]] == []


@pytest.mark.parametrize("text, findings", [
    ("两肺渗出，以左下肺为著。", ["肺渗出"]), ("双肺纹理增多，右肺为著。", ["肺纹理增多"]),
    ("与2020/03/01日片比较：心影增大。", ["心影增大"]), ("与2019年5月2日片对比，右侧胸腔积液。", ["胸腔积液"]),
    ("右侧深静脉置管，管末端约平T6椎体下缘水平。", ["深静脉置管"]), ("左下肺渗出较前略有进展。", ["肺渗出"]),
])
def test_a_place_a_dated_comparison_or_a_tube_end_adds_no_finding(pre_nolat, text, findings):
    assert [p[1] for p in parts(pre_nolat, text) if p[1]] == findings


@pytest.mark.parametrize("text, finding", [
    ("附见：腰椎侧弯", "腰椎侧弯"), ("附见胸椎侧弯。", "胸椎侧弯"), ("另见：锁骨陈旧性骨折", "锁骨陈旧性骨折"),
])
def test_a_heading_keeps_its_finding(pre_nolat, text, finding):
    assert [p[1] for p in parts(pre_nolat, text) if p[1]] == [finding]


def test_mining_reports_full_of_advice_makes_no_advice_cluster(pre_nolat):
    closings = ["请结合临床。", "详请贵科阅片。", "建议复查。", "必要时进一步检查。", "余大致同前。"]
    findings = ["两肺纹理增多", "主动脉硬化", "心影增大", "右侧胸腔积液", "左下肺炎症"]
    texts = [f"{findings[i % 5]}，{closings[(i * 3) % 5]}{closings[(i + 1) % 5]}" for i in range(40)]
    result = mine([str(i) for i in range(40)], texts, MineSettings(k=5), pre_nolat)
    members = " ".join(c for ms in result.clusters["members"] for c, _ in ms)
    assert not any(word in members for word in ("临床", "贵科", "复查", "检查", "同前"))


# 2. removal and resolution are absence; less, better and unchanged are presence
@pytest.mark.parametrize("text, finding", [
    ("胸腔引流管现已拔除", "胸腔引流管"), ("气管导管已拔出", "气管导管"), ("右侧胸腔积液已吸收", "胸腔积液"),
    ("左下肺渗出基本吸收", "肺渗出"), ("原右肺结节影现未见显示", "肺结节影"), ("皮下积气已消失", "皮下积气"),
])
def test_removed_or_resolved_is_negated(pre_nolat, text, finding):
    assert parts(pre_nolat, text) == [(Cue.NEGATED.value, finding)]


@pytest.mark.parametrize("text, finding", [
    ("右侧胸腔积液较前减少", "胸腔积液"), ("左下肺渗出较前好转", "肺渗出"), ("右侧气胸部分吸收", "气胸"),
    ("两下肺间质改变同前相仿", "肺间质改变"), ("左肺不张较前进展", "肺不张"),
])
def test_less_better_or_unchanged_is_still_present(pre_nolat, text, finding):
    assert parts(pre_nolat, text) == [(Cue.NONE.value, finding)]


@pytest.mark.parametrize("text, finding", [
    ("左下肺炎症较前无明显吸收", "肺炎症"), ("两肺渗出较前无明显变化", "肺渗出"), ("右侧胸腔积液未完全吸收", "胸腔积液"),
    ("右下肺感染未见明显吸收", "肺感染"), ("左侧气胸吸收不明显", "气胸"),
])
def test_not_absorbed_or_not_changed_is_still_present(pre_nolat, text, finding):
    assert parts(pre_nolat, text) == [(Cue.NONE.value, finding)]


def test_a_change_without_a_finding_leaves_nothing(pre_nolat):
    assert [p for p in parts(pre_nolat, "右侧胸腔积液，现较前明显吸收改善。") if p[1]] == [(Cue.NONE.value, "胸腔积液")]


def test_a_finding_that_names_less_is_not_read_as_change(pre_nolat):
    assert parts(pre_nolat, "两肺纹理减少") == [(Cue.NONE.value, "肺纹理减少")]


# 3. device positions are dropped as sizes are; the device stays
@pytest.mark.parametrize("text", [
    "中心静脉导管末端位于胸7椎体水平", "中心静脉导管头端约平T6椎体下缘", "中心静脉导管尖端位于胸5/6椎间隙水平",
    "中心静脉导管位于T8椎体上缘水平", "中心静脉导管头端距隆突下方约2cm",
])
def test_every_position_of_one_device_normalises_to_the_device(pre_nolat, text):
    assert parts(pre_nolat, text) == [(Cue.NONE.value, "中心静脉导管")]


def test_a_clause_that_only_places_the_tube_is_dropped(pre_nolat):
    assert [p for p in parts(pre_nolat, "鼻饲管留置，管端约位于胸11椎体水平。") if p[1]] == [("none", "鼻饲管留置")]


def test_a_place_without_a_level_number_is_no_position(zh_data):
    pattern = position_pattern(zh_data.positions)
    assert strip_positions("起搏器电极位于右心室区", pattern) == "起搏器电极位于右心室区"
    assert strip_positions("结节位于胸膜下", pattern) == "结节位于胸膜下"


def test_degree_words_do_not_split_a_finding(pre_nolat):
    assert parts(pre_nolat, "右侧胸壁软组织少许积气")[0][1] == parts(pre_nolat, "左侧胸壁软组织积气")[0][1]


# 4. k chosen from the archive
def test_leader_groups_weigh_each_group():
    items = ["胸腔积液", "胸腔少量积液", "肋骨骨折", "肋骨陈旧骨折", "肺门增大"]
    leaders, reach = leader_groups(items, np.array([6.0, 2.0, 3.0, 1.0, 1.0]), Metric(), radius=0.5)
    assert [items[i] for i in leaders] == ["胸腔积液", "肋骨骨折", "肺门增大"]
    assert reach.tolist() == [8.0, 4.0, 1.0]


def test_every_known_finding_held_by_enough_reports_gets_its_own_cluster(zh_data):
    guide = finding_guide(zh_data)
    common = {"两肺纹理增多": 300, "主动脉硬化": 120, "心影增大": 80}
    rare = {"右侧气胸": 3, "左侧肋骨骨折": 2, "右肺不张": 2}
    items = [*common, *rare, "胸骨后甲状腺影", "胸骨后甲状腺"]
    weights = np.array([*common.values(), *rare.values(), 4.0, 3.0])
    fitted = FindingKMedoids(guide).fit(items, weights)
    medoids = {items[i] for i in fitted.medoid_indices_}
    assert {*common, *rare} <= medoids  # rare known findings are kept apart from the common ones
    assert len(medoids & {"胸骨后甲状腺影", "胸骨后甲状腺"}) == 1  # one unnamed wording, 7 reports
    assert fitted.n_clusters_ == 7


def test_rare_unnamed_wording_gets_no_cluster(zh_data):
    items = ["两肺纹理增多", "某种罕见描述"]
    fitted = FindingKMedoids(finding_guide(zh_data)).fit(items, np.array([50.0, 2.0]))
    assert [items[i] for i in fitted.medoid_indices_] == ["两肺纹理增多"]


def test_mine_chooses_k_by_default_and_k_still_fixes_it(pre_nolat):
    texts = (["两肺纹理增多。"] * 30 + ["主动脉硬化。"] * 20 + ["右侧少量气胸。"] * 3 + ["左侧第5肋骨骨折。"] * 2
             + ["胸骨后甲状腺影。"] * 6)
    ids = [str(i) for i in range(len(texts))]
    chosen = mine(ids, texts, MineSettings(), pre_nolat)
    assert len(chosen.clusters) == 5
    assert {"气胸", "肋骨骨折"} <= set(chosen.clusters["medoid"])
    assert len(mine(ids, texts, MineSettings(k=2), pre_nolat).clusters) == 2


# 5. suggested names for what hospital reports hold
@pytest.mark.parametrize("medoid, label", [
    ("老年性心肺改变", "senile_change"), ("胃管留置", "support_device"), ("PICC置管", "support_device"),
    ("输液港留置", "support_device"), ("肺叶切除术后改变", "post_surgery"), ("肺尖陈旧灶", "old_lesion"),
    ("纵隔淋巴结钙化", "old_lesion"), ("肺组织膨胀不全", "atelectasis"), ("胸壁皮下气肿", "subcutaneous_emphysema"),
    ("主动脉影增宽", "aortic_widening"), ("主动脉结增宽", "aortic_widening"),
])
def test_hospital_findings_get_their_names(zh_data, medoid, label):
    assert suggest_label(medoid, zh_data.known_findings) == label


def test_senile_change_is_a_finding_not_normal(zh_data):
    assert output_name(suggest_label("老年性心肺改变", zh_data.known_findings), zh_data.chexpert_names) != "No Finding"


@pytest.mark.parametrize("label", ["device", "胃管", "气管插管", "输液港"])
def test_device_labels_are_support_devices(zh_data, label):
    assert output_name(label, zh_data.chexpert_names) == "Support Devices"


def test_an_organ_on_the_wrong_side_keeps_its_side(pre_nolat, zh_data):
    assert parts(pre_nolat, "右位主动脉弓") == [(Cue.NONE.value, "右位主动脉弓")]
    assert parts(pre_nolat, "右侧胸腔积液") == [(Cue.NONE.value, "胸腔积液")]
    assert suggest_label("右位心", zh_data.known_findings) == "dextrocardia"


@pytest.mark.parametrize("text", ["胸椎左侧弯", "脊柱右侧弯", "胸椎轻度左侧弯"])
def test_a_side_before_a_curve_leaves_the_curve(pre_nolat, zh_data, text):
    assert [suggest_label(n, zh_data.known_findings) for _, n in parts(pre_nolat, text)] == ["scoliosis"]


# 6. prose: a list of things ruled out goes on across the comma
def test_a_clause_closing_a_ruled_out_list_keeps_its_negation(pre_nolat):
    assert parts(pre_nolat, "肺部没有实变，气胸的迹象") == [("negated", "肺部实变"), ("negated", "气胸")]
    assert parts(pre_nolat, "没有发现骨折，纵隔增宽的证据") == [("negated", "骨折"), ("negated", "纵隔增宽")]


def test_a_report_clause_after_a_negation_stays_positive(pre_nolat):
    assert parts(pre_nolat, "未见气胸，左侧胸腔积液") == [("negated", "气胸"), ("none", "胸腔积液")]


def test_with_a_small_fixed_k_a_known_finding_is_never_merged_into_another(pre_nolat):
    texts = ["两肺纹理增多。"] * 30 + ["主动脉硬化。"] * 20 + ["右侧气胸。"] * 3
    result = mine([str(i) for i in range(len(texts))], texts, MineSettings(k=2), pre_nolat)
    pneumothorax = result.clauses[result.clauses["normalized"] == "气胸"]
    assert not pneumothorax["assigned"].any()  # left apart as unassigned, listed so on clusters.html


# 8. a word that names two findings gives a part for each (lexicons/zh/compounds.tsv)
@pytest.mark.parametrize("text, expected", [
    ("右侧液气胸", [("none", "胸腔积液"), ("none", "气胸")]),
    ("左侧包裹性液气胸较前减少", [("none", "包裹性胸腔积液"), ("none", "包裹性气胸")]),
    ("未见明确液气胸", [("negated", "胸腔积液"), ("negated", "气胸")]),
    ("房间隔缺损封堵术后", [("none", "房间隔缺损封堵器"), ("none", "房间隔缺损术后")]),
    ("心脏起搏器植入术后", [("none", "心脏起搏器"), ("none", "心脏术后")]),
])
def test_a_compound_finding_is_split_into_its_findings(pre_nolat, text, expected):
    assert parts(pre_nolat, text) == expected


def test_each_part_of_a_compound_is_labelled_by_its_own_cluster(pre_nolat):
    texts = ["右侧气胸。"] * 6 + ["左侧胸腔积液。"] * 6 + ["两肺纹理增多。"] * 6 + ["右侧液气胸。"]
    ids = [str(i) for i in range(len(texts))]
    result = mine(ids, texts, MineSettings(), pre_nolat)
    names = {int(c): suggest_label(m, pre_nolat.data.known_findings)
             for c, m in zip(result.clusters["cluster_id"], result.clusters["medoid"])}
    out = gold_scores.predict(texts, pre_nolat, result, MineSettings(), names).iloc[-1]
    assert out["Pneumothorax"] == 1.0 and out["Pleural Effusion"] == 1.0 and out["n_labels"] == 2


def test_an_aside_in_brackets_is_a_part_of_its_own(pre_nolat):
    assert parts(pre_nolat, "心脏术后改变（室间隔缺损修补术后改变）") == [
        ("none", "心脏术后改变"), ("none", "室间隔缺损修补术后改变")]
    assert [c.text for c in pre_nolat.clauses("心影增大（心胸比约0.6）")] == ["心影增大", "心胸比约0.6"]
    assert parts(pre_nolat, "左肺结节（约5mm）") == [("none", "肺结节")]


def test_a_compound_entry_must_name_two_findings(tmp_path):
    from shutil import copytree

    from cxrlabel.errors import UserError
    from cxrlabel.zh.data_files import lexicons_folder, load_zh_data

    folder = copytree(lexicons_folder(), tmp_path / "lex")
    (folder / "compounds.tsv").write_text("液气胸\t气胸\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"compounds.tsv: entry 1 .*two or more findings"):
        load_zh_data(lexicon_dir=folder)


# 9. a finding told apart from a broader one it is measured as (lexicons/zh/finding_groups.tsv)
@pytest.mark.parametrize("narrow, broad, label", [
    ("主动脉迂曲", "主动脉硬化", "aortic_tortuosity"), ("右侧肋膈角变钝", "右侧胸腔积液", "costophrenic_blunting"),
])
def test_a_grouped_finding_has_its_own_cluster_by_default_and_shares_one_at_small_k(pre_nolat, narrow, broad, label):
    texts = [f"{narrow}。"] * 4 + [f"{broad}。"] * 12 + ["两肺纹理增多。"] * 20
    ids = [str(i) for i in range(len(texts))]
    chosen = mine(ids, texts, MineSettings(), pre_nolat)
    assert label in {suggest_label(m, pre_nolat.data.known_findings) for m in chosen.clusters["medoid"]}
    small = mine(ids, texts, MineSettings(k=2), pre_nolat).clauses
    assert small.groupby("normalized")["cluster_id"].first().nunique() == 2
    assert small["assigned"].all()  # the narrow finding joins the broad one's cluster, not left unassigned


def test_a_finding_group_names_the_broadest_finding(tmp_path):
    from shutil import copytree

    from cxrlabel.errors import UserError
    from cxrlabel.zh.data_files import lexicons_folder, load_zh_data

    folder = copytree(lexicons_folder(), tmp_path / "lex")
    (folder / "finding_groups.tsv").write_text("a\tb\nb\tc\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"finding_groups.tsv: entry 1 groups 'a' under 'b'"):
        load_zh_data(lexicon_dir=folder)


# 10. the lexicon is matched against normalised text, so each finding pattern must survive normalisation
def test_every_known_finding_pattern_is_written_as_it_arrives_normalised(pre_nolat, zh_data):
    changed = [(pattern, [c.normalized for c in pre_nolat.clauses(pattern)])
               for pattern, label in zh_data.known_findings
               if output_name(label, zh_data.chexpert_names) != "No Finding"]
    assert [(p, n) for p, n in changed if n != [p]] == []


@pytest.mark.parametrize("text, expected", [
    ("双侧肋膈角稍钝", "costophrenic_blunting"), ("双肺尖胸膜少许增厚", "pleural_thickening"),
    ("心影轻度增大", "cardiomegaly"), ("两肺纹理稍强", "lung_markings"),
])
def test_a_finding_with_a_degree_word_keeps_its_name(pre_nolat, zh_data, text, expected):
    [(_, normalized)] = parts(pre_nolat, text)
    assert suggest_label(normalized, zh_data.known_findings) == expected


# 11. "the rest", "as usual" and zones named together
@pytest.mark.parametrize("text, expected", [
    ("余双肺纹理稍强", [("none", "肺纹理强")]), ("其余心肺膈未见异常", [("normal", "心肺膈")]),
    ("心膈如常", [("normal", "心膈")]), ("心肺膈未见异常改变", [("normal", "心肺膈")]),
    ("左中下肺野条片影", [("none", "肺野条片影")]),
])
def test_rest_as_usual_and_zone_words_are_no_finding(pre_nolat, text, expected):
    assert parts(pre_nolat, text) == expected


# 12. one subject, several predicates; several places, one finding
@pytest.mark.parametrize("text, expected", [
    ("主动脉增宽、硬化", [("none", "主动脉增宽"), ("none", "主动脉硬化")]),
    ("两肺纹理增多、紊乱", [("none", "肺纹理增多"), ("none", "肺纹理紊乱")]),
    ("心、肺、膈未见异常", [("normal", "心肺膈")]),
    ("心影增大、双肺纹理增多", [("none", "心影增大"), ("none", "肺纹理增多")]),
])
def test_predicates_listed_after_one_subject_each_keep_the_subject(pre_nolat, text, expected):
    assert parts(pre_nolat, text) == expected


@pytest.mark.parametrize("text, finding", [
    ("左侧颈部、胸壁皮下积气", "颈部胸壁皮下积气"), ("右侧颈、胸壁软组织积气", "颈胸壁软组织积气"),
    ("右肺门、纵隔淋巴结钙化", "肺门纵隔淋巴结钙化"),
])
def test_places_listed_before_one_finding_share_it(pre_nolat, text, finding):
    assert parts(pre_nolat, text) == [("none", finding)]


def test_two_findings_with_their_sides_stay_apart(pre_nolat):
    assert parts(pre_nolat, "右侧气胸、左侧胸腔积液") == [("none", "气胸"), ("none", "胸腔积液")]
    assert parts(pre_nolat, "未见气胸及胸腔积液") == [("negated", "气胸"), ("negated", "胸腔积液")]


def test_a_stent_named_by_its_vessel_is_a_device(pre_nolat, zh_data):
    names = {suggest_label(n, zh_data.known_findings) for _, n in parts(pre_nolat, "主动脉支架置入术后改变")}
    assert names == {"support_device", "post_surgery"}


# 2b. removal or resolution said in a clause of its own speaks of the clause before
@pytest.mark.parametrize("text, finding", [
    ("原右侧胸腔引流管留置，现已拔除", "胸腔引流管留置"), ("左侧少量气胸，现已吸收", "气胸"),
    ("右下肺渗出；基本吸收", "肺渗出"),
])
def test_a_removal_on_its_own_negates_the_clause_before(pre_nolat, text, finding):
    assert [p for p in parts(pre_nolat, text) if p[1]] == [("negated", finding)]


def test_a_change_on_its_own_leaves_the_finding_present(pre_nolat):
    assert [p for p in parts(pre_nolat, "右侧胸腔积液，较前减少") if p[1]] == [("none", "胸腔积液")]
    assert parts(pre_nolat, "右侧胸腔积液已吸收，心影增大") == [("negated", "胸腔积液"), ("none", "心影增大")]


@pytest.mark.parametrize("text", ["右上肺斑片影", "左下肺片状模糊影", "右中上肺野条片影"])
def test_a_patchy_shadow_is_an_opacity_measured_as_pneumonia(pre_nolat, zh_data, text):
    [(_, normalized)] = parts(pre_nolat, text)
    assert output_name(suggest_label(normalized, zh_data.known_findings), zh_data.chexpert_names) == "Lung Opacity"
    guide = finding_guide(zh_data)
    assert Metric(guide).cross([normalized], ["肺炎症"])[0, 0] < 1.0  # drawn to pneumonia, not kept apart


def test_a_compound_clause_is_shown_in_each_cluster_and_an_override_names_the_whole_clause(pre_nolat):
    from cxrlabel.zh.label import ReviewedClusters, label_reports

    texts = ["右侧气胸。"] * 6 + ["左侧胸腔积液。"] * 6 + ["右侧液气胸。"] * 2
    result = mine([str(i) for i in range(len(texts))], texts, MineSettings(), pre_nolat)
    holding = [set(dict(ms)) for ms in result.clusters["members"]]
    assert sum("右侧液气胸" in m for m in holding) == 2  # the review page lists it under both findings
    names = {int(c): suggest_label(m, pre_nolat.data.known_findings)
             for c, m in zip(result.clusters["cluster_id"], result.clusters["medoid"])}
    reviewed = ReviewedClusters.build(pre_nolat, gold_scores.saved_model(result, MineSettings(), pre_nolat), names,
                                      0.5, overrides={"右侧液气胸": "pneumothorax"})
    row = label_reports(["右侧液气胸。"], reviewed).frame.iloc[0]
    assert row["Pneumothorax"] == 1.0 and pd.isna(row.get("Pleural Effusion")) and row["n_labels"] == 1


# 13. hedges the hospital writes in one character
@pytest.mark.parametrize("text, expected", [
    ("拟支气管肺炎", [("uncertain", "支气管肺炎")]), ("拟诊左下肺炎", [("uncertain", "肺炎")]),
    ("左第6后肋似稍膨大", [("uncertain", "后肋膨大")]), ("类似结节影", [("none", "类似结节影")]),
])
def test_one_character_hedges_are_uncertain_only_as_words(pre_nolat, text, expected):
    assert parts(pre_nolat, text) == expected


# 14. alternatives: either may be the finding, so neither is stated
@pytest.mark.parametrize("text, expected", [
    ("左下肺陈旧性病灶或慢性炎症", [("uncertain", "肺陈旧性病灶"), ("uncertain", "慢性炎症")]),
    ("右侧胸腔积液或气胸", [("uncertain", "胸腔积液"), ("uncertain", "气胸")]),
    ("未见胸腔积液或气胸", [("negated", "胸腔积液"), ("negated", "气胸")]),
    ("没有肺不张，胸腔积液或气胸", [("negated", "肺不张"), ("negated", "胸腔积液"), ("negated", "气胸")]),
    ("右肺结节、左肺肿块", [("none", "肺结节"), ("none", "肺肿块")]),
])
def test_alternatives_are_each_uncertain_unless_negated(pre_nolat, text, expected):
    assert parts(pre_nolat, text) == expected


# 15. a finding whose word holds a shorter finding's word, and implants left by an operation
@pytest.mark.parametrize("text, label", [
    ("少量心包积液", "pericardial_effusion"), ("纵隔气肿", "pneumomediastinum"), ("右侧肋膈角消失", "costophrenic_blunting"),
    ("右肺团块影", "mass"), ("两肺间质纤维化", "interstitial"), ("胸椎退行性变", "degenerative_change"),
    ("双侧肋骨骨质破坏", "bone_lesion"), ("胸廓畸形", "chest_deformity"), ("气管受压移位", "tracheal_change"),
    ("双肺野透过度稍低", "lung_opacity"), ("右肺透过度增高", "emphysema"),
])
def test_a_longer_finding_word_wins_over_the_word_it_holds(pre_nolat, zh_data, text, label):
    [(_, normalized)] = parts(pre_nolat, text)
    assert suggest_label(normalized, zh_data.known_findings) == label


@pytest.mark.parametrize("text", ["胸椎内固定术后改变", "二尖瓣置换术后"])
def test_an_implant_left_by_an_operation_is_a_device_and_an_operation(pre_nolat, zh_data, text):
    assert {suggest_label(n, zh_data.known_findings) for _, n in parts(pre_nolat, text)} == {"support_device",
                                                                                               "post_surgery"}


def test_a_finding_keeps_to_its_own_cluster_beside_a_related_one_worded_alike(zh_data):
    metric = Metric(finding_guide(zh_data))
    medoids = ["肺野斑片影", "肺渗出"]  # patchy opacity, pneumonia: related findings of one group
    assert int(metric.nearest(["肺野感染"], medoids)[0][0]) == 1  # pneumonia, though worded like the first
    assert metric.cross(["主动脉迂曲"], ["主动脉硬化"])[0, 0] == pytest.approx(0.5)
