"""The eligibility pre-check (DOMAIN.md §1–3, §7–8), as tables of legal cases in words."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.eligibility import UNKNOWN, Evaluation, FactError, Facts, evaluate
from core.rules import RULES_DIR, UnknownBenefit, load_rules

BEFORE = date(2024, 6, 30)  # last day of the 360.000 đ standard
AFTER = date(2024, 7, 1)  # first day of the 500.000 đ standard (NĐ 76/2024); no hưu trí xã hội yet
LAST_DAY_WITHOUT_SOCIAL_PENSION = date(2025, 6, 30)
SOCIAL_PENSION_STARTS = date(2025, 7, 1)  # NĐ 176/2025
NOW = date(2026, 1, 15)

# Every auto-asked fact answered with its "no": a person who is in no group unless a case says so.
NOBODY: dict[str, Any] = dict(
    has_pension=True,
    pension_below_social_pension=False,
    household_type="none",
    has_supporter=True,
    taken_in_by_carer=False,
    disability_level="none",
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
    ("k5c đúng 80 tuổi không có lương hưu: 1,0", dict(age=80, has_pension=False), ["btxh_k5c"], 360_000, 500_000),
    ("k5c 79 tuổi không có lương hưu: chưa đủ 80", dict(age=79, has_pension=False), [], 0, 0),
    ("k5c 90 tuổi có lương hưu: không", dict(age=90), [], 0, 0),
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
     dict(age=40, hiv=True, household_type="poor", has_pension=False, has_stable_income=False),
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
    assert "2 × mức chuẩn 500.000" in " ".join(result.explanation).replace("\xa0", " ")


# --- Trợ cấp hưu trí xã hội (NĐ 176/2025) ------------------------------------------------------

SOCIAL_PENSION = [
    ("đúng 75 tuổi không có lương hưu", dict(age=75, has_pension=False), ["htxh"], 500_000),
    ("74 tuổi hộ nghèo không có lương hưu", dict(age=74, household_type="poor", has_pension=False), ["htxh"], 500_000),
    ("đúng 70 tuổi hộ cận nghèo", dict(age=70, household_type="near_poor", has_pension=False), ["htxh"], 500_000),
    ("72 tuổi không thuộc hộ nghèo, cận nghèo: không", dict(age=72, has_pension=False), [], 0),
    ("69 tuổi hộ nghèo: chưa đủ 70", dict(age=69, household_type="poor", has_pension=False), [], 0),
    ("76 tuổi có lương hưu từ mức trợ cấp trở lên: không", dict(age=76), [], 0),
    ("76 tuổi có lương hưu thấp hơn mức trợ cấp hưu trí xã hội: được",
     dict(age=76, pension_below_social_pension=True), ["htxh"], 500_000),
]  # fmt: skip


@pytest.mark.parametrize(("case", "facts", "keys", "amount"), SOCIAL_PENSION, ids=[c[0] for c in SOCIAL_PENSION])
def test_social_pension_age_bands(case: str, facts: dict[str, Any], keys: list[str], amount: int) -> None:
    result = evaluate(person(**facts), NOW)
    assert result.complete and paid(result) == keys and result.monthly_total_vnd == amount, case
    if keys:
        item = result.benefits[0]
        assert item.form == "Mẫu số 01 NĐ 176/2025" and not item.confirmed  # ◐ secondary sources only
        assert any("nguồn thứ cấp" in note for note in result.notes)


def test_social_pension_did_not_exist_before_july_2025() -> None:
    facts = person(age=76, has_pension=False)
    assert evaluate(facts, LAST_DAY_WITHOUT_SOCIAL_PENSION).benefits == ()
    assert paid(evaluate(facts, SOCIAL_PENSION_STARTS)) == ["htxh"]


# --- Overlap rules -------------------------------------------------------------------------------


def test_only_the_single_highest_is_paid() -> None:
    """85 tuổi, hộ nghèo, không người phụng dưỡng, khuyết tật đặc biệt nặng: k5a 2,0 / k6 2,5 / hưu trí xã hội."""
    result = evaluate(person(age=85, household_type="poor", has_supporter=False, has_pension=False,
                             disability_level="especially_severe"), NOW)  # fmt: skip
    assert {b.key for b in result.benefits} == {"btxh_k5a_80", "btxh_k6_especially_severe_child_elderly", "htxh"}
    assert paid(result) == ["btxh_k6_especially_severe_child_elderly"]
    assert result.monthly_total_vnd == 1_250_000
    assert any("chỉ được hưởng một mức cao nhất" in line and "khoản 2 Điều 6" in line for line in result.explanation)
    # k5c names people not in k5a: it is not listed beside k5a.
    assert "btxh_k5c" not in {b.key for b in result.benefits}


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
    hiv = person(age=40, household_type="poor", hiv=True, has_pension=False, has_stable_income=False,
                 is_single_parent=True, children_in_care=1)  # fmt: skip
    assert evaluate(hiv, NOW).monthly_total_vnd == 500_000 + 750_000


def test_single_parent_exception_does_not_extend_to_other_groups() -> None:
    """Học sinh 18 tuổi diện k2 (1,5) là mẹ đơn thân nuôi 1 con (1,0): k2 không thuộc k5/k6/k8, chỉ mức cao nhất."""
    facts = person(age=18, was_receiving_child_allowance=True, studying=True, household_type="poor",
                   is_single_parent=True, children_in_care=1)  # fmt: skip
    result = evaluate(facts, NOW)
    assert paid(result) == ["btxh_k2"] and result.monthly_total_vnd == 750_000


def test_higher_of_social_pension_and_social_allowance() -> None:
    # 85 tuổi không lương hưu: k5c 500.000 and hưu trí xã hội 500.000 -> one payment of 500.000.
    equal = evaluate(person(age=85, has_pension=False), NOW)
    assert {b.key for b in equal.benefits} == {"btxh_k5c", "htxh"}
    assert equal.monthly_total_vnd == 500_000 and len(paid(equal)) == 1
    assert any("mức cao hơn" in line and "Điều 3 NĐ 176/2025" in line for line in equal.explanation)
    assert any("bằng nhau" in line for line in equal.explanation)
    assert any("chưa được xác nhận" in note for note in equal.notes)  # k5c after 7/2025: ✘ in DOMAIN.md §9
    # 72 tuổi hộ nghèo không người phụng dưỡng: k5a 750.000 beats hưu trí xã hội 500.000.
    higher = evaluate(person(age=72, household_type="poor", has_supporter=False, has_pension=False), NOW)
    assert paid(higher) == ["btxh_k5a_60_79"] and higher.monthly_total_vnd == 750_000
    # 76 tuổi, not poor: only the social pension.
    assert paid(evaluate(person(age=76, has_pension=False), NOW)) == ["htxh"]


def test_merit_allowance_and_social_allowance_pay_only_the_highest() -> None:
    result = evaluate(person(age=85, has_pension=False, merit_category="ncc_war_invalid_61"), NOW)
    assert paid(result) == ["ncc_war_invalid_61"] and result.monthly_total_vnd == 5_450_000
    (merit,) = [item for item in result.benefits if item.paid]
    assert merit.citation == "Phụ lục II NĐ 77/2024/NĐ-CP" and merit.procedure == "ncc"
    assert any("một mức cao nhất" in line for line in result.explanation)


@pytest.mark.parametrize(
    ("case", "key", "day", "amount"),
    [
        ("thân nhân 01 liệt sĩ 7/2023–6/2024", "ncc_martyr_family_1", BEFORE, 2_055_000),
        ("thân nhân 02 liệt sĩ", "ncc_martyr_family_2", NOW, 5_578_000),
        ("thân nhân 03 liệt sĩ trở lên", "ncc_martyr_family_3", NOW, 8_367_000),
        ("Bà mẹ Việt Nam anh hùng", "ncc_heroic_mother", NOW, 10_704_000),
        ("thương binh 100%", "ncc_war_invalid_100", NOW, 8_941_000),
        ("thương binh loại B 21% trước 7/2023", "ncc_war_invalid_b_21", date(2022, 1, 1), 904_000),
        ("bệnh binh 91–100%", "ncc_sick_soldier_91_100", NOW, 7_104_000),
        ("nhiễm chất độc hóa học 61–80%", "ncc_agent_orange_61_80", NOW, 4_964_000),
        ("người bị địch bắt tù, đày", "ncc_prisoner", NOW, 1_673_000),
        ("Huân chương Kháng chiến", "ncc_resistance_medal", NOW, 1_639_000),
    ],
)
def test_merit_amounts(case: str, key: str, day: date, amount: int) -> None:
    result = evaluate(person(age=70, merit_category=key), day)
    assert result.monthly_total_vnd == amount, case


def test_merit_amount_without_a_figure_for_that_period_is_not_invented() -> None:
    result = evaluate(person(age=70, merit_category="ncc_war_invalid_41"), BEFORE)  # only the 7/2024 figure is known
    (item,) = result.benefits
    assert item.amount_vnd is None and not item.confirmed and "chưa có số liệu" in item.note


# --- Funeral and caregiver support ---------------------------------------------------------------


def test_funeral_support_is_twenty_standards() -> None:
    facts = person(age=85, has_pension=False)
    for day, amount in ((BEFORE, 7_200_000), (NOW, 10_000_000)):
        (funeral,) = evaluate(facts, day).one_time
        assert (funeral.key, funeral.amount_vnd, funeral.minimum) == ("funeral_btxh", amount, True)
        assert funeral.form == "04" and "Bản sao giấy chứng tử" in funeral.papers
    # Điểm c: từ đủ 80 tuổi đang hưởng trợ cấp tuất BHXH -> also funeral support, with the thôi-hưởng paper.
    survivor = evaluate(person(age=82, survivor_allowance=True), NOW)
    assert survivor.benefits == ()
    (funeral,) = survivor.one_time
    assert funeral.amount_vnd == 10_000_000 and "điểm c khoản 1 Điều 11" in funeral.citation
    assert any("thôi hưởng" in paper for paper in funeral.papers)


def test_social_pension_funeral_amount_is_not_stated() -> None:
    """DOMAIN.md §2.2: the 10.000.000 đ figure is ✘ UNCONFIRMED."""
    (funeral,) = evaluate(person(age=76, has_pension=False), NOW).one_time
    assert funeral.key == "funeral_htxh" and funeral.amount_vnd is None and not funeral.confirmed
    assert funeral.form == "Mẫu số 02 NĐ 176/2025" and "chưa được xác nhận" in funeral.note


CARE = [
    ("nhận nuôi 2 trẻ mồ côi dưới 4 tuổi: 2,5 mỗi trẻ", dict(care_duty="foster_child_under4", cared_count=2),
     "care_k1a_child_under4", 2_500_000, "2b"),
    ("nhận nuôi trẻ từ 4 đến dưới 16 tuổi: 1,5", dict(care_duty="foster_child_4_16", cared_count=1),
     "care_k1b", 750_000, "2b"),
    ("nhận nuôi người cao tuổi diện k5d: 1,5", dict(care_duty="foster_elderly", cared_count=1),
     "care_k1b", 750_000, "2b"),
    ("hộ trực tiếp chăm sóc 2 người khuyết tật đặc biệt nặng: 1,0 mỗi người",
     dict(care_duty="household_especially_severe", cared_count=2), "care_k2c", 1_000_000, "2a"),
    ("nhận nuôi người khuyết tật đặc biệt nặng: 1,5", dict(care_duty="foster_disabled_adult", cared_count=1),
     "care_k2d_adult", 750_000, "2b"),
    ("nhận nuôi trẻ em khuyết tật đặc biệt nặng: 2,5", dict(care_duty="foster_disabled_child", cared_count=1),
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
    assert result.complete, case
    assert [(c.key, c.amount_vnd, c.form) for c in result.care_support] == [(key, amount, form)], case
    assert result.care_total_vnd == amount
    assert any("khoản riêng" in line for line in result.explanation)


def test_disabled_parent_keeps_care_support_with_own_allowance() -> None:
    """Điểm b khoản 2 Điều 20: a disabled mother gets k2a support and her k6 allowance."""
    result = evaluate(person(age=28, disability_level="especially_severe", infant_care="one_child_under_36m"), NOW)
    assert result.monthly_total_vnd == 1_000_000 and result.care_total_vnd == 750_000
    assert any("một suất" in note for note in result.notes)
    assert evaluate(person(age=28, disability_level="severe", infant_care="pregnant"), BEFORE).care_total_vnd == 540_000


# --- Questions: only what the answer still depends on ---------------------------------------------

NEGATIVE = {"bool": False, "count": 0, "month": 1}


def interview(day: date, answers: dict[str, Any], limit: int = 30) -> tuple[list[str], Evaluation]:
    """Answer each next question from `answers`, or with its "no", until the engine has no question."""
    facts, asked = Facts(), []
    for _ in range(limit):
        result = evaluate(facts, day)
        if result.next_question is None:
            return asked, result
        question = result.next_question
        asked.append(question.fact)
        assert question.options[-1].value == UNKNOWN  # "không biết" is always offered
        value = answers.get(question.fact, NEGATIVE.get(question.type, "none"))
        facts = replace(facts, **{question.fact: value})
    raise AssertionError(f"never finished: {asked}")


def test_first_question_is_the_age() -> None:
    question = evaluate(Facts(), NOW).next_question
    assert question is not None and question.fact == "age" and "tuổi" in question.text


@pytest.mark.parametrize("household", ["none", "near_poor", "poor"])
def test_85_year_old_without_pension_is_never_asked_about_orphans(household: str) -> None:
    asked, result = interview(NOW, {"age": 85, "has_pension": False, "household_type": household,
                                    "has_supporter": False})  # fmt: skip
    assert asked[:3] == ["age", "has_pension", "household_type"]
    assert not {"orphan_situation", "was_receiving_child_allowance", "studying", "infant_care"} & set(asked)
    assert result.monthly_total_vnd == (1_000_000 if household == "poor" else 500_000)


def test_85_year_old_is_asked_about_hiv_only_where_it_could_pay_more() -> None:
    """Not poor, or poor with k5a (2,0 ≥ k8 1,5): no HIV question. Poor with a supporter: only k5c (1,0) applies, and
    k8 (1,5, hộ nghèo, no age limit in khoản 8 Điều 5) would pay more, so it is asked, last."""
    for answers in (
        {"age": 85, "has_pension": False},
        {"age": 85, "has_pension": False, "household_type": "poor", "has_supporter": False},
    ):
        assert "hiv" not in interview(NOW, answers)[0]  # fmt: skip
    asked, _ = interview(NOW, {"age": 85, "has_pension": False, "household_type": "poor", "has_supporter": True})
    assert asked[-1] == "hiv"


def test_a_child_is_not_asked_about_pension_or_single_parenthood() -> None:
    asked, _ = interview(NOW, {"age": 10})
    assert "orphan_situation" in asked and "disability_level" in asked
    assert not {"has_pension", "has_supporter", "is_single_parent", "pension_below_social_pension"} & set(asked)


def test_a_working_age_adult_is_not_asked_about_orphans_or_pension() -> None:
    asked, _ = interview(NOW, {"age": 35})
    assert not {"orphan_situation", "has_pension", "has_supporter", "was_receiving_child_allowance"} & set(asked)
    assert "disability_level" in asked


def test_optional_subjects_are_never_asked_first() -> None:
    """Merit status, caring for someone and the funeral case c are taken when the person raises them."""
    for age in (2, 10, 18, 35, 65, 85):
        asked, _ = interview(NOW, {"age": age, "has_pension": False})
        assert not {"merit_category", "care_duty", "cared_count", "survivor_allowance"} & set(asked), age
    question = evaluate(person(age=40, care_duty="foster_disabled_adult"), NOW).next_question
    assert question is not None and question.fact == "cared_count"


def test_pension_amount_is_asked_only_of_pensioners_and_quotes_the_social_pension() -> None:
    question = evaluate(Facts(age=76, has_pension=True), NOW).next_question
    assert question is not None and question.fact == "pension_below_social_pension"
    assert "500.000" in question.text
    assert evaluate(Facts(age=76, has_pension=False), NOW).next_question.fact != "pension_below_social_pension"


def test_special_area_is_asked_never_assumed() -> None:
    """k5b needs a xã/thôn ĐBKK; the list is ✘ UNCONFIRMED, so the person answers (before hưu trí xã hội)."""
    facts = person(age=77, household_type="near_poor", has_pension=False, lives_in_special_area=None)
    question = evaluate(facts, LAST_DAY_WITHOUT_SOCIAL_PENSION).next_question
    assert question is not None and question.fact == "lives_in_special_area"
    unknown = evaluate(replace(facts, lives_in_special_area=UNKNOWN), LAST_DAY_WITHOUT_SOCIAL_PENSION)
    assert unknown.complete and unknown.monthly_total_vnd == 0
    (undecided,) = unknown.undecided
    assert undecided.fact == "lives_in_special_area"
    text = undecided.text.replace("\xa0", " ")  # Babel puts a no-break space before ₫
    assert "chưa có danh sách" in text and "Nếu có thì được 500.000 ₫/tháng" in text
    # Since 1/7/2025 the social pension pays the same 500.000 đ at 77, so the commune no longer matters.
    assert evaluate(facts, NOW).next_question is None and paid(evaluate(facts, NOW)) == ["htxh"]


def test_special_area_for_a_small_child() -> None:
    question = evaluate(person(age=2, household_type="near_poor", lives_in_special_area=None), NOW).next_question
    assert question is not None and question.fact == "lives_in_special_area"


def test_unknown_household_explains_both_answers() -> None:
    facts = person(age=85, has_pension=False, household_type=UNKNOWN, has_supporter=False)
    result = evaluate(facts, NOW)
    assert result.complete and result.monthly_total_vnd == 500_000
    (undecided,) = result.undecided
    text = undecided.text.replace("\xa0", " ")
    assert undecided.fact == "household_type"
    assert "Nếu thuộc hộ nghèo thì được 1.000.000 ₫/tháng" in text
    assert "không thuộc hộ nghèo, cận nghèo thì được 500.000 ₫/tháng" in text


def test_unknown_answer_does_not_stop_the_questions() -> None:
    result = evaluate(Facts(age=85, has_pension=False, household_type=UNKNOWN), NOW)
    assert result.next_question is not None and result.next_question.fact == "has_supporter"


def test_unknown_number_of_children_gives_the_amount_per_child() -> None:
    facts = person(age=30, household_type="poor", is_single_parent=True, children_in_care=UNKNOWN)
    (undecided,) = evaluate(facts, NOW).undecided
    assert undecided.fact == "children_in_care" and "500.000" in undecided.text


def test_birth_year_alone_asks_the_month_only_at_a_threshold() -> None:
    """Born 1945, asked on 1/3/2025 (before hưu trí xã hội): 79 or 80 decides k5c."""
    day = date(2025, 3, 1)
    facts = person(birth_year=1945, has_pension=False)
    question = evaluate(facts, day).next_question
    assert question is not None and question.fact == "birth_month"
    assert paid(evaluate(replace(facts, birth_month=2), day)) == ["btxh_k5c"]  # 80 since February
    assert paid(evaluate(replace(facts, birth_month=3), day)) == ["btxh_k5c"]  # the birthday month counts
    assert paid(evaluate(replace(facts, birth_month=4), day)) == []
    (undecided,) = evaluate(replace(facts, birth_month=UNKNOWN), day).undecided
    assert "đã tới tháng sinh nhật" in undecided.text and "500.000" in undecided.text
    # Born 1960: 64 or 65 changes nothing, so the month is not asked.
    assert evaluate(person(birth_year=1960, has_pension=False), day).complete


def test_unknown_age_explains_the_age_bands() -> None:
    facts = person(age=UNKNOWN, has_pension=False, household_type="poor", has_supporter=False)
    (undecided,) = evaluate(facts, NOW).undecided
    text = undecided.text.replace("\xa0", " ")
    assert undecided.fact == "age"
    assert "từ 60 đến 79 tuổi thì được 750.000 ₫/tháng" in text and "từ đủ 80 tuổi thì được 1.000.000 ₫/tháng" in text


# --- Province override, wording, data and inputs -------------------------------------------------


def test_a_province_may_pay_a_higher_standard_never_a_lower_one() -> None:
    facts = person(age=85, has_pension=False)
    local = evaluate(facts, NOW, local_standard_vnd=600_000)
    assert local.standard_vnd == 600_000
    assert paid(local) == ["btxh_k5c"] and local.monthly_total_vnd == 600_000  # now higher than hưu trí xã hội
    assert local.one_time[0].amount_vnd == 12_000_000  # funeral 20 × the local standard
    assert any("600.000" in note for note in local.notes)
    lower = evaluate(facts, NOW, local_standard_vnd=400_000)
    assert lower.standard_vnd == 500_000 and lower.monthly_total_vnd == 500_000
    # With 600.000 đ, k5b at 77 pays more than the social pension, so the ĐBKK question matters again.
    at_77 = person(age=77, household_type="near_poor", has_pension=False, lives_in_special_area=None)
    assert evaluate(at_77, NOW, local_standard_vnd=600_000).next_question.fact == "lives_in_special_area"


def test_where_to_apply_uses_the_2025_wording() -> None:
    result = evaluate(person(age=85, has_pension=False), NOW)
    texts = [p.text for p in result.where_to_apply]
    assert "UBND xã/phường/đặc khu nơi cư trú" in texts[0] and "10 ngày làm việc" in texts[0]
    assert "Chủ tịch UBND cấp xã" in texts[0]
    raw = (RULES_DIR / "eligibility.yaml").read_text(encoding="utf-8") + (RULES_DIR / "benefits.yaml").read_text(
        encoding="utf-8"
    )
    for outdated in ("cấp huyện", "Phòng LĐTBXH", "UBND huyện", "Bộ LĐTBXH"):
        assert outdated not in raw


def test_nobody_gets_a_where_to_apply_without_a_benefit() -> None:
    result = evaluate(person(age=40), NOW)
    assert result.complete and result.benefits == () and result.where_to_apply == ()
    assert "chưa thuộc diện" in result.explanation[-1]


def test_every_rule_row_has_citation_dates_form_papers_and_status() -> None:
    data = yaml.safe_load((RULES_DIR / "eligibility.yaml").read_text(encoding="utf-8"))
    rules = load_rules()
    groups = {row["group"] for row in data["monthly"]}
    assert {"k1", "k2", "k3", "k4", "k5a", "k5b", "k5c", "k5d", "k6", "k7", "k8", "htxh"} <= groups
    for row in data["monthly"] + data["care"]:
        benefit = rules.benefits[row["key"]]
        assert benefit["citation"] and benefit["form"] in data["forms"], row["key"]
        assert data["forms"][benefit["form"]]["papers"], row["key"]
        assert benefit.get("status", "confirmed") in ("confirmed", "secondary")
        assert row["procedure"] in data["procedures"]
    for row in data["monthly"] + data["one_time"]:
        assert isinstance(row["from"], date), row["key"]
    assert all(key in rules.benefits for key in data["merit"]["categories"])


def test_facts_from_json_are_checked() -> None:
    assert Facts.from_dict({"age": 85, "household_type": "unknown", "hiv": None}).household_type == UNKNOWN
    for bad in ({"age": "85"}, {"age": -1}, {"household_type": "rich"}, {"hiv": "yes"}, {"children_in_care": True},
                {"shoe_size": 42}, {"merit_category": "btxh_k5c"}):  # fmt: skip
        with pytest.raises(FactError):
            Facts.from_dict(bad)
    with pytest.raises(FactError):
        evaluate(Facts(birth_year=2030), NOW)


def test_no_rules_before_july_2021() -> None:
    with pytest.raises(UnknownBenefit):
        evaluate(Facts(age=85), date(2021, 6, 30))


def test_evaluation_is_plain_json() -> None:
    body = evaluate(person(age=85, has_pension=False), NOW).to_dict()
    assert body["on"] == "2026-01-15" and body["complete"] is True
    assert body["monthly_total_vnd"] == 500_000 and isinstance(body["benefits"][0]["amount_vnd"], int)
    assert isinstance(body["benefits"][0]["papers"], list)


# --- Over real HTTP ------------------------------------------------------------------------------


def test_evaluate_over_http(services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    url = f"{services.url}/eligibility/v1/evaluate"
    caplog.set_level(logging.DEBUG)
    body = {"facts": {"age": 85, "has_pension": False, "household_type": "unknown"}, "on": "2026-01-15"}
    answer = services.client().post(url, json=body, timeout=5)
    assert answer.status_code == 200
    result = answer.json()
    assert result["monthly_total_vnd"] == 500_000 and result["complete"] is False
    assert result["next_question"]["fact"] == "has_supporter"
    assert {b["key"] for b in result["benefits"]} == {"btxh_k5c", "htxh"}
    assert result["undecided"][0]["fact"] == "household_type"
    assert "UBND xã/phường/đặc khu" in result["where_to_apply"][0]["text"]
    # The province's higher standard (LOCAL_STANDARD_VND) is read per request.
    monkeypatch.setenv("LOCAL_STANDARD_VND", "600000")
    local = services.client().post(url, json=body, timeout=5).json()
    assert local["standard_vnd"] == 600_000 and local["monthly_total_vnd"] == 600_000
    # Bad input is refused without echoing the value.
    refused = services.client().post(url, json={"facts": {"household_type": "SECRET-VALUE-42"}}, timeout=5)
    assert refused.status_code == 400 and refused.json()["error"] == "bad_fact"
    assert "SECRET" not in refused.text and "SECRET" not in caplog.text
    assert services.client().post(url, json={"facts": [1]}, timeout=5).json()["error"] == "bad_facts"
    assert services.client().post(url, json={"facts": {}, "on": "15/01/2026"}, timeout=5).json()["error"] == "bad_date"
    assert services.client().post(url, json={"on": "2020-01-01"}, timeout=5).json()["error"] == "date_out_of_range"
    assert services.client().post(url, data="nope", timeout=5).status_code == 400


def test_openapi_documents_the_evaluate_body() -> None:
    spec = yaml.safe_load(Path("services/api/openapi.yaml").read_text(encoding="utf-8"))
    described = set(spec["components"]["schemas"]["Facts"]["properties"])
    assert described == {f for f in Facts.__dataclass_fields__}
