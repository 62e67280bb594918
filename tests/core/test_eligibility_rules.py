"""Who gets how much, as tables of legal cases in words (DOMAIN.md §1–3, the annexes of NĐ 75/2021,
NĐ 55/2023 and NĐ 77/2024, Luật Người khuyết tật 2010, Luật BHXH 2024)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import yaml

from core.eligibility import UNKNOWN, Evaluation, FactError, Facts, evaluate, evaluate_range
from core.rules import RULES_DIR, UnknownBenefit, load_rules

BEFORE = date(2024, 6, 30)  # last day of the 360.000 đ standard
AFTER = date(2024, 7, 1)  # first day of the 500.000 đ standard (NĐ 76/2024); no hưu trí xã hội yet
LAST_DAY_WITHOUT_SOCIAL_PENSION = date(2025, 6, 30)
SOCIAL_PENSION_STARTS = date(2025, 7, 1)  # NĐ 176/2025
NOW = date(2026, 1, 15)
MERIT_2021, MERIT_2023, MERIT_2024 = date(2022, 3, 1), date(2023, 10, 1), NOW  # NĐ 75/2021, 55/2023, 77/2024

# Every fact the interview may ask, answered with its "no": a person in no group unless a case says so.
NOBODY: dict[str, Any] = dict(
    has_pension=False,
    pension_below_social_pension=False,
    household_type="none",
    has_supporter=True,
    taken_in_by_carer=False,
    disability_level="none",
    family_cares=False,
    orphan_situation="none",
    was_receiving_child_allowance=False,
    studying=False,
    is_single_parent=False,
    children_in_care=0,
    lives_in_special_area=False,
    infant_care="none",
    hiv=False,
    has_stable_income=True,
)


def person(**given: Any) -> Facts:
    return Facts(**{**NOBODY, **given})


def paid(result: Evaluation) -> list[str]:
    return [item.key for item in result.benefits if item.paid]


# --- Điều 5–6 NĐ 20/2021: every group and coefficient, at 360.000 đ and at 500.000 đ -----------

GROUPS = [
    # (case in words, facts, benefit paid, amount on 30/6/2024, amount on 1/7/2024)
    ("k1a trẻ 2 tuổi bị bỏ rơi, hệ số 2,5", dict(age=2, orphan_situation="abandoned"),
     ["btxh_k1_under4"], 900_000, 1_250_000),
    ("k1b trẻ 3 tuổi mồ côi cả cha và mẹ, dưới 4 tuổi: 2,5", dict(age=3, orphan_situation="both_parents_dead"),
     ["btxh_k1_under4"], 900_000, 1_250_000),
    ("k1 trẻ đúng 4 tuổi: từ đủ 4 tuổi hệ số 1,5", dict(age=4, orphan_situation="both_parents_dead"),
     ["btxh_k1_4plus"], 540_000, 750_000),
    ("k1c–đ mồ côi một bên, người kia mất tích hoặc đang chấp hành án, 15 tuổi",
     dict(age=15, orphan_situation="one_dead_other_absent"), ["btxh_k1_4plus"], 540_000, 750_000),
    ("k1e–l cả cha và mẹ ở cơ sở trợ giúp xã hội hoặc chấp hành án, 10 tuổi",
     dict(age=10, orphan_situation="both_absent"), ["btxh_k1_4plus"], 540_000, 750_000),
    ("k1 trẻ còn cha mẹ nuôi dưỡng: không thuộc diện", dict(age=10), [], 0, 0),
    ("k1 đủ 16 tuổi không đi học: hết là trẻ em, không còn hưởng",
     dict(age=16, orphan_situation="both_parents_dead", was_receiving_child_allowance=True), [], 0, 0),
    ("k2 18 tuổi đang học nghề, trước đó hưởng diện k1: 1,5",
     dict(age=18, was_receiving_child_allowance=True, studying=True), ["btxh_k2"], 540_000, 750_000),
    ("k2 đúng 22 tuổi vẫn đang học: còn hưởng",
     dict(age=22, was_receiving_child_allowance=True, studying=True), ["btxh_k2"], 540_000, 750_000),
    ("k2 23 tuổi: quá 22 tuổi, thôi hưởng", dict(age=23, was_receiving_child_allowance=True, studying=True),
     [], 0, 0),
    ("k3 trẻ 3 tuổi nhiễm HIV thuộc hộ nghèo: 2,5", dict(age=3, hiv=True, household_type="poor"),
     ["btxh_k3_under4"], 900_000, 1_250_000),
    ("k3 trẻ đúng 4 tuổi nhiễm HIV thuộc hộ nghèo: 2,0", dict(age=4, hiv=True, household_type="poor"),
     ["btxh_k3_4plus"], 720_000, 1_000_000),
    ("k3 trẻ nhiễm HIV hộ cận nghèo: không (k3 và k8 chỉ cho hộ nghèo)",
     dict(age=8, hiv=True, household_type="near_poor"), [], 0, 0),
    ("k4 người đơn thân hộ cận nghèo nuôi 3 con: 1,0 mỗi con",
     dict(age=30, household_type="near_poor", is_single_parent=True, children_in_care=3),
     ["btxh_k4"], 1_080_000, 1_500_000),
    ("k4 đơn thân nhưng không thuộc hộ nghèo, cận nghèo: không",
     dict(age=30, is_single_parent=True, children_in_care=2), [], 0, 0),
    ("k5a đúng 60 tuổi hộ nghèo, không có người phụng dưỡng: 1,5",
     dict(age=60, household_type="poor", has_supporter=False), ["btxh_k5a_60_79"], 540_000, 750_000),
    ("k5a 79 tuổi hộ nghèo, không có người phụng dưỡng: vẫn 1,5",
     dict(age=79, household_type="poor", has_supporter=False), ["btxh_k5a_60_79"], 540_000, 750_000),
    ("k5a đúng 80 tuổi hộ nghèo, không có người phụng dưỡng: 2,0",
     dict(age=80, household_type="poor", has_supporter=False), ["btxh_k5a_80"], 720_000, 1_000_000),
    ("k5a 59 tuổi: chưa là người cao tuổi", dict(age=59, household_type="poor", has_supporter=False), [], 0, 0),
    ("k5b 75 tuổi hộ cận nghèo sống ở xã đặc biệt khó khăn: 1,0",
     dict(age=75, household_type="near_poor", lives_in_special_area=True), ["btxh_k5b"], 360_000, 500_000),
    ("k5b 75 tuổi hộ cận nghèo không sống ở xã đặc biệt khó khăn: không",
     dict(age=75, household_type="near_poor"), [], 0, 0),
    ("k5c đúng 80 tuổi không có lương hưu: 1,0", dict(age=80), ["btxh_k5c"], 360_000, 500_000),
    ("k5c 79 tuổi không có lương hưu: chưa đủ 80", dict(age=79), [], 0, 0),
    ("k5c 90 tuổi có lương hưu: không", dict(age=90, has_pension=True), [], 0, 0),
    ("k5d người cao tuổi hộ nghèo được nhận chăm sóc tại cộng đồng: 3,0",
     dict(age=70, household_type="poor", has_supporter=False, taken_in_by_carer=True), ["btxh_k5d"],
     1_080_000, 1_500_000),
    ("k6 người khuyết tật đặc biệt nặng 30 tuổi: 2,0", dict(age=30, disability_level="especially_severe"),
     ["btxh_k6_especially_severe"], 720_000, 1_000_000),
    ("k6 đặc biệt nặng 16 tuổi: không còn là trẻ em, 2,0", dict(age=16, disability_level="especially_severe"),
     ["btxh_k6_especially_severe"], 720_000, 1_000_000),
    ("k6 trẻ em 15 tuổi khuyết tật đặc biệt nặng: 2,5", dict(age=15, disability_level="especially_severe"),
     ["btxh_k6_especially_severe_child_elderly"], 900_000, 1_250_000),
    ("k6 người cao tuổi đúng 60 tuổi khuyết tật đặc biệt nặng: 2,5",
     dict(age=60, disability_level="especially_severe"), ["btxh_k6_especially_severe_child_elderly"],
     900_000, 1_250_000),
    ("k6 người khuyết tật nặng 59 tuổi: 1,5", dict(age=59, disability_level="severe"), ["btxh_k6_severe"],
     540_000, 750_000),
    ("k6 trẻ em 5 tuổi khuyết tật nặng: 2,0", dict(age=5, disability_level="severe"),
     ["btxh_k6_severe_child_elderly"], 720_000, 1_000_000),
    ("k6 người cao tuổi 70 tuổi khuyết tật nặng: 2,0", dict(age=70, disability_level="severe"),
     ["btxh_k6_severe_child_elderly"], 720_000, 1_000_000),
    ("k7 trẻ 2 tuổi hộ nghèo ở xã đặc biệt khó khăn: 1,5",
     dict(age=2, household_type="poor", lives_in_special_area=True), ["btxh_k7"], 540_000, 750_000),
    ("k7 trẻ đúng 3 tuổi: không còn dưới 3 tuổi", dict(age=3, household_type="poor", lives_in_special_area=True),
     [], 0, 0),
    ("k7 không áp dụng khi trẻ đã thuộc k1 (k1 dưới 4 tuổi 2,5 cao hơn)",
     dict(age=1, household_type="poor", lives_in_special_area=True, orphan_situation="abandoned"),
     ["btxh_k1_under4"], 900_000, 1_250_000),
    ("k8 người nhiễm HIV hộ nghèo không có thu nhập ổn định: 1,5",
     dict(age=40, hiv=True, household_type="poor", has_stable_income=False),
     ["btxh_k8"], 540_000, 750_000),
    ("k8 nhưng có lương hưu: lương hưu là thu nhập ổn định, không",
     dict(age=65, hiv=True, household_type="poor", has_pension=True, has_stable_income=False), [], 0, 0),
]  # fmt: skip


@pytest.mark.parametrize(("case", "facts", "keys", "before", "after"), GROUPS, ids=[g[0] for g in GROUPS])
def test_every_group_at_both_standards(
    case: str, facts: dict[str, Any], keys: list[str], before: int, after: int
) -> None:
    for day, amount in ((BEFORE, before), (AFTER, after)):
        result = evaluate(person(**facts), day)
        assert result.complete, (case, day, result.next_question)
        assert paid(result) == keys, (case, day)
        assert result.monthly_total_vnd == amount, (case, day)


def test_a_paid_benefit_carries_citation_form_papers_and_status() -> None:
    result = evaluate(person(age=30, disability_level="especially_severe"), NOW)
    (item,) = result.benefits
    assert item.amount_vnd == 1_000_000 and item.coefficient == 2.0 and item.confirmed
    assert item.citation == "khoản 6 Điều 5, khoản 1 Điều 6 NĐ 20/2021/NĐ-CP"
    assert item.form == "1đ" and "Giấy xác nhận khuyết tật" in item.papers
    assert "Giấy xác nhận mức độ khuyết tật" in item.starts  # Điều 8: from the month of the paper
    assert "hệ số 2 × mức chuẩn 500.000" in " ".join(result.explanation).replace("\xa0", " ")


# --- Luật Người khuyết tật 2010, khoản 1 Điều 51 -------------------------------------------------

DISABILITY_EXCLUSION = [
    ("người khuyết tật nặng 45 tuổi đang hưởng trợ cấp BHXH hằng tháng: không hưởng k6",
     dict(age=45, disability_level="severe", has_pension=True), [], 0),
    ("người khuyết tật đặc biệt nặng 70 tuổi có lương hưu: không hưởng k6",
     dict(age=70, disability_level="especially_severe", has_pension=True), [], 0),
    ("thương binh 41% khuyết tật nặng 50 tuổi: hưởng ưu đãi người có công, không hưởng k6",
     dict(age=50, disability_level="severe", merit_group="war_invalid", injury_rate=41), ["ncc_war_invalid"],
     3_667_000),
    ("người khuyết tật nặng 45 tuổi không có lương hưu: hưởng k6 1,5",
     dict(age=45, disability_level="severe"), ["btxh_k6_severe"], 750_000),
    ("trẻ 10 tuổi khuyết tật đặc biệt nặng (trẻ em không có lương hưu): 2,5",
     dict(age=10, disability_level="especially_severe"), ["btxh_k6_especially_severe_child_elderly"], 1_250_000),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "facts", "keys", "amount"), DISABILITY_EXCLUSION, ids=[c[0] for c in DISABILITY_EXCLUSION]
)
def test_disability_allowance_is_not_for_pensioners_or_people_with_merit(
    case: str, facts: dict[str, Any], keys: list[str], amount: int
) -> None:
    result = evaluate(person(**facts), NOW)
    assert result.complete and paid(result) == keys and result.monthly_total_vnd == amount, case
    said = " ".join(result.explanation)
    assert ("khoản 1 Điều 51 Luật Người khuyết tật 2010" in said) == (not keys or keys == ["ncc_war_invalid"]), case


def test_a_disabled_adult_is_asked_about_a_pension_because_it_decides_the_allowance() -> None:
    facts = Facts(age=45, disability_level="severe", household_type="none")
    assert "has_pension" in evaluate(facts, NOW).possible[0].depends_on
    without = evaluate(person(age=45, disability_level="severe", has_pension=None), NOW)
    assert without.next_question is not None and without.next_question.fact == "has_pension"


# --- Trợ cấp hưu trí xã hội (Luật BHXH 2024, NĐ 176/2025) ----------------------------------------

SOCIAL_PENSION = [
    ("đúng 75 tuổi không có lương hưu", dict(age=75), ["htxh"], 500_000),
    ("74 tuổi hộ nghèo không có lương hưu", dict(age=74, household_type="poor"), ["htxh"], 500_000),
    ("đúng 70 tuổi hộ cận nghèo", dict(age=70, household_type="near_poor"), ["htxh"], 500_000),
    ("72 tuổi không thuộc hộ nghèo, cận nghèo: không", dict(age=72), [], 0),
    ("69 tuổi hộ nghèo: chưa đủ 70", dict(age=69, household_type="poor"), [], 0),
    ("76 tuổi có lương hưu từ mức trợ cấp trở lên: không", dict(age=76, has_pension=True), [], 0),
    ("76 tuổi có lương hưu thấp hơn mức trợ cấp hưu trí xã hội: được",
     dict(age=76, has_pension=True, pension_below_social_pension=True), ["htxh"], 500_000),
]  # fmt: skip


@pytest.mark.parametrize(("case", "facts", "keys", "amount"), SOCIAL_PENSION, ids=[c[0] for c in SOCIAL_PENSION])
def test_social_pension_age_bands(case: str, facts: dict[str, Any], keys: list[str], amount: int) -> None:
    result = evaluate(person(**facts), NOW)
    assert result.complete and paid(result) == keys and result.monthly_total_vnd == amount, case
    if keys:
        item = result.benefits[0]
        assert item.form == "Mẫu số 01 NĐ 176/2025" and not item.confirmed  # ◐ secondary sources only
        assert result.hedged


def test_social_pension_did_not_exist_before_july_2025() -> None:
    facts = person(age=76)
    assert evaluate(facts, LAST_DAY_WITHOUT_SOCIAL_PENSION).benefits == ()
    assert paid(evaluate(facts, SOCIAL_PENSION_STARTS)) == ["htxh"]


# --- Combination rules ----------------------------------------------------------------------------


def test_only_the_single_highest_social_allowance_is_paid() -> None:
    """85 tuổi, hộ nghèo, không người phụng dưỡng, khuyết tật đặc biệt nặng: k5a 2,0 / k6 2,5 / hưu trí xã hội."""
    result = evaluate(person(age=85, household_type="poor", has_supporter=False,
                             disability_level="especially_severe"), NOW)  # fmt: skip
    assert {b.key for b in result.benefits} == {"btxh_k5a_80", "btxh_k6_especially_severe_child_elderly", "htxh"}
    assert paid(result) == ["btxh_k6_especially_severe_child_elderly"]
    assert result.monthly_total_vnd == 1_250_000
    assert any("chỉ hưởng một mức cao nhất" in line and "khoản 2 Điều 6" in line for line in result.explanation)
    assert "btxh_k5c" not in {b.key for b in result.benefits}  # k5c names people not in k5a


def test_single_parent_allowance_is_paid_on_top_of_own_disability_allowance() -> None:
    """Đơn thân hộ nghèo nuôi 2 con, bản thân khuyết tật nặng: k4 (2 × 1,0) + k6 (1,5)."""
    facts = person(age=35, household_type="poor", is_single_parent=True, children_in_care=2, disability_level="severe")
    result = evaluate(facts, NOW)
    assert paid(result) == ["btxh_k4", "btxh_k6_severe"] and result.monthly_total_vnd == 1_750_000
    assert any("được hưởng cả hai khoản" in line for line in result.explanation)
    assert evaluate(facts, BEFORE).monthly_total_vnd == 2 * 360_000 + 540_000


def test_single_parent_exception_with_elderly_and_hiv_groups() -> None:
    elderly = person(age=62, household_type="poor", has_supporter=False, is_single_parent=True, children_in_care=1)
    assert paid(evaluate(elderly, NOW)) == ["btxh_k4", "btxh_k5a_60_79"]
    assert evaluate(elderly, NOW).monthly_total_vnd == 500_000 + 750_000
    hiv = person(age=40, household_type="poor", hiv=True, has_stable_income=False, is_single_parent=True,
                 children_in_care=1)  # fmt: skip
    assert evaluate(hiv, NOW).monthly_total_vnd == 500_000 + 750_000


def test_single_parent_exception_does_not_extend_to_other_groups() -> None:
    """Học sinh 18 tuổi diện k2 (1,5) là mẹ đơn thân nuôi 1 con (1,0): k2 không thuộc k5/k6/k8, chỉ mức cao nhất."""
    facts = person(age=18, was_receiving_child_allowance=True, studying=True, household_type="poor",
                   is_single_parent=True, children_in_care=1)  # fmt: skip
    result = evaluate(facts, NOW)
    assert paid(result) == ["btxh_k2"] and result.monthly_total_vnd == 750_000


def test_higher_of_social_pension_and_social_allowance() -> None:
    # 85 tuổi không lương hưu: k5c 500.000 and hưu trí xã hội 500.000 -> one payment of 500.000.
    equal = evaluate(person(age=85), NOW)
    assert {b.key for b in equal.benefits} == {"btxh_k5c", "htxh"}
    assert equal.monthly_total_vnd == 500_000 and paid(equal) == ["btxh_k5c"]
    assert any("mức cao hơn" in line and "Điều 22 Luật Bảo hiểm xã hội 2024" in line for line in equal.explanation)
    assert not equal.hedged  # the amount is 500.000 whichever rule pays it
    assert any("chưa được xác nhận" in note for note in equal.notes)  # k5c after 7/2025: ✘ in DOMAIN.md §9
    # 72 tuổi hộ nghèo không người phụng dưỡng: k5a 750.000 beats hưu trí xã hội 500.000.
    higher = evaluate(person(age=72, household_type="poor", has_supporter=False), NOW)
    assert paid(higher) == ["btxh_k5a_60_79"] and higher.monthly_total_vnd == 750_000


def test_merit_allowance_adds_to_the_elderly_allowance_said_as_unconfirmed() -> None:
    """Thương binh 61%, 80 tuổi, không lương hưu: trợ cấp thương binh and the 80+ allowance are both paid."""
    result = evaluate(person(age=80, merit_group="war_invalid", injury_rate=61), NOW)
    assert paid(result) == ["ncc_war_invalid", "btxh_k5c"]
    assert result.monthly_total_vnd == 5_450_000 + 500_000
    assert result.hedged and any("chưa chắc chắn" in line for line in result.explanation)
    (merit,) = [item for item in result.benefits if item.key == "ncc_war_invalid"]
    assert merit.citation == "Phụ lục II NĐ 77/2024/NĐ-CP" and merit.procedure == "ncc"


def test_merit_and_social_pension_add_citing_the_law_on_social_insurance() -> None:
    """Bà mẹ Việt Nam anh hùng 76 tuổi: Điều 21 Luật BHXH 2024 excludes only pensions; Bộ Y tế answered so (1/2026)."""
    result = evaluate(person(age=76, merit_group="heroic_mother"), NOW)
    assert paid(result) == ["ncc_heroic_mother", "htxh"] and result.monthly_total_vnd == 10_704_000 + 500_000
    assert any("Điều 21–22 Luật Bảo hiểm xã hội 2024" in line for line in result.explanation) and result.hedged


def test_several_merit_groups_add_up() -> None:
    """Khoản 3 Điều 6 Pháp lệnh 02/2020: a thương binh 81% gets trợ cấp + phụ cấp; figures of Phụ lục I–II."""
    result = evaluate(person(age=70, merit_group="war_invalid", injury_rate=81), NOW)
    (item,) = [item for item in result.benefits if item.paid]
    assert item.amount_vnd == 7_240_000 + 1_399_000
    assert item.parts == (("trợ cấp", 7_240_000), ("phụ cấp", 1_399_000))


# --- Người có công: every group, every period, with phụ cấp ---------------------------------------

MERIT = [
    # (case, facts, (NĐ 75/2021, NĐ 55/2023, NĐ 77/2024) monthly amounts)
    ("HĐCM trước 1945 diện thoát ly (chưa tính thâm niên)", dict(merit_group="revolutionary_pre1945_thoat_ly"),
     (1_815_000, 2_297_000, 3_117_000)),
    ("HĐCM trước 1945 diện không thoát ly", dict(merit_group="revolutionary_pre1945_khong_thoat_ly"),
     (3_081_000, 3_899_000, 5_291_000)),
    ("thân nhân HĐCM trước 1945 từ trần: trợ cấp tuất", dict(merit_group="revolutionary_pre1945_survivor"),
     (1_624_000, 2_055_000, 2_789_000)),
    ("thân nhân HĐCM trước 1945 sống cô đơn: + tuất nuôi dưỡng",
     dict(merit_group="revolutionary_pre1945_survivor", lives_alone=True),
     (1_624_000 + 1_299_000, 2_055_000 + 1_644_000, 2_789_000 + 2_231_000)),
    ("HĐCM từ 01/01/1945 đến khởi nghĩa tháng Tám", dict(merit_group="revolutionary_1945"),
     (1_679_000, 2_125_000, 2_884_000)),
    ("thân nhân HĐCM 1945 từ trần", dict(merit_group="revolutionary_1945_survivor"), (911_000, 1_153_000, 1_565_000)),
    ("thân nhân của 01 liệt sĩ", dict(merit_group="martyr_family", martyrs_count=1), (1_624_000, 2_055_000, 2_789_000)),
    ("thân nhân của 02 liệt sĩ", dict(merit_group="martyr_family", martyrs_count=2), (3_248_000, 4_110_000, 5_578_000)),
    ("thân nhân của 03 liệt sĩ trở lên (4 liệt sĩ)", dict(merit_group="martyr_family", martyrs_count=4),
     (4_872_000, 6_165_000, 8_367_000)),
    ("mẹ liệt sĩ sống cô đơn: tuất + tuất nuôi dưỡng",
     dict(merit_group="martyr_family", martyrs_count=1, lives_alone=True),
     (1_624_000 + 1_299_000, 2_055_000 + 1_644_000, 2_789_000 + 2_231_000)),
    ("vợ liệt sĩ tái giá nuôi con liệt sĩ", dict(merit_group="martyr_spouse_remarried"),
     (1_624_000, 2_055_000, 2_789_000)),
    ("Bà mẹ Việt Nam anh hùng: trợ cấp + phụ cấp", dict(merit_group="heroic_mother"),
     (4_872_000 + 1_361_000, 6_165_000 + 1_722_000, 8_367_000 + 2_337_000)),
    ("người phục vụ Bà mẹ Việt Nam anh hùng", dict(merit_group="heroic_mother_attendant"),
     (1_624_000, 2_055_000, 2_789_000)),
    ("Anh hùng LLVTND, Anh hùng Lao động thời kỳ kháng chiến", dict(merit_group="hero"),
     (1_361_000, 1_722_000, 2_337_000)),
    ("thương binh 21%", dict(merit_group="war_invalid", injury_rate=21), (1_094_000, 1_384_000, 1_878_000)),
    ("thương binh 41%", dict(merit_group="war_invalid", injury_rate=41), (2_135_000, 2_702_000, 3_667_000)),
    ("thương binh 55%", dict(merit_group="war_invalid", injury_rate=55), (2_864_000, 3_624_000, 4_918_000)),
    ("thương binh 61%", dict(merit_group="war_invalid", injury_rate=61), (3_174_000, 4_016_000, 5_450_000)),
    ("thương binh 80%", dict(merit_group="war_invalid", injury_rate=80), (4_164_000, 5_269_000, 7_150_000)),
    ("thương binh 81%: + phụ cấp", dict(merit_group="war_invalid", injury_rate=81),
     (4_216_000 + 815_000, 5_335_000 + 1_031_000, 7_240_000 + 1_399_000)),
    ("thương binh 81% vết thương đặc biệt nặng: phụ cấp đặc biệt thay phụ cấp",
     dict(merit_group="war_invalid", injury_rate=81, especially_severe_wound=True),
     (4_216_000 + 1_670_000, 5_335_000 + 2_113_000, 7_240_000 + 2_867_000)),
    ("thương binh 100%: + phụ cấp", dict(merit_group="war_invalid", injury_rate=100),
     (5_207_000 + 815_000, 6_589_000 + 1_031_000, 8_941_000 + 1_399_000)),
    ("thương binh loại B 21%", dict(merit_group="war_invalid_b", injury_rate=21), (904_000, 1_144_000, 1_552_000)),
    ("thương binh loại B 41%", dict(merit_group="war_invalid_b", injury_rate=41), (1_756_000, 2_222_000, 3_015_000)),
    ("thương binh loại B 81%: + phụ cấp", dict(merit_group="war_invalid_b", injury_rate=81),
     (3_497_000 + 815_000, 4_425_000 + 1_031_000, 6_005_000 + 1_399_000)),
    ("bệnh binh 41–50% (45%)", dict(merit_group="sick_soldier", injury_rate=45), (1_695_000, 2_145_000, 2_911_000)),
    ("bệnh binh 51–60%", dict(merit_group="sick_soldier", injury_rate=51), (2_112_000, 2_673_000, 3_627_000)),
    ("bệnh binh 61–70%", dict(merit_group="sick_soldier", injury_rate=70), (2_692_000, 3_406_000, 4_622_000)),
    ("bệnh binh 71–80%", dict(merit_group="sick_soldier", injury_rate=71), (3_103_000, 3_927_000, 5_329_000)),
    ("bệnh binh 81–90%: + phụ cấp", dict(merit_group="sick_soldier", injury_rate=85),
     (3_714_000 + 815_000, 4_700_000 + 1_031_000, 6_378_000 + 1_399_000)),
    ("bệnh binh 91–100% bệnh tật đặc biệt nặng: + phụ cấp đặc biệt",
     dict(merit_group="sick_soldier", injury_rate=95, especially_severe_wound=True),
     (4_137_000 + 1_624_000, 5_235_000 + 2_055_000, 7_104_000 + 2_789_000)),
    ("nhiễm chất độc hóa học 21–40%", dict(merit_group="agent_orange", injury_rate=30),
     (1_234_000, 1_562_000, 2_120_000)),
    ("nhiễm chất độc hóa học 41–60%", dict(merit_group="agent_orange", injury_rate=41),
     (2_062_000, 2_610_000, 3_542_000)),
    ("nhiễm chất độc hóa học 61–80%", dict(merit_group="agent_orange", injury_rate=61),
     (2_891_000, 3_658_000, 4_964_000)),
    ("nhiễm chất độc hóa học từ 81%: + phụ cấp", dict(merit_group="agent_orange", injury_rate=81),
     (3_703_000 + 815_000, 4_685_000 + 1_031_000, 6_358_000 + 1_399_000)),
    ("con đẻ của người nhiễm chất độc hóa học 61–80%", dict(merit_group="agent_orange_child_61_80"),
     (974_000, 1_233_000, 1_673_000)),
    ("con đẻ của người nhiễm chất độc hóa học từ 81%", dict(merit_group="agent_orange_child_81"),
     (1_624_000, 2_055_000, 2_789_000)),
    ("người phục vụ thương binh từ 81% ở gia đình", dict(merit_group="invalid_attendant"),
     (1_624_000, 2_055_000, 2_789_000)),
    ("người phục vụ thương binh từ 81% vết thương đặc biệt nặng",
     dict(merit_group="invalid_attendant", especially_severe_wound=True), (2_086_000, 2_640_000, 3_582_000)),
    ("thân nhân thương binh từ 61% từ trần: trợ cấp tuất", dict(merit_group="invalid_survivor"),
     (911_000, 1_153_000, 1_565_000)),
    ("người bị địch bắt tù, đày", dict(merit_group="prisoner"), (974_000, 1_233_000, 1_673_000)),
    ("được tặng Kỷ niệm chương Tổ quốc ghi công trước 1945", dict(merit_group="merit_certificate"),
     (1_624_000, 2_055_000, 2_789_000)),
    ("được tặng Huân chương Kháng chiến", dict(merit_group="resistance_medal"), (955_000, 1_208_000, 1_639_000)),
]  # fmt: skip


@pytest.mark.parametrize(("case", "facts", "amounts"), MERIT, ids=[m[0] for m in MERIT])
def test_merit_amounts_at_every_date_with_phu_cap(case: str, facts: dict[str, Any], amounts: tuple[int, ...]) -> None:
    decrees = ("NĐ 75/2021/NĐ-CP", "NĐ 55/2023/NĐ-CP", "NĐ 77/2024/NĐ-CP")
    for day, amount, decree in zip((MERIT_2021, MERIT_2023, MERIT_2024), amounts, decrees, strict=True):
        # 50 tuổi, không khuyết tật: no trợ cấp xã hội beside it.
        result = evaluate(person(age=50, **facts), day)
        merit = [item for item in result.benefits if item.program == "NCC"]
        assert sum(item.amount_vnd or 0 for item in merit) == amount, (case, day)
        assert result.monthly_total_vnd == amount and all(item.paid for item in merit), (case, day)
        assert all(decree in item.citation for item in merit), (case, day, [i.citation for i in merit])
        assert "500.000" not in " ".join(result.explanation).replace("\xa0", " "), (case, day)  # never × mức chuẩn BTXH


def test_a_war_invalid_in_october_2023_gets_that_months_figure_never_zero() -> None:
    """The issue's worst case: thương binh 41% asking about 10/2023 was told 0 ₫; at 85 the 80+ allowance 'won'."""
    result = evaluate(person(age=85, merit_group="war_invalid", injury_rate=41), date(2023, 10, 15))
    assert paid(result) == ["ncc_war_invalid", "btxh_k5c"]
    assert result.monthly_total_vnd == 2_702_000 + 360_000
    (merit,) = [item for item in result.benefits if item.program == "NCC"]
    assert merit.citation == "Phụ lục II NĐ 55/2023/NĐ-CP" and merit.confirmed


def test_a_rate_not_told_is_an_unknown_amount_not_zero() -> None:
    result = evaluate(person(age=85, merit_group="war_invalid", injury_rate=UNKNOWN), NOW)
    assert [item.key for item in result.unknown_amounts] == ["ncc_war_invalid"]
    assert result.unknown_amounts[0].amount_vnd is None
    assert paid(result) == ["btxh_k5c"] and result.monthly_total_vnd == 500_000  # the known part only
    assert any("chưa xác định" in line for line in result.explanation)
    (undecided,) = result.undecided
    assert undecided.fact == "injury_rate"


def test_rate_tables_are_complete_increasing_and_consistent_with_the_standard() -> None:
    """Transcription check of Phụ lục II–III: 80 rates a period, increasing, each ≈ one multiple of the mức chuẩn."""
    rules = load_rules()
    standards = [p.amount for p in rules.standards["merit"]]
    for name, periods in rules.merit_tables.items():
        assert len(periods) == 3, name
        for table in periods:
            assert sorted(table) == list(range(21, 101)), name
            amounts = [table[rate] for rate in range(21, 101)]
            assert amounts == sorted(amounts) and len(set(amounts)) == 80, name
        for rate in range(21, 101):
            ratios = [periods[i][rate] / standards[i] for i in range(3)]
            assert max(ratios) - min(ratios) < 0.001, (name, rate, ratios)


def test_merit_topic_quotes_the_rate_asked() -> None:
    found = load_rules().for_topic("war_invalid", NOW, rate=81)
    assert [(b.key, b.rate, b.amount_vnd) for b in found] == [
        ("ncc_war_invalid", 81, 7_240_000), ("ncc_allowance_81", None, 1_399_000),
        ("ncc_war_invalid_special", None, 2_867_000)]  # fmt: skip
    at_41 = load_rules().for_topic("war_invalid", date(2023, 10, 1), rate=41)
    assert [(b.key, b.amount_vnd, b.citation) for b in at_41] == [
        ("ncc_war_invalid", 2_702_000, "Phụ lục II NĐ 55/2023/NĐ-CP")
    ]


# --- A stretch of time: "năm 2023" ---------------------------------------------------------------


def test_a_year_with_a_change_gives_both_amounts() -> None:
    facts = person(age=50, merit_group="war_invalid", injury_rate=41)
    main, segments = evaluate_range(facts, date(2023, 1, 1), date(2023, 12, 31))
    assert [(s.start, s.end, s.monthly_total_vnd) for s in segments] == [
        (date(2023, 1, 1), date(2023, 6, 30), 2_135_000),
        (date(2023, 7, 1), date(2023, 12, 31), 2_702_000)]  # fmt: skip
    assert main.monthly_total_vnd == 2_702_000
    # 2022: one figure all year.
    _, whole = evaluate_range(facts, date(2022, 1, 1), date(2022, 12, 31))
    assert [s.monthly_total_vnd for s in whole] == [2_135_000]


# --- Điều 25: care in a cơ sở trợ giúp xã hội ------------------------------------------------------


def test_living_in_a_facility_replaces_the_monthly_allowance() -> None:
    result = evaluate(person(age=85, in_facility=True, disability_level="especially_severe"), NOW)
    assert [b.key for b in result.benefits if b.program == "BTXH"] == ["btxh_facility"]
    assert result.monthly_total_vnd == 2_000_000  # hệ số 4,0
    assert any("khoản 5 Điều 25" in line for line in result.explanation)
    assert "khoản 2 Điều 25" in (result.health_insurance.citation if result.health_insurance else "")
    (funeral,) = result.one_time
    assert funeral.key == "funeral_facility" and funeral.amount_vnd == 25_000_000 and funeral.later
    child = evaluate(person(age=2, in_facility=True, orphan_situation="abandoned"), BEFORE)
    assert paid(child) == ["btxh_facility_under4"] and child.monthly_total_vnd == 1_800_000  # 5,0 × 360.000


# --- Funeral support for a person who has died ---------------------------------------------------

FUNERALS = [
    ("người đang hưởng trợ cấp xã hội hằng tháng qua đời: tối thiểu 20 × mức chuẩn",
     dict(deceased=True, was_receiving="social"), NOW, "funeral_btxh", 10_000_000, "điểm a khoản 1 Điều 11"),
    ("cùng trường hợp, năm 2023 (mức chuẩn 360.000 đ)", dict(deceased=True, was_receiving="social"),
     date(2023, 5, 1), "funeral_btxh", 7_200_000, "điểm a khoản 1 Điều 11"),
    ("con của người đơn thân nghèo đang hưởng trợ cấp", dict(deceased=True, was_receiving="k4_child"), NOW,
     "funeral_btxh", 10_000_000, "điểm b khoản 1 Điều 11"),
    ("người 82 tuổi đang hưởng trợ cấp tuất BHXH hằng tháng",
     dict(deceased=True, was_receiving="other_monthly", age=82),
     NOW, "funeral_btxh", 10_000_000, "điểm c khoản 1 Điều 11"),
    ("người sống ở cơ sở trợ giúp xã hội: 50 × mức chuẩn", dict(deceased=True, was_receiving="facility"), NOW,
     "funeral_facility", 25_000_000, "khoản 3 Điều 25"),
    ("người chết do tai nạn giao thông, không hưởng trợ cấp: Điều 14",
     dict(deceased=True, was_receiving="none", disaster_death=True), NOW, "funeral_disaster", 25_000_000, "Điều 14"),
    ("người hưởng trợ cấp hưu trí xã hội: mức chưa xác nhận, không nói số",
     dict(deceased=True, was_receiving="social_pension"), NOW, "funeral_htxh", None, "Luật Bảo hiểm xã hội 2024"),
    ("người có công: theo mức mai táng của BHXH, chưa có số liệu",
     dict(deceased=True, merit_group="war_invalid", injury_rate=61, was_receiving="merit", age=70), NOW,
     "funeral_ncc", None,
     "khoản 4 Điều 6 Pháp lệnh 02/2020"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "facts", "day", "key", "amount", "citation"), FUNERALS, ids=[f[0] for f in FUNERALS])
def test_funeral_support_for_the_dead(
    case: str, facts: dict[str, Any], day: date, key: str, amount: int | None, citation: str
) -> None:
    result = evaluate(Facts(**facts), day)
    assert result.deceased and result.complete, (case, result.next_question)
    assert result.benefits == () and result.monthly_total_vnd == 0, case
    (funeral,) = [item for item in result.one_time if not item.later]
    assert (funeral.key, funeral.amount_vnd) == (key, amount), case
    assert citation in funeral.citation, case


def test_a_death_asks_what_the_person_was_receiving_then_the_cause() -> None:
    first = evaluate(Facts(deceased=True), NOW).next_question
    assert first is not None and first.fact == "was_receiving" and len(first.options) <= 5
    then = evaluate(Facts(deceased=True, was_receiving="none"), NOW).next_question
    assert then is not None and then.fact == "disaster_death"
    nothing = evaluate(Facts(deceased=True, was_receiving="none", disaster_death=False), NOW)
    assert nothing.complete and nothing.one_time == ()


def test_living_person_is_told_the_funeral_support_for_later() -> None:
    result = evaluate(person(age=85), NOW)
    (funeral,) = result.one_time
    assert funeral.later and funeral.key == "funeral_btxh" and funeral.amount_vnd == 10_000_000 and funeral.minimum
    survivor = evaluate(person(age=82, has_pension=True, survivor_allowance=True), NOW)
    assert survivor.benefits == ()
    (later,) = survivor.one_time
    assert later.amount_vnd == 10_000_000 and "điểm c khoản 1 Điều 11" in later.citation
    assert any("thôi hưởng" in paper for paper in later.papers)


# --- Điều 20: caregiver support --------------------------------------------------------------------

CARE = [
    ("nhận nuôi 2 trẻ mồ côi dưới 4 tuổi: 2,5 mỗi trẻ",
     dict(carer=True, care_duty="foster_child_under4", cared_count=2),
     "care_k1a_child_under4", 2_500_000, "2b"),
    ("nhận nuôi trẻ từ 4 đến dưới 16 tuổi: 1,5", dict(carer=True, care_duty="foster_child_4_16", cared_count=1),
     "care_k1b", 750_000, "2b"),
    ("nhận nuôi người cao tuổi diện k5d: 1,5", dict(carer=True, care_duty="foster_elderly", cared_count=1),
     "care_k1b", 750_000, "2b"),
    ("hộ trực tiếp chăm sóc 2 người khuyết tật đặc biệt nặng: 1,0 mỗi người",
     dict(carer=True, care_duty="household_especially_severe", cared_count=2), "care_k2c", 1_000_000, "2a"),
    ("nhận nuôi người khuyết tật đặc biệt nặng: 1,5",
     dict(carer=True, care_duty="foster_disabled_adult", cared_count=1),
     "care_k2d_adult", 750_000, "2b"),
    ("nhận nuôi trẻ em khuyết tật đặc biệt nặng: 2,5",
     dict(carer=True, care_duty="foster_disabled_child", cared_count=1),
     "care_k2d_child", 1_250_000, "2b"),
    ("người khuyết tật nặng đang mang thai: 1,5", dict(disability_level="severe", infant_care="pregnant"),
     "care_k2a_15", 750_000, "2a"),
    ("người khuyết tật đặc biệt nặng nuôi 2 con dưới 36 tháng: 2,0",
     dict(disability_level="especially_severe", infant_care="two_plus_children_under_36m"),
     "care_k2a_20", 1_000_000, "2a"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "facts", "key", "amount", "form"), CARE, ids=[c[0] for c in CARE])
def test_caregiver_support(case: str, facts: dict[str, Any], key: str, amount: int, form: str) -> None:
    result = evaluate(person(age=30, **facts), NOW)
    assert result.complete, (case, result.next_question)
    assert [(c.key, c.amount_vnd, c.form) for c in result.care_support] == [(key, amount, form)], case
    assert result.care_total_vnd == amount
    assert any("cộng thêm" in line and "Điều 19" in line for line in result.explanation)


def test_a_family_caring_for_a_child_with_an_especially_severe_disability_gets_both() -> None:
    """The issue: the family got only the child's allowance. k6 2,5 for the child + k2c 1,0 for the household."""
    result = evaluate(person(age=8, disability_level="especially_severe", family_cares=True), NOW)
    assert paid(result) == ["btxh_k6_especially_severe_child_elderly"] and result.monthly_total_vnd == 1_250_000
    assert [(c.key, c.amount_vnd) for c in result.care_support] == [("care_k2c", 500_000)]
    asked = evaluate(Facts(age=8, disability_level="especially_severe", household_type="none"), NOW).next_question
    assert asked is not None and asked.fact == "family_cares"


def test_disabled_parent_keeps_care_support_with_own_allowance() -> None:
    """Điểm b khoản 2 Điều 20: a disabled mother gets k2a support and her k6 allowance."""
    result = evaluate(person(age=28, disability_level="especially_severe", infant_care="one_child_under_36m"), NOW)
    assert result.monthly_total_vnd == 1_000_000 and result.care_total_vnd == 750_000
    assert any("một suất" in note for note in result.notes)
    assert evaluate(person(age=28, disability_level="severe", infant_care="pregnant"), BEFORE).care_total_vnd == 540_000


# --- The health insurance card ----------------------------------------------------------------------

CARDS = [
    ("trợ cấp xã hội hằng tháng", dict(age=85), "Điều 9 NĐ 20/2021/NĐ-CP", True),
    ("người có công", dict(age=50, merit_group="war_invalid", injury_rate=41), "Điều 5 NĐ 75/2021/NĐ-CP", True),
    ("chỉ hưởng trợ cấp hưu trí xã hội", dict(age=76), "khoản 3 Điều 22 Luật Bảo hiểm xã hội 2024", False),
    ("không hưởng gì: không có thẻ theo diện này", dict(age=40), None, None),
]  # fmt: skip


@pytest.mark.parametrize(("case", "facts", "citation", "confirmed"), CARDS, ids=[c[0] for c in CARDS])
def test_health_insurance_card_comes_with_the_allowance(case: str, facts: dict[str, Any], citation: str | None,
                                                        confirmed: bool | None) -> None:  # fmt: skip
    card = evaluate(person(**facts), NOW).health_insurance
    if citation is None:
        assert card is None, case
    else:
        assert card is not None and card.citation == citation and card.confirmed is confirmed, case
        assert "khoản 2 Điều 9" in card.text  # one card only, the highest benefit


# --- Province override, wording of where to apply, data and inputs -------------------------------


def test_a_province_may_pay_a_higher_standard_never_a_lower_one() -> None:
    facts = person(age=85)
    local = evaluate(facts, NOW, local_standard_vnd=600_000)
    assert local.standard_vnd == 600_000
    assert paid(local) == ["btxh_k5c"] and local.monthly_total_vnd == 600_000  # now higher than hưu trí xã hội
    assert local.one_time[0].amount_vnd == 12_000_000  # funeral 20 × the local standard
    assert any("600.000" in note for note in local.notes)
    lower = evaluate(facts, NOW, local_standard_vnd=400_000)
    assert lower.standard_vnd == 500_000 and lower.monthly_total_vnd == 500_000
    merit = evaluate(person(age=50, merit_group="martyr_family", martyrs_count=1), NOW, local_standard_vnd=900_000)
    assert merit.monthly_total_vnd == 2_789_000  # người có công amounts are not the social-assistance standard


def test_where_to_apply_uses_the_2025_wording() -> None:
    result = evaluate(person(age=85), NOW)
    texts = [p.text for p in result.where_to_apply]
    assert "UBND xã/phường/đặc khu nơi cư trú" in texts[0] and "10 ngày làm việc" in texts[0]
    assert "Chủ tịch UBND cấp xã" in texts[0]
    raw = "".join((RULES_DIR / name).read_text(encoding="utf-8") for name in ("eligibility.yaml", "benefits.yaml"))
    for outdated in ("cấp huyện", "Phòng LĐTBXH", "UBND huyện", "Bộ LĐTBXH"):
        assert outdated not in raw


def test_nobody_gets_a_where_to_apply_without_a_benefit() -> None:
    result = evaluate(person(age=40), NOW)
    assert result.complete and result.benefits == () and result.where_to_apply == ()


def test_every_rule_row_has_citation_dates_form_papers_and_status() -> None:
    data = yaml.safe_load((RULES_DIR / "eligibility.yaml").read_text(encoding="utf-8"))
    rules = load_rules()
    groups = {row["group"] for row in data["monthly"]}
    assert {"k1", "k2", "k3", "k4", "k5a", "k5b", "k5c", "k5d", "k6", "k7", "k8", "htxh", "facility"} <= groups
    for row in data["monthly"] + data["care"]:
        benefit = rules.benefits[row["key"]]
        assert benefit["citation"], row["key"]
        if row.get("group") != "facility":
            assert benefit["form"] in data["forms"] and data["forms"][benefit["form"]]["papers"], row["key"]
        assert benefit.get("status", "confirmed") in ("confirmed", "secondary")
        assert row["procedure"] in data["procedures"]
    for row in data["monthly"] + data["one_time"]:
        assert isinstance(row["from"], date), row["key"]
    for row in data["merit"]:
        benefit = rules.benefits[row["key"]]
        assert benefit["annex"].startswith(("mục", "Phụ lục")), row["key"]
    for rule in data["combine"]["between"] + data["exclusions"]:
        assert rule["status"] in ("confirmed", "secondary")
    assert all(rule["citation"] for rule in data["combine"]["between"])


def test_facts_from_json_are_checked() -> None:
    assert Facts.from_dict({"age": 85, "household_type": "unknown", "hiv": None}).household_type == UNKNOWN
    for bad in ({"age": "85"}, {"age": -1}, {"household_type": "rich"}, {"hiv": "yes"}, {"children_in_care": True},
                {"shoe_size": 42}, {"merit_group": "btxh_k5c"}, {"injury_rate": 120}):  # fmt: skip
        with pytest.raises(FactError):
            Facts.from_dict(bad)
    with pytest.raises(FactError):
        evaluate(Facts(birth_year=2030), NOW)


def test_no_rules_before_july_2021() -> None:
    with pytest.raises(UnknownBenefit):
        evaluate(Facts(age=85), date(2021, 6, 30))


def test_evaluation_is_plain_json() -> None:
    body = evaluate(person(age=85), NOW).to_dict()
    assert body["on"] == "2026-01-15" and body["complete"] is True
    assert body["monthly_total_vnd"] == 500_000 and isinstance(body["benefits"][0]["amount_vnd"], int)
    assert isinstance(body["benefits"][0]["papers"], list)


def test_where_to_apply_is_for_what_is_paid() -> None:
    """81, poor, alone: the k5a allowance beats the social pension, so only the commune's BTXH procedure is named."""
    result = evaluate(person(age=81, household_type="poor", has_supporter=False), NOW)
    assert paid(result) == ["btxh_k5a_80"]
    assert [p.citation for p in result.where_to_apply] == ["Điều 7–8 NĐ 20/2021/NĐ-CP; Điều 5 NĐ 147/2025/NĐ-CP"]
