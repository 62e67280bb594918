"""Only questions that can change the answer, the best one first, and none once the answer is settled."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from core.eligibility import UNKNOWN, Evaluation, Facts, evaluate

NOW = date(2026, 1, 15)
LAST_DAY_WITHOUT_SOCIAL_PENSION = date(2025, 6, 30)
NEGATIVE = {"bool": False, "count": 0, "month": 1, "rate": 21, "age": 50}
POSITIVE = {"bool": True, "count": 2, "month": 1, "rate": 81, "age": 50}


def interview(day: date, answers: dict[str, Any], start: Facts | None = None, limit: int = 30,
              default: dict[str, Any] = NEGATIVE) -> tuple[list[str], Evaluation]:  # fmt: skip
    """Answer each next question from `answers`, or with `default` for its type ("no"), until none is left."""
    facts, asked = start or Facts(), []
    for _ in range(limit):
        result = evaluate(facts, day)
        if result.next_question is None:
            return asked, result
        question = result.next_question
        assert question.fact not in asked, f"{question.fact} asked twice"
        asked.append(question.fact)
        assert question.options[-1].value == UNKNOWN  # "không biết" (or "không muốn trả lời") is always offered
        first = question.options[0].value if default is POSITIVE else "none"
        value = answers.get(question.fact, default.get(question.type, first))
        facts = replace(facts, **{question.fact: value})
    raise AssertionError(f"never finished: {asked}")


def outcome(result: Evaluation) -> tuple[Any, ...]:
    return (result.monthly_total_vnd, result.care_total_vnd, tuple(i.key for i in result.one_time if not i.later))


def test_first_question_is_the_age() -> None:
    question = evaluate(Facts(), NOW).next_question
    assert question is not None and question.fact == "age" and "tuổi" in question.text


@pytest.mark.parametrize(
    "start",
    [Facts(), Facts(age=82, has_pension=False), Facts(age=35), Facts(age=10), Facts(age=70, household_type="poor"),
     Facts(age=40, disability_level="especially_severe"), Facts(merit_group="war_invalid", injury_rate=81, age=60),
     Facts(deceased=True), Facts(age=30, is_single_parent=True)],
)  # fmt: skip
def test_every_question_asked_can_change_the_answer(start: Facts) -> None:
    """For the question asked, two of its answers lead to different final answers (the later questions
    answered all "no", or all "yes")."""
    result = evaluate(start, NOW)
    question = result.next_question
    assert question is not None
    values = [o.value for o in question.options if o.value != UNKNOWN]
    if question.type in ("age", "count", "rate", "month"):
        values = {"age": [2, 10, 18, 30, 65, 72, 77, 85], "count": [0, 1, 2], "rate": [21, 61, 81],
                  "month": [1, 12]}[question.type]  # fmt: skip
    differs = []
    for default in (NEGATIVE, POSITIVE):
        finals = {outcome(interview(NOW, {}, replace(start, **{question.fact: v}), default=default)[1]) for v in values}
        differs.append(len(finals) >= 2)
    assert any(differs), (start, question.fact)


def test_the_interview_stops_as_soon_as_the_answer_is_settled() -> None:
    # 82, no pension, not poor, no disability paper: 500.000 đ; nothing else could raise it.
    result = evaluate(Facts(age=82, has_pension=False, household_type="none", disability_level="none"), NOW)
    assert result.complete and result.monthly_total_vnd == 500_000
    # Thương binh 81% aged 40 with nothing else: the wound question decides phụ cấp vs phụ cấp đặc biệt, then stop.
    asked, final = interview(NOW, {"especially_severe_wound": False},
                             Facts(merit_group="war_invalid", injury_rate=81, age=40))  # fmt: skip
    assert "especially_severe_wound" in asked and final.monthly_total_vnd == 7_240_000 + 1_399_000


@pytest.mark.parametrize("household", ["none", "near_poor", "poor"])
def test_85_year_old_without_pension_is_never_asked_about_children_or_orphans(household: str) -> None:
    asked, result = interview(NOW, {"household_type": household, "has_supporter": False},
                              Facts(age=85, has_pension=False))  # fmt: skip
    assert not {"orphan_situation", "was_receiving_child_allowance", "studying", "infant_care",
                "is_single_parent", "children_in_care", "hiv"} & set(asked)  # fmt: skip
    assert result.monthly_total_vnd == (1_000_000 if household == "poor" else 500_000)


def test_a_child_is_not_asked_about_pension_or_single_parenthood() -> None:
    asked, _ = interview(NOW, {}, Facts(age=10))
    assert "orphan_situation" in asked and "disability_level" in asked
    assert not {"has_pension", "has_supporter", "is_single_parent", "pension_below_social_pension"} & set(asked)


def test_a_working_age_adult_is_not_asked_about_orphans() -> None:
    asked, _ = interview(NOW, {}, Facts(age=35))
    assert not {"orphan_situation", "has_supporter", "was_receiving_child_allowance"} & set(asked)
    assert "disability_level" in asked


def test_optional_subjects_are_never_asked_first() -> None:
    """Merit status, caring for someone, a death and a facility are taken when the person raises them."""
    for age in (2, 10, 18, 35, 65, 85):
        asked, _ = interview(NOW, {}, Facts(age=age, has_pension=False))
        assert not {"merit", "merit_group", "injury_rate", "carer", "care_duty", "cared_count", "survivor_allowance",
                    "deceased", "was_receiving", "in_facility"} & set(asked), age  # fmt: skip
    asked, result = interview(NOW, {"cared_count": 1}, Facts(age=40, carer=True, care_duty="foster_disabled_adult"))
    assert "cared_count" in asked and result.care_total_vnd == 750_000
    group = evaluate(Facts(age=70, merit=True), NOW).next_question
    assert group is not None and group.fact == "merit_group" and len(group.options) <= 5


# --- The sensitive question ---------------------------------------------------------------------


def test_hiv_is_asked_only_when_nothing_else_decides_and_may_be_declined() -> None:
    asked, result = interview(NOW, {"household_type": "poor"}, Facts(age=40))
    assert asked[-2:] == ["hiv", "has_stable_income"] or asked[-1] == "hiv"
    settled = Facts(age=40, household_type="poor", disability_level="none", is_single_parent=False, infant_care="none")
    question = evaluate(settled, NOW).next_question
    assert question is not None and question.fact == "hiv" and question.sensitive
    assert question.options[-1].label == "Không muốn trả lời" and "không muốn trả lời" in question.text
    # After "yes", the income question follows; before it, nobody is asked about income.
    assert "has_stable_income" not in interview(NOW, {"household_type": "poor", "hiv": False}, Facts(age=40))[0]
    yes = evaluate(Facts(age=40, household_type="poor", disability_level="none", is_single_parent=False,
                         infant_care="none", hiv=True), NOW)  # fmt: skip
    assert yes.next_question is not None and yes.next_question.fact == "has_stable_income"


@pytest.mark.parametrize(
    "start",
    [Facts(age=30, household_type="poor", is_single_parent=True, children_in_care=2),  # a poor single mother
     Facts(age=10, orphan_situation="both_parents_dead", household_type="poor"),  # an orphan
     Facts(age=85, has_pension=False, household_type="poor", has_supporter=True)],  # 85, poor, with children
)  # fmt: skip
def test_hiv_is_not_asked_when_something_is_already_paid(start: Facts) -> None:
    asked, result = interview(NOW, {}, start)
    assert "hiv" not in asked and result.monthly_total_vnd > 0
    assert not any("hiv" in item.depends_on for item in result.possible)


def test_a_declined_hiv_answer_is_kept_private() -> None:
    result = evaluate(Facts(age=40, household_type="poor", disability_level="none", is_single_parent=False,
                            infant_care="none", hiv=UNKNOWN), NOW)  # fmt: skip
    assert result.complete
    (undecided,) = result.undecided
    assert undecided.fact == "hiv" and "giữ kín" in undecided.text and "Nếu" not in undecided.text


# --- Answers "không biết" ------------------------------------------------------------------------


def test_pension_amount_is_asked_only_of_pensioners_and_quotes_the_social_pension() -> None:
    asked, _ = interview(NOW, {}, Facts(age=76, has_pension=True))
    assert "pension_below_social_pension" in asked
    question = evaluate(Facts(age=76, has_pension=True, household_type="none", disability_level="none"), NOW)
    assert question.next_question is not None and "500.000" in question.next_question.text
    assert "pension_below_social_pension" not in interview(NOW, {}, Facts(age=76, has_pension=False))[0]


def test_special_area_is_asked_never_assumed() -> None:
    """k5b needs a xã/thôn ĐBKK; the list is ✘ UNCONFIRMED, so the person answers (before hưu trí xã hội)."""
    facts = Facts(age=77, household_type="near_poor", has_pension=False, disability_level="none")
    question = evaluate(facts, LAST_DAY_WITHOUT_SOCIAL_PENSION).next_question
    assert question is not None and question.fact == "lives_in_special_area"
    unknown = evaluate(replace(facts, lives_in_special_area=UNKNOWN), LAST_DAY_WITHOUT_SOCIAL_PENSION)
    assert unknown.complete and unknown.monthly_total_vnd == 0
    (undecided,) = unknown.undecided
    text = undecided.text.replace("\xa0", " ")  # Babel puts a no-break space before ₫
    assert "chưa có danh sách" in text and "Nếu có thì được 500.000 ₫/tháng" in text
    # Since 1/7/2025 the social pension pays the same 500.000 đ at 77, so the commune no longer matters.
    assert evaluate(facts, NOW).next_question is None and evaluate(facts, NOW).monthly_total_vnd == 500_000


def test_unknown_household_explains_both_answers() -> None:
    facts = Facts(age=85, has_pension=False, household_type=UNKNOWN, has_supporter=False, disability_level="none",
                  taken_in_by_carer=False)  # fmt: skip
    result = evaluate(facts, NOW)
    assert result.complete and result.monthly_total_vnd == 500_000
    (undecided,) = result.undecided
    text = undecided.text.replace("\xa0", " ")
    assert undecided.fact == "household_type"
    assert "Nếu thuộc hộ nghèo thì được 1.000.000 ₫/tháng" in text
    assert "không thuộc hộ nghèo, cận nghèo thì được 500.000 ₫/tháng" in text


def test_unknown_number_of_children_gives_the_amount_per_child() -> None:
    facts = Facts(age=30, household_type="poor", is_single_parent=True, children_in_care=UNKNOWN,
                  disability_level="none", infant_care="none")  # fmt: skip
    (undecided,) = evaluate(facts, NOW).undecided
    assert undecided.fact == "children_in_care" and "500.000" in undecided.text


def test_birth_year_alone_asks_the_month_only_at_a_threshold() -> None:
    """Born 1945, asked on 1/3/2025 (before hưu trí xã hội): 79 or 80 decides k5c."""
    day = date(2025, 3, 1)
    facts = Facts(birth_year=1945, has_pension=False, household_type="none", disability_level="none")
    question = evaluate(facts, day).next_question
    assert question is not None and question.fact == "birth_month"
    assert evaluate(replace(facts, birth_month=2), day).monthly_total_vnd == 500_000  # 80 since February
    assert evaluate(replace(facts, birth_month=3), day).monthly_total_vnd == 500_000  # the birthday month counts
    assert evaluate(replace(facts, birth_month=4), day).monthly_total_vnd == 0
    (undecided,) = evaluate(replace(facts, birth_month=UNKNOWN), day).undecided
    assert "đã tới tháng sinh nhật" in undecided.text and "500.000" in undecided.text
    # Born 1960: 64 or 65 changes nothing, so the month is not asked.
    assert evaluate(Facts(birth_year=1960, has_pension=False, household_type="none", disability_level="none",
                          is_single_parent=False, infant_care="none"), day).next_question is None  # fmt: skip


def test_unknown_age_explains_the_age_bands() -> None:
    facts = Facts(age=UNKNOWN, has_pension=False, household_type="poor", has_supporter=False,
                  disability_level="none", orphan_situation="none", taken_in_by_carer=False,
                  is_single_parent=False, infant_care="none", was_receiving_child_allowance=False)  # fmt: skip
    (undecided,) = [u for u in evaluate(facts, NOW).undecided if u.fact == "age"]
    text = undecided.text.replace("\xa0", " ")
    assert "từ 60 đến 79 tuổi thì được 750.000 ₫/tháng" in text and "từ đủ 80 tuổi thì được 1.000.000 ₫/tháng" in text
