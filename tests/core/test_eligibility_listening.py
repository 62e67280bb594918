"""What the interview hears beyond the pending question (issue 13): callings, in-laws, two people, corrections."""

from __future__ import annotations

from datetime import date

import pytest

from core.eligibility import Facts, evaluate
from core.eligibility.dialogue import follow_up, opening
from core.eligibility.understanding import understand
from core.eligibility.wording import About

TODAY = date(2026, 1, 15)


def test_calling_the_bot_names_nobody_and_the_typer_keeps_their_age() -> None:
    said = understand("chau oi, bac nam nay 83 tuoi roi, bac khong co luong huu gi het", TODAY)
    assert said.facts == {"age": 83, "has_pension": False}
    assert said.about is not None and said.about.relation == "self" and said.children_ages == ()
    mother = understand("cháu ơi, mẹ tôi 80 tuổi", TODAY)
    assert mother.about is not None and mother.about.relation == "mother" and mother.facts["age"] == 80


def test_an_in_law_is_one_relation_not_a_spouse() -> None:
    for text, relation, kin in (("mẹ chồng tôi 79 tuổi, hộ nghèo", "mother", "mẹ chồng"),
                                ("bo vo toi 70 tuoi", "father", "bố vợ")):  # fmt: skip
        said = understand(text, TODAY)
        assert said.about is not None and (said.about.relation, said.about.kin) == (relation, kin), text
        assert said.facts["age"] in (79, 70)


def test_two_people_together_are_told_each_gets_the_amount() -> None:
    turn = opening("ông bà tôi đều 82 tuổi, không lương hưu, nhà không nghèo, mỗi người được bao nhiêu", TODAY)
    assert "mỗi người" in turn.note and turn.about.kin == "ông bà" and turn.about.address != "Ông"  # kept whole
    assert "mỗi người" not in opening("mẹ tôi 82 tuổi không lương hưu", TODAY).note


def test_a_percentage_alone_corrects_the_rate_of_the_group_said() -> None:
    question = {"fact": "household_type", "type": "choice", "options": []}
    turn = follow_up({"merit_group": "war_invalid", "injury_rate": 41}, About(), question, "nhầm, 61% chứ", TODAY)
    assert turn.facts["injury_rate"] == 61 and turn.corrected == {"injury_rate": 61}
    plain = follow_up({"age": 80}, About(), question, "61% chứ", TODAY)  # no group: a percentage means nothing
    assert "injury_rate" not in plain.facts


def test_the_rate_of_a_known_group_is_asked_before_the_age() -> None:
    question = evaluate(Facts.from_dict(opening("ba toi la thuong binh", TODAY).facts), TODAY).next_question
    assert question is not None and question.fact == "injury_rate"
    group = evaluate(Facts(age=70, merit=True), TODAY).next_question  # the group first when it is not known
    assert group is not None and group.fact == "merit_group"


@pytest.mark.parametrize(
    ("text", "first"),
    [("tôi bị khuyết tật", "disability_level"), ("con tôi bị bại não", "disability_level"),
     ("ba em bi liet nua nguoi", "disability_level"), ("bố tôi bị khiếm thị", "disability_level"),
     ("con tôi bị dị tật bẩm sinh", "disability_level"), ("cháu tôi 7 tuổi mồ côi", "orphan_situation"),
     ("tôi 70 tuổi, không lương hưu", None)],
)  # fmt: skip
def test_a_condition_named_without_its_level_is_asked_about_first(text: str, first: str | None) -> None:
    turn = opening(text, TODAY)
    question = evaluate(Facts.from_dict(turn.facts), TODAY, 0, turn.ask_first).next_question
    assert turn.understood
    if first:
        assert turn.ask_first == (first,) and question is not None and question.fact == first
    else:
        assert turn.ask_first == ()


def test_a_level_already_said_is_not_asked_first_again() -> None:
    turn = opening("tôi khuyết tật đặc biệt nặng", TODAY)
    assert turn.ask_first == () and turn.facts["disability_level"] == "especially_severe"


def test_the_child_asked_about_stays_the_same_child_when_called_chau() -> None:
    turn = opening("con tôi bị bại não", TODAY)
    options = [["especially_severe", "Đặc biệt nặng"], ["severe", "Nặng"], ["none", "Không có, hoặc mức nhẹ"]]
    question = {"fact": "disability_level", "type": "choice", "options": options}
    later = follow_up(turn.facts, turn.about, question, "cháu 5 tuổi, giấy xác nhận mức đặc biệt nặng", TODAY)
    assert later.about.relation == "child" and later.facts == {"age": 5, "disability_level": "especially_severe"}


def test_a_father_stays_the_subject_when_the_reply_says_co_con_chau_without_marks() -> None:
    turn = opening("ba e 83t ko co luong huu", TODAY)
    later = follow_up(turn.facts, turn.about, None, "nha binh thuong, ba khoe, co con chau nuoi", TODAY)
    assert later.about.relation == "father" and later.facts["age"] == 83 and later.facts["has_pension"] is False
