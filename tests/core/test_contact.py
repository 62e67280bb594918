"""Where a person reaches a human: the web chat's first screen reads it from core/rules/contacts.yaml."""

from core.contact import IN_CHAT, contact_lines, contacts


def test_the_first_screen_says_the_hotlines_and_the_commune_office_of_the_data() -> None:
    data, shown = contacts(), contact_lines()
    text = "\n".join(shown["lines"])
    for hotline in data.get("hotlines") or []:
        assert hotline["number"] in text and hotline["name"] in text
    assert data["office"]["name"][1:] in text and data["office"]["hours"] in text
    assert shown["lines"][-1] == IN_CHAT


def test_hotlines_come_first_with_their_hours_and_the_first_number_is_to_call() -> None:
    data = {"hotlines": [{"name": "Tổng đài", "number": "1900 0000", "hours": "mọi ngày"},
                         {"name": "Không số", "number": None}],
            "office": {"name": "cán bộ ở UBND xã", "hours": "giờ hành chính"}}  # fmt: skip
    assert contact_lines(data) == {
        "title": "Cần gặp người?",
        "lines": ["Tổng đài: 1900 0000 (mọi ngày).", "Cán bộ ở UBND xã, giờ hành chính.", IN_CHAT],
        "phone": "1900 0000",
        "phone_name": "Tổng đài",
    }
    assert contact_lines({})["phone"] is None and contact_lines({})["lines"] == [IN_CHAT]
