"""Where a person reaches a human: the web chat's first screen reads it from core/rules/contact.yaml."""

from core.contact import contact, contact_lines


def test_the_data_names_the_commune_office_and_shows_no_unconfirmed_number() -> None:
    data = contact()
    shown = contact_lines()
    assert data["office"]["label"] in "\n".join(shown["lines"])
    assert data["in_chat"] in shown["lines"]
    if not data["hotline"]["number"]:
        assert shown["phone"] is None and not any(ch.isdigit() for ch in "".join(shown["lines"]))


def test_a_confirmed_hotline_comes_first_with_its_hours() -> None:
    data = {"hotline": {"label": "Tổng đài", "number": "1900 0000", "hours": "7:30–17:00"},
            "office": {"label": "UBND xã", "hours": "giờ hành chính"}, "in_chat": "Nhắn ạ."}  # fmt: skip
    assert contact_lines(data) == {
        "title": "Cần gặp người?",
        "lines": ["Tổng đài: 1900 0000 (7:30–17:00)", "UBND xã (giờ hành chính).", "Nhắn ạ."],
        "phone": "1900 0000",
    }
