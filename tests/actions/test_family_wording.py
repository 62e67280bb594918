"""How the family-helper replies name people, as tables (actions/family.py, bot/notifier.py)."""

from __future__ import annotations

import pytest

from actions.family import GRANTING, HELPER_IS, NAMED_HELPER, OWN, may_be_owner, relation_of, who
from bot.notifier import compose
from clients import Person
from core.text import fold_words


@pytest.mark.parametrize(
    ("relation", "prompt"),
    [("mother", "mẹ Bác"), ("father", "bố Bác"), ("grandmother", "bà Bác"), ("other", "người thân của Bác"),
     (None, "người thân của Bác")],
)  # fmt: skip
def test_prompts_name_the_helped_person_from_the_helpers_side(relation: str | None, prompt: str) -> None:
    assert who(relation) == prompt


@pytest.mark.parametrize(
    ("typed", "relation"),
    [("má", "mother"), ("Mẹ tôi", "mother"), ("ba", "father"), ("bà", "grandmother"), ("bà nội", "grandmother"),
     ("ông ngoại", "grandfather"),
     ("hàng xóm", None), ("khách hàng", None)],
)  # fmt: skip
def test_a_relation_typed_in_words(typed: str, relation: str | None) -> None:
    assert relation_of(typed) == relation


@pytest.mark.parametrize(
    ("text", "own"),
    [("của tôi", True), ("xem của mình thôi", True), ("cua toi", True), ("của mẹ", False),
     ("tôi muốn xem của mẹ", False)],
)  # fmt: skip
def test_own_data_is_said_with_cua_toi(text: str, own: bool) -> None:
    assert bool(OWN.search(fold_words(text))) is own


def test_the_beneficiary_names_a_helper_the_other_way_round() -> None:
    # "con tôi" is the helper who asked for "mẹ"/"bố"; the mother sees him as "con".
    assert {"mother", "father"} <= NAMED_HELPER["child"] and HELPER_IS["mother"] == "con"
    assert all(HELPER_IS[relation] for relations in NAMED_HELPER.values() for relation in relations)


def test_a_helpers_payment_message_names_the_beneficiary() -> None:
    note = {"program": "BTXH", "period": "2026-11", "amount_vnd": 500000, "status": "paid"}
    assert "Bác" in compose(note) and "Bà" not in compose(note)
    helped = compose({**note, "for_name": "Bà Trần Thị Bình"})
    assert helped.startswith("Dạ, Bà Trần Thị Bình: Tiền trợ cấp xã hội tháng 11/2026 500.000")
    assert "Bà Trần Thị Bình" in compose({**note, "status": "failed", "for_name": "Bà Trần Thị Bình"})


@pytest.mark.parametrize(
    ("text", "granting"),
    [("bác già yếu rồi, muốn ủy quyền cho con trai nhận tiền thay thì làm thế nào", True),
     ("tôi muốn cho con tôi xem tiền thay", True), ("tôi muốn xem tiền của mẹ tôi", False),
     ("tôi được mẹ ủy quyền, giờ muốn làm thay bà ấy", False)],
)  # fmt: skip
def test_a_beneficiary_asking_how_to_authorise_is_told_not_asked_for_details(text: str, granting: bool) -> None:
    assert bool(GRANTING.search(fold_words(text))) is granting


def _person(gender: str, group: str) -> Person:
    return Person(1, "Phan Thị Vân", "Phường Hải Châu", "Đà Nẵng", group, "0020", gender=gender)


@pytest.mark.parametrize(
    ("gender", "group", "relation", "helping", "owner"),
    [("F", "NCC", "mother", False, True), ("M", "BTXH_K5C", "father", False, True),
     ("F", "HTXH", "grandmother", False, True),
     ("M", "NCC", "mother", False, False),  # "mẹ em" in a man's session: someone else
     ("M", "NONE", "father", False, False),  # a relative verified as himself, receiving nothing
     ("F", "BTXH_K1", "mother", False, False),  # a child's own allowance
     ("F", "NCC", "mother", True, False),  # helps someone: the authorisation decides
     ("", "NCC", "mother", False, False)],
)  # fmt: skip
def test_a_relative_typing_in_the_parents_session_is_not_taken_for_a_helper(
    gender: str, group: str, relation: str, helping: bool, owner: bool
) -> None:
    others = [_person("F", "NCC")] if helping else []
    assert may_be_owner(_person(gender, group), relation, others) is owner
