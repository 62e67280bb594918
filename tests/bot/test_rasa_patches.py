"""The patches of Rasa's internals: still fitting the pinned Rasa, not loosening what Rasa checks, and
not hiding from the actions what they read (the event window)."""

from __future__ import annotations

import json
import sys
from typing import Any, Iterator

import jsonschema
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk import Tracker

from actions import benefits, fallback, handoff
from bot import rasa_patches, rasa_server
from tests.bot.conftest import session_start
from tests.bot.test_rasa_states import long_conversation

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
        assert getattr(RemoteAction._action_call_format, rasa_patches.PATCHED_MARK, False)
    finally:
        rasa_patches.unpatch()


def test_the_runtime_starts_rasa_through_the_entry_module() -> None:
    from pathlib import Path

    source = (Path(rasa_patches.__file__).parent / "runtime.py").read_text(encoding="utf-8")
    assert '"-m", "bot.rasa_server", "run"' in source and '"-m", "rasa", "run"' not in source


def test_the_rasa_server_runs_without_jax() -> None:
    import subprocess

    from core.settings import ROOT

    code = (
        "import sys; from bot.rasa_server import keep_out_unused_packages; keep_out_unused_packages(); "
        "import rasa.engine.recipes.default_components; from tensorflow.lite.python import util; "
        "print(sys.modules['jax'] is None, util._xla_computation is None, 'jaxlib' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.stdout.split()[-3:] == ["True", "True", "False"], done.stderr[-2000:]


# ---- the event window of action calls -------------------------------------------------------------------


def test_the_functions_the_event_window_relies_on_are_the_ones_it_was_written_for() -> None:
    assert rasa_patches.changed_sources(rasa_patches.EVENT_WINDOW_SOURCES_SHA256) == []


def test_a_changed_call_format_is_refused_not_patched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", ORIGINAL)
    before = RemoteAction._action_call_format
    digests = dict(rasa_patches.EVENT_WINDOW_SOURCES_SHA256)
    digests[next(iter(digests))] = "0" * 64
    monkeypatch.setattr(rasa_patches, "EVENT_WINDOW_SOURCES_SHA256", digests)
    try:
        with pytest.raises(rasa_patches.RasaChanged):
            rasa_patches.apply()
        assert RemoteAction._action_call_format is before
    finally:
        rasa_patches.unpatch()


def sdk_tracker(body: dict[str, Any]) -> Tracker:
    """The tracker the action server builds from what Rasa posted."""
    return Tracker.from_dict(json.loads(json.dumps(body["tracker"])))


async def what_actions_read(tracker: Tracker) -> dict[str, Any]:
    """Everything the action server reads from past events (see patch 5 in bot/rasa_patches.py)."""
    return {
        "handoff summary": await handoff.summary_of(tracker, None),
        "clarified_just_before": fallback.clarified_just_before(tracker),
        "previous_intent": fallback.previous_intent(tracker),
        "answered_this_turn": fallback.answered_this_turn(tracker),
        "benefits said": benefits._said(tracker),
        "slots_to_validate": tracker.slots_to_validate(),
        "latest_input_channel": tracker.get_latest_input_channel(),
        "rest of the state": {k: v for k, v in tracker.current_state().items() if k != "events"},
    }


def bodies(domain: Domain, events: list[Event]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What Rasa as shipped and the patched Rasa post for `events` (selective domain off: both send it)."""
    tracker = DialogueStateTracker.from_events("window", events, domain.slots)
    whole = ORIGINAL_CALL_FORMAT(RemoteAction("action_x", None), tracker, domain)
    rasa_patches.apply()
    try:
        windowed = RemoteAction("action_x", None)._action_call_format(tracker, domain)
    finally:
        rasa_patches.unpatch()
    return whole, windowed


ORIGINAL_CALL_FORMAT = RemoteAction._action_call_format


async def test_actions_read_the_same_from_the_window_as_from_the_whole_session(
    domain: Domain, stories: list[tuple[str, list[Event]]]
) -> None:
    # Fails when an action (or rasa_sdk) reads further back than EVENT_WINDOW user messages.
    events = long_conversation(stories, 1)
    turns = [index + 1 for index, event in enumerate(events) if isinstance(event, (UserUttered, ActionExecuted))]
    assert sum(isinstance(event, UserUttered) for event in events) > 3 * rasa_patches.EVENT_WINDOW
    shorter = 0
    for end in turns[:: max(1, len(turns) // 150)]:
        whole, windowed = bodies(domain, events[:end])
        assert {**windowed, "tracker": None} == {**whole, "tracker": None}
        full, window = sdk_tracker(whole), sdk_tracker(windowed)
        assert await what_actions_read(window) == await what_actions_read(full), f"after event {end}"
        shorter += len(window.events) < len(full.events)
    assert shorter > 10


async def test_the_handoff_summary_keeps_its_five_intents_after_thirty_turns(domain: Domain) -> None:
    intents = ["greet", "check_payment", "payment_schedule", "link_account", "ask_benefit_amount", "deny"]
    events = session_start()
    for turn in range(30):
        name = intents[turn % len(intents)]
        events += [UserUttered(f"tin nhắn {turn}", {"name": name, "confidence": 0.9}),
                   ActionExecuted("utter_help"), ActionExecuted("action_listen")]  # fmt: skip
    whole, windowed = bodies(domain, events)
    summary = await handoff.summary_of(sdk_tracker(windowed), None)
    last_five = [intents[turn % len(intents)] for turn in range(25, 30)]
    assert summary["last_intents"] == [{"intent": name, "confidence": 0.9} for name in last_five]
    assert summary == await handoff.summary_of(sdk_tracker(whole), None)
    assert len(windowed["tracker"]["events"]) == 3 * rasa_patches.EVENT_WINDOW  # from the 10th last message on


def test_the_window_starts_at_the_kth_last_user_message() -> None:
    said = [UserUttered(str(n)) for n in range(4)]
    events: list[Event] = [ActionExecuted("action_listen"), said[0], ActionExecuted("a"), said[1], said[2], said[3]]
    assert rasa_patches.event_window(events, 2) == [said[2], said[3]]
    assert rasa_patches.event_window(events, 4) == events[1:]
    assert rasa_patches.event_window(events, 9) == events
