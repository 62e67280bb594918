"""The conversation set itself: well formed, big enough, every category in both parts, and the
held-out part disjoint in sentences from the rest (issue 13 §1)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from core.text import fold_words
from tests.dialogue.conversations import CATEGORIES, Conversation, fill_all, load_all

CONVERSATIONS = load_all()
SET = [c for c in CONVERSATIONS if c.part == "set"]
HELD_OUT = [c for c in CONVERSATIONS if c.part == "heldout"]


def test_every_conversation_is_well_formed() -> None:
    problems = {c.id: c.problems for c in CONVERSATIONS if c.problems}
    assert not problems


def test_ids_are_unique() -> None:
    assert [i for i, n in Counter(c.id for c in CONVERSATIONS).items() if n > 1] == []


def test_at_least_150_conversations_with_40_held_out() -> None:
    assert len(CONVERSATIONS) >= 150 and len(HELD_OUT) >= 40


def test_every_category_is_in_the_set_and_the_held_out_part() -> None:
    assert {c.category for c in SET} == set(CATEGORIES)
    assert {c.category for c in HELD_OUT} == set(CATEGORIES)


def test_who_is_typing_covers_elderly_relatives_and_agents() -> None:
    for part in (SET, HELD_OUT):
        assert {c.who for c in part} == {"elderly", "relative", "agent"}


def sentences(conversations: list[Conversation]) -> set[str]:
    """What people type, folded, placeholders filled; short replies ("1", "xong", "đồng ý") left out,
    since any conversation may need them."""
    today = date(2026, 12, 1)
    typed = (fill_all(text, c.values(today)) for c in conversations for text in c.user_texts())
    return {fold_words(text) for text in typed if len(text.split()) >= 3}


def test_held_out_sentences_never_appear_in_the_set() -> None:
    assert sentences(SET) & sentences(HELD_OUT) == set()


def test_placeholders_resolve_for_every_conversation() -> None:
    for conversation in CONVERSATIONS:
        fill_all(conversation.turns, conversation.values(date(2026, 1, 15)))  # raises on an unknown {name}


def test_issue_examples_are_used_only_a_few_times() -> None:
    """The issues' own example sentences may open a few conversations, not many (the product will be
    tested with phrasings nobody has seen)."""
    examples = {
        fold_words(s)
        for s in (
            "tien thang nay",
            "ba e 81t ko co luong huu thi dc nhan j, bn tien",
            "75 tuoi dc huong gi",
            "tôi bị khuyết tật",
            "con tôi bị bại não",
            "ba toi la thuong binh",
            "tro cap huu tri xa hoi la gi",
            "lịch chi trả xã Tân Phú",
            "tháng này đã có tiền chưa",
            "con thang truoc thi sao",
            "toi ko co vneid",
            "bố tôi là thương binh 61%, 80 tuổi",
        )
    }
    used = [text for c in CONVERSATIONS for text in c.user_texts() if fold_words(text) in examples]
    assert len(used) <= 15
    assert not set(map(fold_words, (t for c in HELD_OUT for t in c.user_texts()))) & examples
