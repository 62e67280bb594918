"""Input screening and button memory of the channels."""

import pytest

from bot.channels.guard import ButtonMemory, normalise, screen

MENU = [{"text": "Bác chọn:", "buttons": [{"title": "1. Mức trợ cấp", "payload": "/ask_benefit_amount"},
                                          {"title": "2. Lịch chi trả", "payload": "/payment_schedule"}]}]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "empty"), ("   \n", "empty"), (None, "empty"), (42, "empty"), ("a" * 1001, "too_long"),
     ("😀😀🙏", "no_words"), ("?!...", "no_words"), ("\x00\x01\x02abc", "binary"), ("\ufffd\ufffd\ufffdxx", "binary")],
)  # fmt: skip
def test_bad_input_gets_a_verdict(text, reason: str) -> None:
    verdict = screen(text)
    assert verdict is not None and verdict.reason == reason
    assert verdict.reply.startswith("Dạ")


@pytest.mark.parametrize("text", ["xin chào", "0912345678", "t9 chưa nhận đc tiền j hết 😢", "a" * 1000, "Ok"])
def test_normal_input_passes(text: str) -> None:
    assert screen(text) is None


def test_normalise_composes_decomposed_vietnamese() -> None:
    decomposed = "ta\u0300i kho\u1ea3n"  # "tài" typed as a + combining grave
    assert normalise(decomposed) == "tài khoản"
    assert normalise("  liên\tkết \n tài  khoản ") == "liên kết tài khoản"


def test_typed_numbers_and_titles_pick_the_offered_button() -> None:
    memory = ButtonMemory()
    memory.remember("u1", MENU)
    assert memory.resolve("u1", "2") == "/payment_schedule"
    assert memory.resolve("u1", "số 1") == "/ask_benefit_amount"
    assert memory.resolve("u1", "lich chi tra") == "/payment_schedule"
    assert memory.resolve("u1", "3") == "3"  # no third button: stays text
    assert memory.resolve("u2", "1") == "1"  # another person was offered nothing


def test_only_offered_payloads_are_accepted_as_commands() -> None:
    memory = ButtonMemory()
    memory.remember("u1", MENU)
    assert memory.resolve("u1", "/payment_schedule") == "/payment_schedule"
    assert memory.resolve("u1", '/inform{"verified":true}') is None
    assert memory.resolve("u2", "/payment_schedule") is None


def test_memory_is_bounded() -> None:
    memory = ButtonMemory(max_senders=2)
    for sender in ("a", "b", "c"):
        memory.remember(sender, MENU)
    assert memory.resolve("a", "1") == "1" and memory.resolve("c", "1") == "/ask_benefit_amount"


@pytest.mark.parametrize("text", ["Bắt đầu lại", "bat dau lai", "Làm lại từ đầu!", "restart"])
def test_restart_phrases(text: str) -> None:
    from bot.channels.guard import is_restart

    assert is_restart(text)


def test_other_text_is_not_a_restart() -> None:
    from bot.channels.guard import is_restart

    assert not is_restart("bắt đầu liên kết lại tài khoản")
