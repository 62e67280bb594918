"""The domain, rules and actions agree with each other (what `rasa data validate` cannot see)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _domain() -> dict:
    """The domain/ folder merged as Rasa merges it: every section's entries from every file."""
    merged: dict = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        for key, value in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(value)
    return merged


DOMAIN = _domain()
ACTION_SOURCES = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "actions").rglob("*.py"))
RULE_SOURCES = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "data").rglob("*.yml"))


def test_responses_named_by_actions_exist() -> None:
    named = set(re.findall(r'response="(utter_[\w/]+)"', ACTION_SOURCES))
    assert named, "actions name no responses: the pattern is out of date"
    assert named <= set(DOMAIN["responses"])


def test_every_response_is_used() -> None:
    used_implicitly = {f"utter_ask_{slot}" for form in DOMAIN["forms"].values() for slot in form["required_slots"]}
    used_implicitly.add("utter_restart")  # uttered by Rasa's own action_restart
    unused = {
        name
        for name in DOMAIN["responses"]
        if name not in used_implicitly
        and not name.startswith("utter_faq/")
        and f'"{name}"' not in ACTION_SOURCES
        and not re.search(rf"action: {re.escape(name)}\b", RULE_SOURCES)
    }
    assert not unused


def test_buttons_are_short_ascii_and_at_most_four() -> None:
    for name, variants in DOMAIN["responses"].items():
        for variant in variants:
            buttons = variant.get("buttons", [])
            assert len(buttons) <= 4, name
            for button in buttons:
                assert button["payload"].isascii() and len(button["payload"].encode()) <= 64, name


def test_bot_never_asks_for_secrets() -> None:
    asking = re.compile(r"(cho|gửi|nhập|đọc)\s+(cháu\s+)?(mã OTP|mật khẩu|passcode)", re.IGNORECASE)
    texts = [v.get("text", "") for variants in DOMAIN["responses"].values() for v in variants]
    assert not [text for text in texts if asking.search(text)]
    assert any("không bao giờ hỏi mã OTP" in text for text in texts)


def test_held_out_nlu_examples_are_not_in_the_training_data() -> None:
    from tests.nlu_data import examples

    training: dict[str, str] = {}
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for text, intent in examples(path).items():
            assert training.setdefault(text, intent) == intent, f"{text!r} is both {training[text]} and {intent}"
    held_out = examples(ROOT / "tests" / "nlu" / "test_nlu.yml")
    shared = set(held_out) & set(training)
    # Count only: printing the texts would show the held-out set to whoever edits training data.
    assert not shared, f"{len(shared)} held-out examples are also training examples; remove them from data/nlu"


def test_lookup_tables_are_generated_from_the_provider_list() -> None:
    from bot.nlu.lookups import TARGET, render

    assert TARGET.read_text(encoding="utf-8") == render(), "run `make lookups` after editing providers.yaml"


def test_every_faq_answer_offers_a_next_step() -> None:
    faq = {name: variants for name, variants in DOMAIN["responses"].items() if name.startswith("utter_faq/")}
    assert len(faq) >= 8  # PRODUCT.md §4's eight, and more (no VNeID, e-wallets, hưu trí xã hội)
    assert all(variant.get("buttons") for variants in faq.values() for variant in variants)
