"""The states cache and the RulePolicy window (bot/rasa_patches.py, patches 2 and 3) give what Rasa as
shipped gives: the same states for real conversations (the test stories: forms, rules; with restarts,
new sessions, undo and rewind events, a stored event changed), and the same predictions by the
trained model's policy, on the test stories and on a long conversation. And they do less work."""

from __future__ import annotations

import itertools
import threading
from typing import Any, Iterator

import pytest
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_patches
from core.settings import ROOT
from tests.bot.conftest import session_start

ORIGINAL_STATES = Domain.states_for_tracker_history
ORIGINAL_FIND = RulePolicy._find_action_from_rules


@pytest.fixture
def patched() -> Iterator[None]:
    rasa_patches.apply()
    rasa_patches.STATES.clear()
    yield
    rasa_patches.unpatch()


def rasa_states(domain: Domain, tracker: DialogueStateTracker) -> list[dict[str, Any]]:
    return ORIGINAL_STATES(domain, tracker)


def copy_of(event: Event) -> Event:
    """The event as the tracker store gives it back next turn: an equal object, not the same one."""
    return Event.from_parameters(event.as_dict())


def long_conversation(stories: list[tuple[str, list[Event]]], rounds: int = 3) -> list[Event]:
    """Every story's turns one after the other in one session, `rounds` times."""
    events = session_start()
    for _ in range(rounds):
        for _, story in stories:
            events += story[3:]
            if events[-1] != ActionExecuted("action_listen"):
                events.append(ActionExecuted("action_listen"))
    return events


def assert_states_match_rasa_turn_by_turn(domain: Domain, sender: str, events: list[Event], fresh: bool) -> None:
    """Each prefix of the conversation, as Rasa sees it grow; `fresh`: events deserialised anew each time."""
    for end in range(1, len(events) + 1):
        prefix = [copy_of(e) for e in events[:end]] if fresh else events[:end]
        tracker = DialogueStateTracker.from_events(sender, prefix, domain.slots)
        expected = rasa_states(domain, tracker)
        assert tracker.past_states(domain) == expected, f"{sender}: after event {end} ({events[end - 1]})"


# ---- the guards ----------------------------------------------------------------------------------------


def test_the_functions_the_patches_rely_on_are_the_ones_they_were_written_for() -> None:
    # Fails when the pinned Rasa changes underneath: read the new code, then update the hashes.
    assert rasa_patches.changed_sources(rasa_patches.STATES_SOURCES_SHA256) == []
    assert rasa_patches.changed_sources(rasa_patches.RULE_WINDOW_SOURCES_SHA256) == []


@pytest.mark.parametrize("pinned", ["STATES_SOURCES_SHA256", "RULE_WINDOW_SOURCES_SHA256"])
def test_a_changed_rasa_is_refused_not_patched(monkeypatch: pytest.MonkeyPatch, pinned: str) -> None:
    digests = dict(getattr(rasa_patches, pinned))
    digests[next(iter(digests))] = "0" * 64
    monkeypatch.setattr(rasa_patches, pinned, digests)
    try:
        with pytest.raises(rasa_patches.RasaChanged):
            rasa_patches.apply()
    finally:
        rasa_patches.unpatch()
    assert Domain.states_for_tracker_history is ORIGINAL_STATES
    assert RulePolicy._find_action_from_rules is ORIGINAL_FIND
    assert "_prediction_states" not in RulePolicy.__dict__


def test_unpatch_gives_rasa_as_shipped_back(patched: None) -> None:
    assert Domain.states_for_tracker_history is not ORIGINAL_STATES
    rasa_patches.unpatch()
    assert Domain.states_for_tracker_history is ORIGINAL_STATES
    assert RulePolicy._find_action_from_rules is ORIGINAL_FIND


# ---- the states cache ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fresh", [False, True], ids=["same objects", "deserialised each turn"])
def test_cached_states_equal_rasas_for_every_test_story_turn_by_turn(
    patched: None, domain: Domain, stories: list[tuple[str, list[Event]]], fresh: bool
) -> None:
    for name, events in stories:
        assert_states_match_rasa_turn_by_turn(domain, f"story-{name}", events, fresh)


def test_restarts_sessions_undo_and_rewind_events_are_replayed_as_rasa_does(
    patched: None, domain: Domain, stories: list[tuple[str, list[Event]]]
) -> None:
    by_name = dict(stories)
    form_story = next(events for events in by_name.values() if any(isinstance(e, ActiveLoop) for e in events))
    other = next(events for events in by_name.values() if not any(isinstance(e, ActiveLoop) for e in events))
    events = [
        *form_story,
        UserUtteranceReverted(),  # rewind: the last user message and its action listen are undone
        *other[3:],
        ActionReverted(),  # undo the last action
        ActionExecuted("action_listen"),
        Restarted(),
        ActionExecuted("action_listen"),
        *other[3:],
        ActionExecuted("action_session_start"),
        SessionStarted(),
        SlotSet("requested_slot", None),
        ActionExecuted("action_listen"),
        *form_story[3:],
        *other[3:],
    ]
    assert_states_match_rasa_turn_by_turn(domain, "edits", events, fresh=False)


def test_a_stored_event_that_changed_is_not_taken_from_the_cache(
    patched: None, domain: Domain, stories: list[tuple[str, list[Event]]]
) -> None:
    events = long_conversation(stories, rounds=1)
    tracker = DialogueStateTracker.from_events("changed", events, domain.slots)
    tracker.past_states(domain)
    user = next(i for i, e in enumerate(events) if isinstance(e, UserUttered) and e.text)
    changed = list(events)
    original = events[user]
    assert isinstance(original, UserUttered)
    changed[user] = UserUttered("[đã ẩn]", original.intent, original.entities, timestamp=original.timestamp)
    tracker = DialogueStateTracker.from_events("changed", changed, domain.slots)
    assert tracker.past_states(domain) == rasa_states(domain, tracker)
    other_domain = Domain.load(str(ROOT / "domain"))  # a reloaded model's domain
    assert other_domain.states_for_tracker_history(tracker) == rasa_states(other_domain, tracker)


def test_callers_may_change_the_states_they_get(
    patched: None, domain: Domain, stories: list[tuple[str, list[Event]]]
) -> None:
    tracker = DialogueStateTracker.from_events("mutating", long_conversation(stories, 1), domain.slots)
    for state in tracker.past_states(domain):
        for part in list(state.values()):
            part.clear()
    assert tracker.past_states(domain) == rasa_states(domain, tracker)


def test_only_new_events_are_replayed(patched: None, domain: Domain, stories: list[tuple[str, list[Event]]]) -> None:
    events = long_conversation(stories, rounds=2)
    tracker = DialogueStateTracker.from_events("growing", events[:100], domain.slots)
    tracker.past_states(domain)
    before = rasa_patches.STATES.replayed_events
    for event in events[100:]:
        tracker.update(copy_of(event))  # the next turns' events, as the tracker store would give them
        tracker.past_states(domain)
    assert rasa_patches.STATES.replayed_events - before <= len(events) - 100 + 60  # forms' turns replayed again
    assert tracker.past_states(domain) == rasa_states(domain, tracker)


def test_the_windowed_call_gives_rasas_last_states(
    patched: None, domain: Domain, stories: list[tuple[str, list[Event]]]
) -> None:
    tracker = DialogueStateTracker.from_events("window", long_conversation(stories, 1), domain.slots)
    everything = rasa_states(domain, tracker)
    for last in (1, 2, 5, len(everything), len(everything) + 3):
        assert rasa_patches.STATES.states(domain, tracker, last=last) == everything[-last:]


def test_conversations_at_once_from_threads_get_their_own_states(
    patched: None, domain: Domain, stories: list[tuple[str, list[Event]]]
) -> None:
    trackers = [
        DialogueStateTracker.from_events(f"thread-{i}", long_conversation(stories[i:], 1), domain.slots)
        for i in range(6)
    ]
    expected = [rasa_states(domain, tracker) for tracker in trackers]
    failures: list[str] = []

    def work(index: int) -> None:
        for _ in range(5):
            tracker = trackers[index % len(trackers)]  # two threads share each conversation
            if tracker.past_states(domain) != expected[index % len(trackers)]:
                failures.append(tracker.sender_id)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []


# ---- the RulePolicy window, with the trained model -----------------------------------------------------


@pytest.fixture(scope="module")
def processor() -> Any:
    from rasa.core.agent import Agent

    from bot.model_cache import ensure_model

    return Agent.load(str(ensure_model(quiet=True))).processor


def predictions(processor: Any, sender: str, events: list[Event]) -> list[tuple[Any, ...]]:
    """What the model's policies predict before each action of the conversation."""
    out = []
    for end, event in enumerate(events):
        if isinstance(event, ActionExecuted) and end > 2:
            tracker = DialogueStateTracker.from_events(sender, events[:end], processor.domain.slots)
            prediction = processor._predict_next_with_tracker(tracker)
            out.append((
                end, prediction.max_confidence_index, prediction.max_confidence, prediction.policy_name,
                prediction.events, prediction.hide_rule_turn, prediction.is_end_to_end_prediction,
                prediction.is_no_user_prediction,
            ))  # fmt: skip
    return out


def test_rule_window_is_the_longest_rule(processor: Any) -> None:
    rule_policy = rule_policy_of(processor)
    window = rasa_patches.rule_window(rule_policy)
    lengths = [len(rule_policy._rule_key_to_state(key)) for key in rule_policy.lookup["rules"]]
    assert window >= max(lengths) and 2 <= window < 30


def rule_policy_of(processor: Any) -> RulePolicy:
    for node in processor.graph_runner._instantiated_nodes.values():
        component = getattr(node, "_component", None)
        if isinstance(component, RulePolicy):
            return component
    raise AssertionError("no RulePolicy in the model")


def test_predictions_match_unpatched_rasa_on_the_test_stories_and_a_long_conversation(
    processor: Any, stories: list[tuple[str, list[Event]]]
) -> None:
    conversations = [(name, events) for name, events in stories] + [("long", long_conversation(stories, 2))]
    rasa_patches.unpatch()
    expected = {name: predictions(processor, f"rasa-{name}", events) for name, events in conversations}
    rasa_patches.apply()
    try:
        for name, events in conversations:
            assert predictions(processor, f"ours-{name}", events) == expected[name], name
        # and the policy looked at the window only, not at the whole long conversation
        policy, long = rule_policy_of(processor), conversations[-1][1]
        tracker = DialogueStateTracker.from_events("ours-long", long, processor.domain.slots)
        assert len(policy._prediction_states(tracker, processor.domain)) == rasa_patches.rule_window(policy)
        assert len(tracker.past_states(processor.domain)) > 10 * rasa_patches.rule_window(policy)
    finally:
        rasa_patches.unpatch()
    assert sum(len(p) for p in expected.values()) > 200
    assert len(set(itertools.chain.from_iterable((p[1] for p in rows) for rows in expected.values()))) > 10


# ---- JSON to the action server ---------------------------------------------------------------------


def action_call_body(domain: Domain, events: list[Event]) -> dict[str, Any]:
    """What RemoteAction sends: the whole session's tracker state and the domain."""
    from rasa.shared.core.trackers import EventVerbosity

    tracker = DialogueStateTracker.from_events("json", events, domain.slots)
    return {"next_action": "action_x", "sender_id": "json", "tracker": tracker.current_state(EventVerbosity.ALL),
            "version": "3.6.21", "domain": domain.as_dict()}  # fmt: skip


def test_the_endpoint_session_is_the_one_the_patch_was_written_for() -> None:
    from rasa.utils.endpoints import EndpointConfig

    original = getattr(EndpointConfig.session, "_tlas_original", EndpointConfig.session)
    assert rasa_patches.source_sha256(original) == rasa_patches.ENDPOINT_SESSION_SHA256


def test_fast_json_decodes_to_what_json_dumps_gives(domain: Domain, stories: list[tuple[str, list[Event]]]) -> None:
    import json

    body = action_call_body(domain, long_conversation(stories, 2))
    assert len(json.dumps(body)) > 100_000
    assert json.loads(rasa_patches.fast_dumps(body)) == json.loads(json.dumps(body))
    odd = {"nan": float("nan"), "big": 2**70, "tuple": (1, 2), 1: "int key", "text": "Bác ơi / \u2028 \U0001f600"}
    assert rasa_patches.fast_dumps(odd).replace(" ", "") == json.dumps(odd).replace(" ", "")
    with pytest.raises(TypeError):
        rasa_patches.fast_dumps({"a set": {1, 2}})  # refused as json.dumps refuses it


async def test_rasa_posts_action_calls_with_the_fast_encoder(
    monkeypatch: pytest.MonkeyPatch, domain: Domain, stories: list[tuple[str, list[Event]]]
) -> None:
    import json

    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    from tests.conftest import free_port

    received: list[Any] = []

    async def webhook(request: web.Request) -> web.Response:
        received.append(json.loads(await request.read()))
        return web.json_response({"events": [], "responses": []})

    app = web.Application(client_max_size=10_000_000)
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    encoded: list[int] = []
    real = rasa_patches.fast_dumps
    monkeypatch.setattr(rasa_patches, "fast_dumps", lambda obj: encoded.append(1) or real(obj))
    body = action_call_body(domain, long_conversation(stories, 1))
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
    try:
        await endpoint.request(json=body, method="post")
        rasa_patches.apply()
        answer = await endpoint.request(json=body, method="post")
    finally:
        rasa_patches.unpatch()
        await runner.cleanup()
    assert answer == {"events": [], "responses": []}
    assert received[0] == received[1] == json.loads(json.dumps(body))
    assert encoded == [1]  # the patched call only
