"""Facts from what people type, with and without diacritics and in teencode: who is asked about, who types."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from core.eligibility import UNKNOWN
from core.eligibility.understanding import parse_reply, understand

TODAY = date(2026, 1, 15)

SAID = [
    # (text, facts that must be read, (speaker, relation, address) or None)
    ("mẹ tôi 82 tuổi không có lương hưu thì được trợ cấp gì", {"age": 82, "has_pension": False},
     ("relative", "mother", "Bác")),
    ("me toi 82 tuoi ko co luong huu thi dc tro cap gi", {"age": 82, "has_pension": False},
     ("relative", "mother", "Bác")),
    ("mạ tui 81 tuổi rồi, không có lương hưu chi hết", {"age": 81, "has_pension": False},
     ("relative", "mother", "Bác")),
    ("ông nội em 90t sống một mình, không nơi nương tựa", {"age": 90, "has_supporter": False, "lives_alone": True},
     ("relative", "grandfather", "Anh/Chị")),
    ("bac nam nay 76, khong co luong huu", {"age": 76, "has_pension": False}, ("self", "self", "Bác")),
    ("75 tuoi dc huong gi", {"age": 75}, None),
    ("tôi đơn thân nuôi 2 con 3 tuổi và 5 tuổi, nhà nghèo",
     {"is_single_parent": True, "children_in_care": 2, "household_type": "poor"}, ("self", "self", "Anh/Chị")),
    ("minh la me don than, nha can ngheo, nuoi hai dua con nho",
     {"is_single_parent": True, "children_in_care": 2, "household_type": "near_poor"}, ("self", "self", "Anh/Chị")),
    ("con tôi 8 tuổi bị khuyết tật đặc biệt nặng", {"age": 8, "disability_level": "especially_severe",
                                                   "family_cares": True}, ("relative", "child", "Anh/Chị")),
    ("con toi bi bai nao", {}, ("relative", "child", "Anh/Chị")),
    ("ba toi la thuong binh 61%, 80 tuoi", {"merit_group": "war_invalid", "injury_rate": 61, "age": 80},
     ("relative", "father", "Bác")),
    ("ck e la thuong binh 81% co vet thuong dac biet nang",
     {"merit_group": "war_invalid", "injury_rate": 81, "especially_severe_wound": True},
     ("relative", "spouse", "Anh/Chị")),
    ("mẹ tôi có 2 con là liệt sĩ, sống cô đơn",
     {"merit_group": "martyr_family", "martyrs_count": 2, "lives_alone": True},
     ("relative", "mother", "Bác")),
    ("khách hỏi bà ấy 78 tuổi, hộ nghèo, không có ai phụng dưỡng",
     {"age": 78, "household_type": "poor", "has_supporter": False}, ("agent", "customer", "Anh/Chị")),
    ("khach hang 70 tuoi nha can ngheo ko luong huu", {"age": 70, "household_type": "near_poor", "has_pension": False},
     ("agent", "customer", "Anh/Chị")),
    ("bố tôi đang hưởng trợ cấp vừa mất, gia đình có được hỗ trợ mai táng phí không",
     {"deceased": True, "was_receiving": "social"}, ("relative", "father", "Bác")),
    ("bo toi vua mat, tien mai tang dc bn", {"deceased": True}, ("relative", "father", "Bác")),
    ("cháu tui 17 tuổi mồ côi cả cha lẫn mẹ đang học lớp 11, có còn được hưởng tiếp hông",
     {"age": 17, "orphan_situation": "both_parents_dead", "studying": True, "was_receiving_child_allowance": True},
     ("relative", "grandchild", "Anh/Chị")),
    ("tôi nhận nuôi một bé bị bỏ rơi 2 tuổi", {"carer": True, "care_duty": "foster_child_under4", "cared_count": 1},
     ("self", "self", "Anh/Chị")),
    ("tôi 35 tuổi khuyết tật nặng, đang có bầu", {"age": 35, "disability_level": "severe", "infant_care": "pregnant"},
     ("self", "self", "Anh/Chị")),
    ("me toi dang o trung tam bao tro xa hoi", {"in_facility": True}, ("relative", "mother", "Bác")),
    ("bà tôi sinh năm 1945 nhà không thuộc hộ nghèo", {"birth_year": 1945, "household_type": "none"},
     ("relative", "grandmother", "Anh/Chị")),
    ("tôi khuyết tật mức nhẹ", {"disability_level": "none"}, ("self", "self", "Bác")),
    ("tôi 41 tuổi bị nhiễm HIV, nhà nghèo, không có thu nhập ổn định",
     {"age": 41, "hiv": True, "household_type": "poor", "has_stable_income": False}, ("self", "self", "Anh/Chị")),
    ("em 32 tuổi, không khuyết tật, chưa có con", {"age": 32, "is_single_parent": False}, ("self", "self", "Anh/Chị")),
    ("chau em 16 tuoi mo coi ca cha me, dang hoc cap 3, tu nho da nhan tro cap",
     {"age": 16, "orphan_situation": "both_parents_dead", "was_receiving_child_allowance": True},
     ("relative", "grandchild", "Anh/Chị")),
    ("cháu tôi 9 tuổi, bố mất, mẹ đang đi tù", {"age": 9, "orphan_situation": "one_dead_other_absent"},
     ("relative", "grandchild", "Anh/Chị")),
    ("chau toi 6 tuoi, me dang cai nghien, bo chet roi", {"age": 6, "orphan_situation": "one_dead_other_absent"},
     ("relative", "grandchild", "Anh/Chị")),
    ("nha ko ngheo, co con chau nuoi", {"household_type": "none"}, None),  # "có con cháu": nobody named
    ("ong noi em la tb 41%", {"merit_group": "war_invalid", "injury_rate": 41}, ("relative", "grandfather", "Anh/Chị")),
    ("ba toi bi thuong trong chien tranh, ty le 61%", {"merit_group": "war_invalid", "injury_rate": 61},
     ("relative", "father", "Bác")),
    ("em nuôi 3 bé một mình, hộ nghèo", {"is_single_parent": True, "children_in_care": 3, "household_type": "poor"},
     ("self", "self", "Anh/Chị")),
    ("ông tôi 80 mấy tuổi rồi", {"age": 80}, ("relative", "grandfather", "Anh/Chị")),
    ("tôi sinh năm 45, không có lương hưu", {"birth_year": 1945, "has_pension": False}, ("self", "self", "Bác")),
]  # fmt: skip


@pytest.mark.parametrize(("text", "facts", "who"), SAID, ids=[s[0] for s in SAID])
def test_facts_and_people_are_read_from_one_message(
    text: str, facts: dict[str, Any], who: tuple[str, ...] | None
) -> None:
    understood = understand(text, TODAY)
    for fact, value in facts.items():
        assert understood.facts.get(fact) == value, (text, fact, understood.facts)
    if who is None:
        assert understood.about is None
    else:
        about = understood.about
        assert about is not None and (about.speaker, about.relation, about.address) == who, (text, about)


def test_childrens_ages_are_the_childrens_not_the_mothers() -> None:
    """The issue: a poor single mother of two small children was taken for a child."""
    understood = understand("tôi là mẹ đơn thân nuôi 2 bé 3 tuổi và 5 tuổi, nhà nghèo", TODAY)
    assert "age" not in understood.facts and understood.children_ages == (3, 5)
    assert understood.facts["children_in_care"] == 2
    infant = understand("em đơn thân, có 1 bé 2 tuổi, hộ cận nghèo", TODAY)
    assert "age" not in infant.facts and infant.facts["infant_care"] == "one_child_under_36m"


def test_the_kinship_word_is_kept_for_the_answer() -> None:
    assert understand("má tui 80 tuổi", TODAY).about.kin == "má"
    assert understand("bà ngoại em 77 tuổi", TODAY).about.kin == "bà ngoại"
    assert understand("ck e la benh binh", TODAY).about.kin == "chồng"
    assert understand("khách hỏi bà ấy được gì", TODAY).about.kin == "bà ấy"


PERIODS = [
    ("năm 2023 thương binh 41% được bao nhiêu", (date(2023, 1, 1), date(2023, 12, 31))),
    ("thang 10/2023 bo toi duoc bao nhieu", (date(2023, 10, 1), date(2023, 10, 31))),
    ("hồi tháng 2 năm 2024 mẹ tôi được bao nhiêu", (date(2024, 2, 1), date(2024, 2, 29))),
    ("năm ngoái bà tôi được bao nhiêu", (date(2025, 1, 1), date(2025, 12, 31))),
    ("bà tôi sinh năm 1945", None),
    ("mẹ tôi năm nay 82 tuổi", None),
]


@pytest.mark.parametrize(("text", "period"), PERIODS, ids=[p[0] for p in PERIODS])
def test_periods_asked_about(text: str, period: tuple[date, date] | None) -> None:
    assert understand(text, TODAY).period == period


def test_corrections_are_recognised() -> None:
    correction = understand("à không, 79 tuổi", TODAY)
    assert correction.corrected and correction.facts == {"age": 79}
    assert understand("a nham, me toi 79t", TODAY).corrected
    assert not understand("mẹ tôi 79 tuổi", TODAY).corrected


def test_a_wound_is_not_a_disability_paper() -> None:
    facts = understand("bo toi thuong binh 85% vet thuong dac biet nang", TODAY).facts
    assert "disability_level" not in facts and facts["especially_severe_wound"] is True


REPLIES = [
    ({"fact": "age", "type": "age", "options": [["unknown", "Không biết"]]}, "82 tuổi", {"age": 82}),
    ({"fact": "age", "type": "age", "options": []}, "sinh năm 1941", {"birth_year": 1941}),
    ({"fact": "age", "type": "age", "options": []}, "ko biet", {"age": UNKNOWN}),
    ({"fact": "has_pension", "type": "bool", "options": []}, "không có", {"has_pension": False}),
    ({"fact": "has_pension", "type": "bool", "options": []}, "có ạ", {"has_pension": True}),
    ({"fact": "household_type", "type": "choice", "options": [["poor", "Hộ nghèo"], ["near_poor", "Hộ cận nghèo"],
      ["none", "Không"]]}, "nhà tôi hộ cận nghèo", {"household_type": "near_poor"}),
    ({"fact": "household_type", "type": "choice", "options": [["none", "Không"]]}, "khong", {"household_type": "none"}),
    ({"fact": "household_type", "type": "choice", "options": [["poor", "Hộ nghèo"]]}, "trời mưa", None),
    ({"fact": "children_in_care", "type": "count", "options": []}, "hai đứa", {"children_in_care": 2}),
    ({"fact": "injury_rate", "type": "rate", "options": []}, "61%", {"injury_rate": 61}),
    ({"fact": "hiv", "type": "bool", "options": [[True, "Có"], [False, "Không"], ["unknown", "Không muốn trả lời"]]},
     "không muốn trả lời", {"hiv": UNKNOWN}),
    ({"fact": "merit_group", "type": "choice", "options": [["war_invalid", "Thương binh"]]}, "benh binh",
     {"merit_group": "sick_soldier"}),
    ({"fact": "disability_level", "type": "choice", "options": [["especially_severe", "Đặc biệt nặng"],
      ["severe", "Nặng"], ["none", "Không có, hoặc mức nhẹ"]]}, "2", {"disability_level": "severe"}),
    ({"fact": "disability_level", "type": "choice", "options": [["severe", "Nặng"]]}, "7", None),
]  # fmt: skip


@pytest.mark.parametrize(("question", "typed", "facts"), REPLIES, ids=[r[1] for r in REPLIES])
def test_answers_become_facts(question: dict[str, Any], typed: str, facts: dict[str, Any] | None) -> None:
    assert parse_reply(question, typed) == facts


def test_a_pressed_button_is_its_option() -> None:
    question = {"fact": "household_type", "type": "choice", "options": [["poor", "Hộ nghèo"], ["none", "Không"]]}
    assert parse_reply(question, '/inform{"answer":"2"}', "2") == {"household_type": "none"}


def test_a_correction_does_not_answer_the_pending_question() -> None:
    from core.eligibility import About
    from core.eligibility.dialogue import follow_up

    question = {"fact": "household_type", "type": "choice",
                "options": [["poor", "Hộ nghèo"], ["near_poor", "Hộ cận nghèo"], ["none", "Không"]]}  # fmt: skip
    turn = follow_up({"age": 80, "has_pension": False}, About(), question, "à không, 79 tuổi", TODAY)
    assert turn.facts == {"age": 79, "has_pension": False} and turn.corrected == {"age": 79}
    plain = follow_up({"age": 80}, About(), question, "không", TODAY)
    assert plain.facts == {"age": 80, "household_type": "none"} and not plain.corrected


def test_an_agents_shorthand_ko_kt_is_no_disability() -> None:
    facts = understand("KH 66t, ho can ngheo, ko KT", TODAY).facts
    assert facts == {"age": 66, "household_type": "near_poor", "disability_level": "none"}



@pytest.mark.parametrize(
    ("text", "level"),
    [("KH 70t KT dac biet nang", "especially_severe"), ("kh 45t kt nang, ko luong huu", "severe"),
     ("khach 30 tuoi, KT DBN", "especially_severe")],
)  # fmt: skip
def test_an_agents_kt_shorthand_gives_the_level(text: str, level: str) -> None:
    assert understand(text, TODAY).facts["disability_level"] == level



@pytest.mark.parametrize(
    ("text", "age"),
    [("khách hỏi bà cụ 80, không lương hưu", 80), ("me toi 82, ko luong huu", 82), ("tuổi 78, hộ nghèo", 78),
     ("khách hàng 80, ko luong huu", 80), ("toi 2 con, nha ngheo", None), ("mẹ tôi 500 nghìn", None),
     ("ong toi la thuong binh hang 2", None)],
)  # fmt: skip
def test_a_bare_number_right_after_the_person_is_their_age(text: str, age: int | None) -> None:
    assert understand(text, TODAY).facts.get("age") == age



def test_ba_before_a_count_is_three_and_a_dead_spouse_is_not_the_person_asked_about() -> None:
    three = understand("tôi ly hôn, một mình nuôi ba cháu, nhà nghèo", TODAY)
    assert three.facts["children_in_care"] == 3 and three.about is not None and three.about.relation == "self"
    widower = understand("vo toi mat roi, toi nuoi 2 dua con nho, ho ngheo", TODAY)
    assert widower.facts["is_single_parent"] is True and widower.about is not None
    assert widower.about.relation == "self"
    assert understand("ba tôi 80 tuổi", TODAY).about.relation == "father"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "relation", "kin", "age"),
    [("ba ngoai 90t roi co dc tien gi ko", "grandmother", "bà ngoại", 90),  # no "tôi": still the typer's relative
     ("mẹ chồng năm nay 70 tuổi, nhà nghèo", "mother", "mẹ chồng", 70),
     ("đứa con gái út của tôi 30 tuổi bị khuyết tật nặng", "child", "con gái", 30),  # descriptor before the owner
     ("đứa nhỏ nhà tôi 6 tuổi bị bại não", "child", "đứa nhỏ", 6),  # "nhà tôi" is one owner
     ("bo me toi deu tren 80 tuoi", "mother", "bố mẹ", 80),  # a pair kept whole
     ("ông bà em 85 tuổi", "grandmother", "ông bà", 85)],
)  # fmt: skip
def test_relations_are_kept_whole(text: str, relation: str, kin: str, age: int) -> None:
    said = understand(text, TODAY)
    assert said.about is not None and (said.about.relation, said.about.kin) == (relation, kin), said.about
    assert said.facts.get("age") == age


def test_bà_già_alone_may_be_the_typer() -> None:
    said = understand("bà già rồi 80 tuổi", TODAY)
    assert said.about is None or said.about.relation == "self"


@pytest.mark.parametrize(
    ("text", "ages", "count"),
    [("tôi 30 tuổi nuôi 3 đứa nhỏ 2, 5 và 7 tuổi một mình", (2, 5, 7), 3),
     ("em nuoi 2 dua nho 3 voi 5 tuoi mot minh, ho ngheo", (3, 5), 2),
     ("tôi nuôi con gái 3 tuổi một mình", (3,), 1)],
)  # fmt: skip
def test_children_ages_in_a_list_are_the_childrens_not_the_typers(text: str, ages: tuple[int, ...], count: int) -> None:
    said = understand(text, TODAY)
    assert said.children_ages == ages
    assert said.facts.get("is_single_parent") is True and said.facts.get("children_in_care") == count
    assert said.facts.get("age") in (None, 30)


@pytest.mark.parametrize(
    ("text", "age"),
    [("bà tôi tám mươi lăm tuổi", 85), ("ba toi bay muoi tuoi", 70), ("mẹ em năm nay 8 mươi mấy", 80),
     ("ông tôi chín mươi mốt tuổi", 91)],
)  # fmt: skip
def test_an_age_said_in_words_is_read(text: str, age: int) -> None:
    assert understand(text, TODAY).facts.get("age") == age


def test_bà_cụ_nhà_em_is_the_typers_grandmother_and_bà_cụ_alone_an_agents_customer() -> None:
    own = understand("bà cụ nhà em 88t", TODAY)
    assert own.about is not None and (own.about.speaker, own.about.relation) == ("relative", "grandmother")
    assert own.facts.get("age") == 88
    customer = understand("bà cụ 80, không lương hưu", TODAY)
    assert customer.about is not None and customer.about.speaker == "agent"


@pytest.mark.parametrize(
    ("text", "relation", "age"),
    [("bé 4t KTĐBN", "child", 4), ("con 5t kt dbn bn tien", "child", 5), ("ktdbn 6 tuoi dc bn", "child", 6),
     ("me 82t kt dac biet nang", "mother", 82), ("bố năm nay 85", "father", 85)],
)  # fmt: skip
def test_a_message_opening_on_a_child_or_parent_is_about_them(text: str, relation: str, age: int) -> None:
    said = understand(text, TODAY)
    assert said.about is not None and said.about.relation == relation and said.about.speaker == "relative"
    assert said.facts.get("age") == age


def test_a_single_mother_opening_on_mẹ_is_the_typer() -> None:
    said = understand("mẹ đơn thân nuôi 2 con", TODAY)
    assert said.about is None or said.about.relation == "self"
    assert said.facts.get("is_single_parent") is True
