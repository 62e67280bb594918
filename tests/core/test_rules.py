"""Amounts from the law (DOMAIN.md §1–3), as a table of legal cases."""

from datetime import date

import pytest

from core.rules import UnknownBenefit, load_rules

BEFORE = date(2024, 6, 30)  # last day of the 360.000 đ standard
AFTER = date(2024, 7, 1)  # first day of the 500.000 đ standard (NĐ 76/2024)


@pytest.mark.parametrize(
    ("case", "key", "day", "amount"),
    [
        ("k1 trẻ em dưới 4 tuổi, hệ số 2,5", "btxh_k1_under4", AFTER, 1_250_000),
        ("k1 trẻ em dưới 4 tuổi trước 7/2024", "btxh_k1_under4", BEFORE, 900_000),
        ("k1 trẻ em từ đủ 4 tuổi, hệ số 1,5", "btxh_k1_4plus", AFTER, 750_000),
        ("k3 trẻ nhiễm HIV 4–16 tuổi, hệ số 2,0", "btxh_k3_4plus", BEFORE, 720_000),
        ("k4 đơn thân nghèo, mỗi con 1,0", "btxh_k4", AFTER, 500_000),
        ("k5a 60–79 tuổi hộ nghèo, 1,5", "btxh_k5a_60_79", AFTER, 750_000),
        ("k5a từ đủ 80 tuổi hộ nghèo, 2,0", "btxh_k5a_80", BEFORE, 720_000),
        ("k5c từ đủ 80 tuổi không lương hưu, 1,0", "btxh_k5c", AFTER, 500_000),
        ("k5c trước 7/2024", "btxh_k5c", BEFORE, 360_000),
        ("k5d nhận chăm sóc tại cộng đồng, 3,0", "btxh_k5d", AFTER, 1_500_000),
        ("k6 đặc biệt nặng, 2,0", "btxh_k6_especially_severe", AFTER, 1_000_000),
        ("k6 đặc biệt nặng trẻ em/người cao tuổi, 2,5", "btxh_k6_especially_severe_child_elderly", AFTER, 1_250_000),
        ("k6 nặng, 1,5", "btxh_k6_severe", BEFORE, 540_000),
        ("k7 trẻ dưới 3 tuổi vùng khó khăn, 1,5", "btxh_k7", AFTER, 750_000),
        ("hưu trí xã hội từ 7/2025", "htxh", date(2025, 7, 1), 500_000),
        ("thân nhân 01 liệt sĩ = 1,0 × 2.789.000", "ncc_martyr_family_1", AFTER, 2_789_000),
        ("thân nhân 01 liệt sĩ 7/2023–6/2024", "ncc_martyr_family_1", BEFORE, 2_055_000),
        ("thương binh 61% từ 7/2024", "ncc_war_invalid_61", AFTER, 5_450_000),
        ("thương binh 21% 7/2021–6/2023", "ncc_war_invalid_21", date(2022, 1, 1), 1_094_000),
        ("Bà mẹ VNAH trợ cấp + phụ cấp", "ncc_heroic_mother", AFTER, 10_704_000),
    ],
)
def test_monthly_amount(case: str, key: str, day: date, amount: int) -> None:
    assert load_rules().amount(key, day).amount_vnd == amount, case


def test_standard_changes_on_the_first_of_july_2024() -> None:
    rules = load_rules()
    assert rules.standard_on("social_assistance", BEFORE).amount == 360_000
    assert rules.standard_on("social_assistance", AFTER).amount == 500_000


def test_social_pension_did_not_exist_before_july_2025() -> None:
    with pytest.raises(UnknownBenefit):
        load_rules().amount("htxh", date(2025, 6, 30))
    assert "htxh" not in [b.key for b in load_rules().for_topic("elderly", date(2025, 6, 30))]


def test_unconfirmed_benefit_is_marked_so() -> None:
    assert load_rules().amount("htxh", AFTER.replace(year=2026)).confirmed is False
    assert load_rules().amount("btxh_k5c", AFTER).confirmed is True


def test_a_higher_local_standard_raises_but_never_lowers() -> None:
    rules = load_rules()
    assert rules.amount("btxh_k5c", AFTER, local_standard_vnd=600_000).amount_vnd == 600_000
    assert rules.amount("btxh_k6_severe", AFTER, local_standard_vnd=400_000).amount_vnd == 750_000
    # The local standard is for social assistance only, not for người có công.
    assert rules.amount("ncc_martyr_family_1", AFTER, local_standard_vnd=9_000_000).amount_vnd == 2_789_000


def test_topic_filters_by_disability_level() -> None:
    found = load_rules().for_topic("disability", AFTER, disability_level="severe")
    assert {b.key for b in found} == {"btxh_k6_severe", "btxh_k6_severe_child_elderly"}


def test_every_topic_names_known_benefits() -> None:
    rules = load_rules()
    for topic in rules.topics:
        assert rules.for_topic(topic, date(2026, 1, 1)), topic
