"""The patches of Rasa's internals: still fitting the pinned Rasa, and not loosening what Rasa checks."""

from __future__ import annotations

import sys
from typing import Any, Iterator

import jsonschema
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_patches, rasa_server

ORIGINAL = RemoteAction._validate_action_result

VALID = [
    {},
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "bank", "value": "VCB"}], "responses": [{"text": "Dạ"}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "followup", "name": "action_listen"}]},
]
INVALID = [
    {"events": [{"event": "nonsense"}]},
    {"events": [{"event": "slot", "value": "VCB"}]},  # a slot event without a name
    {"events": {"event": "slot"}},  # not a list
    {"responses": ["a text, not an object"]},
    ["not", "an", "object"],
]


@pytest.fixture
def patched(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The patches applied for one test; Rasa as shipped again afterwards."""
    monkeypatch.setattr(RemoteAction, "_validate_action_result", ORIGINAL)
    rasa_patches.apply()
    yield
    rasa_patches.unpatch()


def messages_of(validate: Any, response: Any) -> str:
    with pytest.raises(ValidationError) as raised:
        validate(RemoteAction("action_x", None), response)
    return raised.value.message


def test_the_replaced_function_is_the_one_the_patch_was_written_for() -> None:
    # Fails when the pinned Rasa changes underneath the patch: read its new code, then update the hash.
    assert rasa_patches.source_sha256(ORIGINAL) == rasa_patches.VALIDATE_ACTION_RESULT_SHA256


@pytest.mark.parametrize(
    "pinned, owner, name",
    [("VALIDATE_ACTION_RESULT_SHA256", RemoteAction, "_validate_action_result"),
     ("ENDPOINT_SESSION_SHA256", EndpointConfig, "session")],
)  # fmt: skip
def test_a_changed_rasa_is_refused_not_patched(
    monkeypatch: pytest.MonkeyPatch, pinned: str, owner: Any, name: str
) -> None:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", ORIGINAL)
    before = getattr(owner, name)
    monkeypatch.setattr(rasa_patches, pinned, "0" * 64)
    try:
        with pytest.raises(rasa_patches.RasaChanged):
            rasa_patches.apply()
        assert getattr(owner, name) is before
    finally:
        rasa_patches.unpatch()


@pytest.mark.parametrize("response", INVALID)
def test_invalid_action_responses_are_still_refused_with_the_same_message(patched: None, response: Any) -> None:
    assert RemoteAction._validate_action_result is not ORIGINAL
    assert messages_of(RemoteAction._validate_action_result, response) == messages_of(ORIGINAL, response)
    assert "Failed to validate Action server response" in messages_of(RemoteAction._validate_action_result, response)


@pytest.mark.parametrize("response", VALID)
def test_valid_action_responses_pass(patched: None, response: Any) -> None:
    assert ORIGINAL(RemoteAction("action_x", None), response) is True
    assert RemoteAction("action_x", None)._validate_action_result(response) is True


def test_the_schema_is_checked_once_not_on_every_response(monkeypatch: pytest.MonkeyPatch) -> None:
    checks: list[Any] = []
    validator_class = jsonschema.validators.validator_for(RemoteAction.action_response_format_spec())
    real_check = validator_class.check_schema
    monkeypatch.setattr(validator_class, "check_schema", classmethod(lambda cls, s: checks.append(s) or real_check(s)))
    monkeypatch.setattr(RemoteAction, "_validate_action_result", ORIGINAL)
    ORIGINAL(RemoteAction("action_x", None), VALID[2])
    assert len(checks) == 1  # Rasa as shipped: one meta-schema check per response
    rasa_patches.apply()
    try:
        for _ in range(20):
            RemoteAction("action_x", None)._validate_action_result(VALID[2])
    finally:
        rasa_patches.unpatch()
    assert len(checks) == 2  # patched: the one made when the validator was built


def test_the_rasa_entry_module_applies_the_patches(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", ORIGINAL)
    monkeypatch.setattr(sys, "argv", ["rasa", "--version"])
    try:
        rasa_server.main()
        assert "Rasa Version" in capsys.readouterr().out
        assert getattr(RemoteAction._validate_action_result, rasa_patches.PATCHED_MARK, False)
        assert getattr(Domain.states_for_tracker_history, rasa_patches.PATCHED_MARK, False)
        assert getattr(RulePolicy._find_action_from_rules, rasa_patches.PATCHED_MARK, False)
        assert getattr(EndpointConfig.session, rasa_patches.PATCHED_MARK, False)
    finally:
        rasa_patches.unpatch()


def test_the_runtime_starts_rasa_through_the_entry_module() -> None:
    from pathlib import Path

    source = (Path(rasa_patches.__file__).parent / "runtime.py").read_text(encoding="utf-8")
    assert '"-m", "bot.rasa_server", "run"' in source and '"-m", "rasa", "run"' not in source
