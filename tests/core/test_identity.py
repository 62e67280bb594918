"""CCCD structure, phone numbers, names and masking."""

import pytest

from core.identity import check_cccd
from core.masking import mask
from core.phones import normalise_phone
from core.text import fold_words


@pytest.mark.parametrize(
    ("number", "birth_year", "problem", "gender"),
    [
        ("001058012345", 1958, None, "M"),  # Hà Nội, nam, thế kỷ 20
        ("079301004567", 2001, None, "F"),  # TP HCM, nữ, thế kỷ 21
        ("079 301 004 567", None, None, "F"),  # spaces are tolerated
        ("001158012345", 1959, "birth_year_mismatch", "F"),  # nữ 1958, not 1959
        ("003158012345", None, "unknown_province", None),  # 003 is no province code
        ("00115801234", None, "not_12_digits", None),
        ("0011580123456", None, "not_12_digits", None),
        ("abcdefghijkl", None, "not_12_digits", None),
        ("123456789", None, "old_cmnd", None),
        ("", None, "not_12_digits", None),
    ],
)
def test_cccd_structure(number: str, birth_year: int | None, problem: str | None, gender: str | None) -> None:
    check = check_cccd(number, birth_year)
    assert check.problem == problem
    if gender:
        assert check.gender == gender


@pytest.mark.parametrize(
    ("typed", "national", "carrier"),
    [
        ("0912345678", "0912345678", "Vinaphone"),
        ("0912 345 678", "0912345678", "Vinaphone"),
        ("+84912345678", "0912345678", "Vinaphone"),
        ("84 98 123 4567", "0981234567", "Viettel"),
        ("01662345678", "0362345678", "Viettel"),  # old 11-digit Viettel prefix 0166 -> 036
        ("01212345678", "0792345678", "MobiFone"),  # 0121 -> 079
        ("0901234567", "0901234567", "MobiFone"),
    ],
)
def test_phone_numbers(typed: str, national: str, carrier: str) -> None:
    phone = normalise_phone(typed)
    assert phone is not None and phone.national == national and phone.carrier == carrier


@pytest.mark.parametrize("typed", ["", "123", "0241234567", "09123456789", "abc"])
def test_not_mobile_numbers(typed: str) -> None:
    assert normalise_phone(typed) is None


def test_names_compare_without_case_or_diacritics() -> None:
    assert fold_words("Nguyễn Thị Đào") == fold_words("NGUYEN THI DAO") == "nguyen thi dao"
    assert fold_words("  Trần   Văn  An ") == "tran van an"
    assert fold_words("Trần Văn An") != fold_words("Trần Văn Anh")


def test_mask_keeps_last_four() -> None:
    assert mask("079301004567") == "********4567"
    assert mask("0912 345 678") == "******5678"
    assert mask("123") == "***"
    assert mask(None) == ""


@pytest.mark.parametrize(
    ("text", "born"),
    [("12/3/1941", "1941-03-12"), ("sai ngày sinh, đúng là 01-01-1979", "1979-01-01"), ("1.1.1979", "1979-01-01"),
     ("sinh ngày 1 tháng 1 năm 1979", "1979-01-01"), ("ngay sinh 01/01/79", "1979-01-01"), ("12 3 1941", "1941-03-12"),
     ("1941-03-12", "1941-03-12"), ("5/6/20", "2020-06-05"),
     ("tháng 12/2025", None), ("080041100001", None), ("12/13/1941", None), ("1/1/1979 hay 2/1/1979", None),
     ("5/12/2026", None)],  # the last one is after "today"
)  # fmt: skip
def test_a_birth_date_is_found_inside_a_sentence_and_two_are_none(text: str, born: str | None) -> None:
    from datetime import date

    from core.identity import parse_birth_date

    found = parse_birth_date(text, date(2026, 12, 2))
    assert (found.isoformat() if found else None) == born
