"""A `cancel` without a word of cancelling is not believed (bot/nlu/linear.py require_cues)."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.linear import require_cues


def _message(text: str, ranking: list[tuple[str, float]]) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": ranking[0][0], "confidence": ranking[0][1]})
    message.set("intent_ranking", [{"name": n, "confidence": c} for n, c in ranking])
    return message


def test_a_name_that_came_out_as_cancel_is_the_next_meaning_renormalised() -> None:
    message = _message("Nghiem Thi Lua Lua", [("cancel", 0.5), ("inform", 0.26), ("logout", 0.05)])
    require_cues(message)
    assert message.get("intent")["name"] == "inform"
    assert message.get("intent")["confidence"] == pytest.approx(0.52)
    assert [r["name"] for r in message.get("intent_ranking")] == ["inform", "logout", "cancel"]


@pytest.mark.parametrize("text", ["thôi", "thoi khong lam nua", "dừng lại", "hủy", "dẹp đi", "ko cần nữa", "bỏ qua"])
def test_a_cancel_said_in_words_stays(text: str) -> None:
    message = _message(text, [("cancel", 0.9), ("deny", 0.05)])
    require_cues(message)
    assert message.get("intent")["name"] == "cancel"


def test_other_intents_are_untouched() -> None:
    message = _message("Nghiem Thi Lua", [("inform", 0.6), ("cancel", 0.3)])
    require_cues(message)
    assert message.get("intent") == {"name": "inform", "confidence": 0.6}


def test_a_merit_relative_is_no_question_about_the_bot() -> None:
    message = _message("ba tôi là người có công", [("bot_challenge", 0.73), ("check_eligibility", 0.17), ("faq", 0.06)])
    require_cues(message)
    assert message.get("intent")["name"] == "check_eligibility"


@pytest.mark.parametrize(
    "text", ["cháu là người thật hay máy", "chat voi may a", "bạn là chatgpt à", "có phải robot không"]
)
def test_a_question_about_the_bot_stays(text: str) -> None:
    message = _message(text, [("bot_challenge", 0.8), ("greet", 0.1)])
    require_cues(message)
    assert message.get("intent")["name"] == "bot_challenge"
