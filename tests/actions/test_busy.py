"""One "service busy" answer for every action, validator and helper, with the services down for real
(nothing listens on their port): the user hears utter_service_busy once, and what was typed stays."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.accounts import ValidateLinkForm
from actions.common.busy import answers_busy
from actions.common.gate import verified_person
from actions.family import ActionRequestHelp, ValidateHelperForm
from actions.identity import ActionVerifyIdentity, ValidateIdentityForm
from actions.notifications import ActionUnsubscribeNotifications
from clients import Refused, ServiceUnavailable

CCCD = "001190012345"  # made up, well formed (Hà Nội, a man born in 1990)


def tracker(text: str = "", **slots: Any) -> Tracker:
    return Tracker.from_dict(
        {"sender_id": "rest:busy", "slots": slots, "events": [],
         "latest_message": {"text": text, "intent": {}, "entities": []}}
    )  # fmt: skip


def busy_only(dispatcher: CollectingDispatcher) -> bool:
    return [m.get("response") for m in dispatcher.messages] == ["utter_service_busy"]


@pytest.mark.parametrize(
    ("validator", "slot", "value", "kept"),
    [
        (ValidateIdentityForm().validate_cccd_token, "cccd_token", CCCD, {"cccd_token": None}),
        (ValidateIdentityForm().validate_consent, "consent", True, {"consent": None}),
        (ValidateHelperForm().validate_helped_cccd_token, "helped_cccd_token", CCCD, {"helped_cccd_token": None}),
        (ValidateLinkForm().validate_account_token, "account_token", "0123456789", {"account_token": None}),
    ],
)
async def test_a_validator_asks_again_when_the_vault_is_down(services_down, validator, slot, value, kept) -> None:
    dispatcher = CollectingDispatcher()
    answer = await validator(value, dispatcher, tracker(str(value), provider="AGRIBANK"), {})
    assert answer == kept and busy_only(dispatcher)


async def test_a_helper_returns_its_own_fallback(services_down) -> None:
    dispatcher = CollectingDispatcher()
    assert await verified_person(dispatcher, tracker(), "action_check_payment") == (None, [])
    assert busy_only(dispatcher)  # and not "xác thực trước": the service did not say "not verified"


async def test_an_action_resets_its_form_when_that_is_its_fallback(services_down) -> None:
    dispatcher = CollectingDispatcher()
    filled = {"helped_cccd_token": "cccd:x", "helped_name": "Nguyễn Thị Mai", "helped_scope": "view"}
    events = await ActionRequestHelp().run(dispatcher, tracker(**filled), {})
    assert {(e["name"], e["value"]) for e in events} == {(name, None) for name in filled} and busy_only(dispatcher)


async def test_an_action_with_nothing_to_keep_returns_no_events(services_down) -> None:
    dispatcher = CollectingDispatcher()
    assert await ActionUnsubscribeNotifications().run(dispatcher, tracker(), {}) == []
    assert busy_only(dispatcher)


async def test_a_handler_of_its_own_runs_first(services_down) -> None:
    """The identity check offers "Thử lại" when the registry is down: that reply, not the plain one."""
    dispatcher = CollectingDispatcher()
    slots = {"consent": True, "cccd_token": "cccd:x", "full_name": "Nguyễn Văn An", "date_of_birth": "1990-03-12"}
    assert await ActionVerifyIdentity().run(dispatcher, tracker(**slots), {}) == []
    assert [m.get("response") for m in dispatcher.messages] == ["utter_service_busy_retry_identity"]


async def test_other_errors_pass_through_and_each_call_gets_a_fresh_fallback() -> None:
    @answers_busy({"x": None})
    async def failing(dispatcher: CollectingDispatcher, tracker: Tracker, error: Exception) -> dict[str, Any]:
        raise error

    first = await failing(CollectingDispatcher(), tracker(), ServiceUnavailable("down"))
    first["x"] = "changed"
    dispatcher = CollectingDispatcher()
    assert await failing(dispatcher, tracker(), ServiceUnavailable("down")) == {"x": None} and busy_only(dispatcher)
    with pytest.raises(Refused):
        await failing(CollectingDispatcher(), tracker(), Refused("not_authorised", 403))
