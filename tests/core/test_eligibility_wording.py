"""The answer first, short, naming the person as the conversation does; the basis in one more bubble."""

from __future__ import annotations

from datetime import date

import pytest

from core.eligibility import About, AboutError, Facts, evaluate, evaluate_range
from core.eligibility.wording import FIRST_ANSWER_MAX, acknowledge, details, first_answer, period_label, subject_name

NOW = date(2026, 1, 15)
MOTHER = About(speaker="relative", relation="mother", kin="mẹ", address="Bác")
SELF = About()


def answer(facts: Facts, about: About = SELF, day: date = NOW) -> str:
    return first_answer(evaluate(facts, day), about, facts).replace("\xa0", " ")


NAMES = [
    (About(), None, "Bác"),
    (MOTHER, 82, "mẹ Bác"),
    (About("relative", "mother", "má", "Bác"), 80, "má Bác"),
    (About("relative", "grandmother", "bà nội", "Anh/Chị"), 78, "bà nội Anh/Chị"),
    (About("relative", "child", "con", "Anh/Chị", child=True), 8, "cháu bé"),
    (About("relative", "child", "con", "Anh/Chị", child=True), 30, "con Anh/Chị"),
    (About("relative", "child", "con gái", "Anh/Chị", child=True), 30, "con gái Anh/Chị"),
    (About("agent", "customer", "bà ấy", "Anh/Chị"), 78, "bà cụ"),
    (About("agent", "customer", "", "Anh/Chị"), 40, "khách hàng"),
]


@pytest.mark.parametrize(("about", "age", "name"), NAMES, ids=[n[2] for n in NAMES])
def test_the_person_is_named_as_the_conversation_names_them(about: About, age: int | None, name: str) -> None:
    assert subject_name(about, age) == name


def test_about_accepts_only_known_words() -> None:
    assert About.from_dict({"speaker": "relative", "relation": "mother", "kin": "mạ"}).kin == "mạ"
    for bad in ({"speaker": "boss"}, {"relation": "neighbour"}, {"relation": "mother", "kin": "Nguyễn Thị B"},
                {"address": "Mày"}):  # fmt: skip
        with pytest.raises(AboutError):
            About.from_dict(bad)


def test_first_answer_says_the_amount_first_for_a_relative() -> None:
    facts = Facts(age=82, has_pension=False, household_type="none", disability_level="none")
    text = answer(facts, MOTHER)
    assert text.startswith("Dạ, mẹ Bác được trợ cấp người cao tuổi 500.000 ₫/tháng")
    assert "bảo hiểm y tế" in text and len(text) <= FIRST_ANSWER_MAX


def test_per_child_amounts_read_per_child() -> None:
    facts = Facts(age=30, household_type="poor", is_single_parent=True, children_in_care=2, disability_level="none",
                  infant_care="none", hiv=False)  # fmt: skip
    text = answer(facts)
    assert "mỗi cháu 500.000 ₫, 2 cháu là 1.000.000 ₫" in text and "tính cho mỗi con" not in text


def test_merit_answer_shows_tro_cap_and_phu_cap() -> None:
    facts = Facts(age=50, merit_group="war_invalid", injury_rate=81, especially_severe_wound=False,
                  disability_level="none", household_type="none", is_single_parent=False,
                  infant_care="none")  # fmt: skip
    text = answer(facts, About("relative", "father", "bố", "Bác"))
    assert "8.639.000 ₫" in text and "trợ cấp 7.240.000 ₫ + phụ cấp 1.399.000 ₫" in text


def test_not_eligible_is_said_plainly() -> None:
    facts = Facts(age=40, household_type="none", disability_level="none", is_single_parent=False, infant_care="none",
                  has_pension=False)  # fmt: skip
    assert answer(facts).startswith("Dạ, theo thông tin Bác cho biết, Bác chưa đủ điều kiện nhận trợ cấp hằng tháng")


def test_funeral_answer_for_a_relative_who_died() -> None:
    facts = Facts(deceased=True, was_receiving="social")
    text = answer(facts, About("relative", "father", "bố", "Bác"))
    assert text.startswith("Dạ, gia đình được hỗ trợ chi phí mai táng ít nhất 10.000.000 ₫, trả một lần")
    unknown = answer(Facts(deceased=True, was_receiving="social_pension"), MOTHER)
    assert "chưa xác định" in unknown and "₫" not in unknown  # ✘ UNCONFIRMED figure never said


def test_a_year_with_a_change_gives_both_amounts() -> None:
    facts = Facts(age=50, merit_group="war_invalid", injury_rate=41, disability_level="none", household_type="none",
                  is_single_parent=False, infant_care="none")  # fmt: skip
    main, segments = evaluate_range(facts, date(2023, 1, 1), date(2023, 12, 31))
    text = first_answer(main, SELF, facts, when=period_label(date(2023, 1, 1), date(2023, 12, 31)), segments=segments)
    text = text.replace("\xa0", " ")
    assert text.startswith("Dạ, năm 2023, Bác được: đến 30/06/2023 2.135.000 ₫/tháng; từ 01/07/2023 2.702.000 ₫/tháng")


def test_the_basis_comes_in_one_more_bubble_with_the_articles() -> None:
    facts = Facts(age=80, merit_group="war_invalid", injury_rate=61, has_pension=False, household_type="none",
                  disability_level="none")  # fmt: skip
    evaluation = evaluate(facts, NOW)
    text = details(evaluation, MOTHER, facts)
    assert "Phụ lục II NĐ 77/2024/NĐ-CP" in text and "điểm c khoản 5 Điều 5 NĐ 20/2021/NĐ-CP" in text
    assert "chưa chắc chắn" in text and "UBND xã/phường/đặc khu" in text and len(text) < 1500


WIDE = [
    Facts(age=85, has_pension=False, household_type="poor", has_supporter=False, disability_level="especially_severe"),
    Facts(age=35, household_type="poor", is_single_parent=True, children_in_care=3, disability_level="severe",
          infant_care="two_plus_children_under_36m"),
    Facts(age=80, merit_group="heroic_mother", has_pension=False, household_type="poor", has_supporter=False),
    Facts(age=85, merit_group="war_invalid", injury_rate=100, especially_severe_wound=True, has_pension=False),
    Facts(age=8, disability_level="especially_severe", family_cares=True, orphan_situation="both_parents_dead"),
]  # fmt: skip


@pytest.mark.parametrize("facts", WIDE)
def test_even_a_rich_answer_fits_one_phone_screen(facts: Facts) -> None:
    text = answer(facts, About("relative", "grandmother", "bà ngoại", "Anh/Chị"))
    assert len(text) <= FIRST_ANSWER_MAX, (len(text), text)
    assert "₫" in text


def test_acknowledgement_repeats_what_was_understood() -> None:
    facts = Facts(age=82, has_pension=False)
    text = acknowledge({"age": 82, "has_pension": False}, MOTHER, facts)
    assert text == "Dạ, cháu ghi nhận: mẹ Bác 82 tuổi, không có lương hưu."
    merit = acknowledge({"merit_group": "war_invalid", "injury_rate": 61, "age": 80},
                        About("relative", "father", "bố", "Bác"), Facts(age=80))  # fmt: skip
    assert merit == "Dạ, cháu ghi nhận: bố Bác 80 tuổi, thương binh 61%."


def early(facts: Facts, about: About = SELF, day: date = NOW) -> str:
    from core.eligibility.wording import early_answer

    return early_answer(evaluate(facts, day), about, facts).replace("\xa0", " ")


def test_a_pensioner_with_a_disability_is_told_at_once_that_dieu_51_excludes_the_allowance() -> None:
    facts = Facts(age=62, disability_level="severe", has_pension=True)
    said = early(facts, About("relative", "father", "bố", "Bác"))
    assert said.startswith("Dạ, bố Bác không được trợ cấp người khuyết tật")
    assert "lương hưu" in said and "khoản 1 Điều 51 Luật Người khuyết tật 2010" in said
    assert len(said) <= FIRST_ANSWER_MAX


def test_the_usual_case_is_answered_before_the_questions_that_could_take_it_away() -> None:
    facts = Facts(age=70, disability_level="especially_severe")
    said = early(facts, MOTHER)
    assert evaluate(facts, NOW).next_question is not None  # questions remain
    assert said == "Dạ, nếu mẹ Bác không có lương hưu thì mẹ Bác được trợ cấp người khuyết tật 1.250.000 ₫/tháng."


@pytest.mark.parametrize(
    "facts",
    [Facts(age=30),  # nothing settled: a disability is never assumed
     Facts(age=40, household_type="poor", hiv=True),  # nor an illness's conditions
     Facts(age=82, has_pension=False),  # already paid: the answer itself comes first
     Facts(age=82, has_pension=False, household_type="none", disability_level="none", has_supporter=True)],
)  # fmt: skip
def test_no_early_answer_when_nothing_is_settled_or_the_answer_is_already_there(facts: Facts) -> None:
    assert early(facts) == ""



def test_a_familys_care_support_said_while_questions_remain_does_not_say_there_is_nothing_else() -> None:
    facts = Facts(age=20, disability_level="especially_severe", family_cares=True)
    evaluation = evaluate(facts, NOW)
    assert evaluation.next_question is not None
    said = first_answer(evaluation, MOTHER, facts)
    assert "hỗ trợ" in said and "không có trợ cấp hằng tháng riêng" not in said
