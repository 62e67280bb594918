"""The entity lexicon (core/rules/entities.yaml via bot/nlu/lexicon.py) and the canonicaliser's fallbacks."""

from __future__ import annotations

import pytest

from bot.nlu import lexicon
from bot.nlu.entities import EntityCanonicalizer, with_fallbacks
from core.rules import load_yaml


@pytest.mark.parametrize(
    ("typed", "group"),
    [("người khuyết tật", "disability"), ("NGUOI KHUYET TAT", "disability"), ("thương binh", "war_invalid"),
     ("thuong binh", "war_invalid"), ("bà mẹ Việt Nam anh hùng", "heroic_mother"),
     ("ba me vn anh hung", "heroic_mother"), ("thân nhân liệt sĩ", "martyr_family"),
     ("nhiễm chất độc da cam", "agent_orange"), ("hưu trí xã hội", "social_pension"),
     ("trẻ mồ côi", "orphan"), ("nhận nuôi", "caregiver"), ("trợ cấp người cao tuổi", "elderly"),
     ("tiền lương", None)],
)  # fmt: skip
def test_group_values_ignore_case_and_diacritics(typed: str, group: str | None) -> None:
    assert lexicon.group_value(typed) == group


@pytest.mark.parametrize(
    ("typed", "relation"),
    [("bố", "father"), ("ba", "father"), ("Tía", "father"), ("cha", "father"), ("mẹ", "mother"), ("má", "mother"),
     ("ma", "mother"), ("U", "mother"), ("bầm", "mother"), ("bam", "mother"), ("bà", "grandmother"),
     ("bà nội", "grandmother"), ("ba ngoai", "grandmother"), ("ÔNG NGOẠI", "grandfather"), ("ong", "grandfather"),
     ("chồng", "spouse"), ("vo", "spouse"), ("con gái", "child"), ("cháu", "grandchild"), ("chị", "sibling"),
     ("mẹ chồng", "other"), ("đi", None), ("mà", None), ("chỉ", None)],
)  # fmt: skip
def test_relation_values_marks_first_then_folded(typed: str, relation: str | None) -> None:
    assert lexicon.relation_value(typed) == relation


def test_every_group_and_relation_value_is_one_the_data_uses() -> None:
    data = load_yaml("entities.yaml")
    assert set(data["groups"]) == {"disability", "elderly", "social_pension", "orphan", "single_parent", "hiv",
                                   "caregiver", "funeral", "merit", "war_invalid", "sick_soldier", "agent_orange",
                                   "heroic_mother", "martyr_family"}  # fmt: skip
    wording = set(load_yaml("wording.yaml")["relations"])
    assert set(data["relations"]) - {"other"} <= wording


@pytest.mark.parametrize(
    ("text", "found"),
    [("ma tui thang nay chua co tien", [("ma", "mother")]), ("ME TOI 85 TUOI", [("ME", "mother")]),
     ("em muon lam thu tuc giup bam em", [("bam", "mother")]), ("con em khuyết tật nặng", [("con", "child")]),
     ("chị tôi bị khuyết tật", [("chị", "sibling")]), ("toi la con cua ba ay", [("con", "child")]),
     ("em của tôi 12 tuổi", [("em", "sibling")]), ("bố mẹ tôi", [("mẹ", "mother")]),
     ("đăng xuất luôn đi em", []), ("dang xuat luon di em", []), ("chào cháu, bác muốn hỏi", []),
     ("người ta nhận hết rồi mà tui chưa có", []), ("nguoi ta nhan het roi ma tui chua co", []),
     ("có ông tự xưng công an", []), ("em muốn hỏi", [])],
)  # fmt: skip
def test_relation_fallback_needs_an_owner(text: str, found: list[tuple[str, str]]) -> None:
    assert [(s.text, s.value) for s in lexicon.relation_spans(text)] == found


def test_household_values_read_negation_and_teencode() -> None:
    assert lexicon.household_value("hông thuộc hộ nghèo") == "none"
    assert lexicon.household_value("ko phai ho ngheo") == "none"
    assert lexicon.household_value("hộ cận nghèo") == "near_poor"
    assert lexicon.household_value("ho ngheo") == "poor"
    assert lexicon.household_value("lương hưu") is None


def entity(name: str, text: str, word: str, value: str | None = None) -> dict:
    start = text.index(word)
    return {"entity": name, "start": start, "end": start + len(word), "value": value or word}


def test_fallbacks_add_what_the_crf_missed_and_drop_what_names_nobody() -> None:
    text = "ba me viet nam anh hung duoc huong bn tien"
    crf = [entity("relation", text, "ba", "father"), entity("relation", text, "me", "mother")]
    assert [(e["entity"], e["value"]) for e in with_fallbacks(text, crf)] == [("beneficiary_group", "heroic_mother")]
    text = "BÁC SINH NĂM 1949 LÀ THƯƠNG BINH"
    assert [(e["entity"], e["value"], text[e["start"] : e["end"]]) for e in with_fallbacks(text, [])] == [
        ("beneficiary_group", "war_invalid", "THƯƠNG BINH")
    ]
    text = "đăng xuất luôn đi em"
    assert with_fallbacks(text, [entity("relation", text, "đi", "other")]) == []
    text = "toi la con cua ba ay"
    assert [(e["entity"], e["value"]) for e in with_fallbacks(text, [entity("relation", text, "ba", "father")])] == [
        ("relation", "child")
    ]
    text = "mẹ tôi khuyết tật"  # context-only words are not a fallback, and a found relation is kept
    kept = [entity("relation", text, "mẹ", "mother")]
    assert with_fallbacks(text, kept) == kept


def test_canonical_values_of_the_interview_entities() -> None:
    component = EntityCanonicalizer(None, None, {})  # type: ignore[arg-type]
    assert component.canonical("beneficiary_group", "than nhan liet si", "x") == "martyr_family"
    assert component.canonical("relation", "Bầm", "x") == "mother"
    assert component.canonical("household_type", "hông thuộc hộ nghèo", "x") == "none"
    assert component.canonical("relation", "ai đó", "ai đó") == "ai đó"
