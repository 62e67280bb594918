"""The one place where Rasa's internals are changed, each change guarded by a test (tests/bot/test_rasa_patches.py).

Applied by `bot.rasa_server`, the entry module the runtime starts instead of `rasa run`; nothing
else imports this module, so the action server, the tests and the bench's stock Rasa run Rasa as
shipped.

1. Custom-action responses are checked against Rasa's own schema by a validator built once.
   Rasa 3.6.21's `RemoteAction._validate_action_result` calls `jsonschema.validate`, which checks
   the schema against its meta-schema on every call (jsonschema 4.17, draft 2020-12 by default):
   about half of the Rasa server's CPU under load went there (issue 16). Rasa offers no setting
   or registration point for the class that runs remote actions, hence the patch. The same
   validator class, the same errors (best match first) and the same message are kept: an invalid
   response is still refused.

2. The states of a conversation are extended, not recomputed (`StatesCache`). Each prediction of
   RulePolicy (two per predicted action: from the text, then from the intent) asks
   `Domain.states_for_tracker_history` for the state before every action of the whole session,
   which replays every event on a fresh tracker: at turn 100 that was the bulk of Rasa's CPU and
   the reason a turn got slower with the conversation (issue 16). The cache keeps, per
   conversation, the applied events it has seen, the tracker after them and their states; a call
   whose applied events start with those only replays the new ones. Any other history (a restart,
   a new session, an undo or rewind, a form's happy path that drops its turns from
   `applied_events`, an event stored changed) fails that prefix test and is replayed from the start,
   as Rasa does. Only the call RulePolicy makes (all slots, rule turns kept) is cached; callers get
   copies, as they mutate states.

3. RulePolicy compares only the last states it can use (`rule_window`). `_get_possible_keys`
   accepts every rule once it has walked further back than the rule is long, so states older than
   the longest rule (or loop-unhappy-path rule) never change which rules match; RulePolicy's
   `_prediction_states` returns just that window, from the states cache. The one other use of the
   states, the "no rule" feature key, is decided on the whole history when the window's key could
   matter (when it is one of the rules' keys, so `hide_rule_turn` would read it).

4. JSON bodies to the action server are encoded by ujson (`fast_dumps`). A custom-action call was
   ~280 KB at turn 100 before patch 5 and selective domain (bot/runtime.py write_endpoints) cut it:
   13 ms with `json.dumps`, 4 ms with ujson (installed with Sanic), decoding to the same values;
   anything ujson refuses goes through `json.dumps` as before. `EndpointConfig.session` is Rasa's
   one place that builds the HTTP client for its endpoints.

5. A custom-action call carries the events from the `EVENT_WINDOW`-th last user message on
   (`RemoteAction._action_call_format`), not the whole session: the call's size and the time to
   write and read it no longer grow with the conversation. Everything else of the tracker's state
   (slots, latest_message, latest_event_time, followup_action, paused, latest_input_channel,
   active_loop, latest_action) is Rasa's `current_state`, computed on the whole tracker as before.
   The reads of past events on the action server, and why the window covers each:
   - actions/handoff.py `last_intents`: the intents of the last LAST_INTENTS (5) user messages;
   - actions/fallback.py `clarified_just_before` and `previous_intent`: back to the 2nd last user
     message; `answered_this_turn`: back to the last one;
   - actions/benefits.py `_said`: the last user message that is not a button payload. After
     EVENT_WINDOW button presses in a row it finds none and asks which group, as for a message
     that named none (a text typed that long ago is not what the amount question is about);
   - rasa_sdk: `slots_to_validate` reads the slot events after the last other event, and
     `get_latest_input_channel` the last user message, both after the last user message;
     `idx_after_latest_restart` / `events_after_latest_restart` find a restart inside the window
     or start at its first event, which is after any restart before it; `applied_events` (behind
     `get_last_event_for`, which our actions do not call) undoes within the window.
   tests/bot/test_rasa_patches.py replays long conversations and fails when any of these gives
   something else on the window than on the whole session.

Each patch names the source hash of the functions it replaces or relies on; `apply()` refuses to
patch a Rasa whose functions differ (`refuse_changed`), and the guard test fails, so an upgrade
makes someone look again.
"""

from __future__ import annotations

import contextvars
import hashlib
import inspect
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List

if TYPE_CHECKING:
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.domain import Domain, State
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

PATCHED_MARK = "_tlas_patched"

# sha256 of inspect.getsource() of the replaced function in rasa 3.6.21.
VALIDATE_ACTION_RESULT_SHA256 = "f8cdb4be6812396167ced74161b2ccd65c5ea676ad86d7d359d8c322d9d8dc42"
ENDPOINT_SESSION_SHA256 = "e55aa13d9d4fb4bc440ac33b870a97ee162b76dda7ccb6bf68433567475fdffb"
# What the states cache replaces (the first) and replays as Rasa does (the others).
STATES_SOURCES_SHA256 = {
    "rasa.shared.core.domain.Domain.states_for_tracker_history":
        "035111ce73ac90ba50e143abf556f924af07d9f452893f5a96a62895d44df8b7",
    "rasa.shared.core.trackers.DialogueStateTracker.generate_all_prior_trackers":
        "a1f6954347b52649a7b1054741338997d2369197d91acb2eab7f6b11d3855ed1",
    "rasa.shared.core.trackers.DialogueStateTracker.init_copy":
        "429fcd2243b9e0e1a6e8ffc3057a4f2fb4ecbb677055c644129bc65b6cd32b75",
}
# What the RulePolicy window replaces (the first) and relies on (the others).
RULE_WINDOW_SOURCES_SHA256 = {
    "rasa.core.policies.policy.Policy._prediction_states":
        "ed9b82bed2f26ad7a0de61709e02339983912bece614191089c3adba60cf1452",
    "rasa.core.policies.rule_policy.RulePolicy._find_action_from_rules":
        "be6da6ee0f5429bd9bbded9f22186f3729469e5b392949493fd34a00ef9531d9",
    "rasa.core.policies.rule_policy.RulePolicy._get_possible_keys":
        "2915fd81711e194c6d667728e00bd0e51e9c1c2791a0be14c55f0ef9938f9936",
    "rasa.core.policies.rule_policy.RulePolicy._is_rule_applicable":
        "64a108b016b46e573d6020b755a6036439dc207a364b45c9ea5dcb0f18dc7068",
    "rasa.core.policies.rule_policy.RulePolicy._rule_prediction":
        "90316ddf7eb4b3140d45f21e51ca072c212ba28329077d99cb618191456f273f",
    "rasa.core.featurizers.tracker_featurizers.MaxHistoryTrackerFeaturizer.prediction_states":
        "451caf09a389e8719ad4ee38eb97dfd10b4743cd3928f1f9569779394fd3462e",
}
# What the event window replaces (the first) and relies on for the rest of the state (the second).
EVENT_WINDOW_SOURCES_SHA256 = {
    "rasa.core.actions.action.RemoteAction._action_call_format":
        "428795b944f22edba142d278ec47a30098975b01463ba337ec447dade52a0492",
    "rasa.shared.core.trackers.DialogueStateTracker.current_state":
        "a9f1526ceddf7a2871ca65f0f664bec9b06546942cdb37ff020e87747608244c",
}
EVENT_WINDOW = 10  # user messages whose events go to the action server (patch 5)


class RasaChanged(RuntimeError):
    """The pinned Rasa is not the one these patches were written for."""


def source_sha256(function: Callable[..., Any]) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def resolve(dotted: str) -> Callable[..., Any]:
    """`package.module.Class.function` → the function (the original, even when patched)."""
    import importlib

    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            target: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            target = getattr(target, name)
        return getattr(target, "_tlas_original", target)
    raise ImportError(dotted)


def changed_sources(pinned: Dict[str, str]) -> List[str]:
    """The functions in `pinned` whose source differs from the hash written down for them."""
    return [name for name, digest in pinned.items() if source_sha256(resolve(name)) != digest]


def refuse_changed(pinned: Dict[str, str]) -> None:
    """Raise RasaChanged, before anything is patched, if a function in `pinned` is not as written down."""
    changed = changed_sources(pinned)
    if changed:
        raise RasaChanged(", ".join(changed) + " changed")


def _action_result_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)  # what jsonschema.validate would pick: the latest draft
    cls.check_schema(schema)  # once, here, instead of on every response
    return cls(schema)


def patch_action_result_validation() -> None:
    """RemoteAction._validate_action_result with a validator built once (see the module docstring)."""
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    original = RemoteAction._validate_action_result
    if getattr(original, PATCHED_MARK, False):
        return
    refuse_changed({"rasa.core.actions.action.RemoteAction._validate_action_result": VALIDATE_ACTION_RESULT_SHA256})
    validator = _action_result_validator()

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error: ValidationError | None = best_match(validator.iter_errors(result))
        if error is not None:
            error.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    setattr(_validate_action_result, PATCHED_MARK, True)
    _validate_action_result._tlas_original = original  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


# ---- 2. the states cache ----------------------------------------------------------------------------


def _same_event(cached: Event, event: Event) -> bool:
    return cached is event or (
        type(cached) is type(event) and cached.timestamp == event.timestamp and cached == event
    )


def _copy_state(state: State) -> State:
    """Callers delete keys of states' parts (RulePolicy drops the text of a turn with an intent)."""
    return {part: dict(values) for part, values in state.items()}  # type: ignore[misc]


def _snapshot(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A copy of a replaying tracker's state (its slots, latest action, message and loop), without events.

    The replaying tracker only ever gets applied events (no reverts), whose `apply_to` set these
    attributes and never read past events, and `Domain.get_active_state` reads only these."""
    import copy

    copied = copy.copy(tracker)
    copied.slots = copy.copy(tracker.slots)
    for name, slot in tracker.slots.items():
        copied.slots[name] = copy.copy(slot)
    copied.events = tracker._create_events([])
    copied.latest_action = dict(tracker.latest_action) if tracker.latest_action is not None else None
    copied.active_loop = copy.copy(tracker.active_loop)  # changed in place when a loop is interrupted
    return copied


@dataclass
class _Checkpoint:
    index: int  # the replaying tracker before applied event `index`
    states: int  # how many states were known then
    tracker: DialogueStateTracker


@dataclass
class _History:
    """One conversation as far as the cache has replayed it."""

    domain: Domain
    is_rule_tracker: bool
    running: DialogueStateTracker  # a fresh tracker with `events` applied (it keeps none of them)
    events: List[Event] = field(default_factory=list)  # applied events replayed so far
    states: List[State] = field(default_factory=list)  # the state before each ActionExecuted of `events`
    checkpoints: List[_Checkpoint] = field(default_factory=list)  # before the last few `action_listen`s

    def rewind(self, common: int) -> bool:
        """Back to the last checkpoint within the first `common` events; False if there is none."""
        usable = [point for point in self.checkpoints if point.index <= common]
        if not usable:
            return False
        point = usable[-1]
        self.running = _snapshot(point.tracker)
        del self.events[point.index :]
        del self.states[point.states :]
        self.checkpoints = usable[:-1]  # `point` is made again when its event is replayed
        return True


class StatesCache:
    """Per conversation, the states of its applied events, extended with new events only.

    Applied events are not only appended to: a form's next turn drops the previous turn's user
    message from them, an undo drops the last ones. So the cache also keeps the replaying tracker
    as it was before each of the last few `action_listen`s, and replays from the last one before
    the first event that differs; with none (a restart, a new session, an older event changed), from
    the start, as Rasa does.

    No lock is held while states are computed: an entry is taken out of the table, extended and put
    back, so two calls for one conversation at once (which Rasa's lock store prevents anyway) each
    work on their own entry and never see a half-extended one.
    """

    CHECKPOINTS = 4

    def __init__(self, size: int = 2000) -> None:
        self.size = size
        self._entries: OrderedDict[str, _History] = OrderedDict()
        self._lock = threading.Lock()
        self.replayed_events = 0  # events replayed since start (the tests read it)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _take(self, sender_id: str) -> _History | None:
        with self._lock:
            return self._entries.pop(sender_id, None)

    def _put(self, sender_id: str, history: _History) -> None:
        with self._lock:
            self._entries[sender_id] = history
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def states(self, domain: Domain, tracker: DialogueStateTracker, last: int | None = None) -> List[State]:
        """`domain.states_for_tracker_history(tracker)` as Rasa computes it, or its `last` states."""
        from rasa.shared.core.constants import ACTION_LISTEN_NAME
        from rasa.shared.core.events import ActionExecuted

        applied = tracker.applied_events()
        history = self._take(tracker.sender_id)
        if not self._continues(history, domain, tracker, applied):
            history = _History(domain, tracker.is_rule_tracker, tracker.init_copy())
        assert history is not None
        running = history.running
        known = len(history.events)
        for index in range(known, len(applied)):
            event = applied[index]
            if isinstance(event, ActionExecuted):
                if event.action_name == ACTION_LISTEN_NAME:
                    history.checkpoints.append(_Checkpoint(index, len(history.states), _snapshot(running)))
                    del history.checkpoints[: -self.CHECKPOINTS]
                # a copy: parts of a state are the running tracker's own dicts (its latest action)
                history.states.append(_copy_state(domain._clean_state(domain.get_active_state(running))))
            running.update(event)
        running.events.clear()
        history.events = applied
        self.replayed_events += len(applied) - known
        final = _copy_state(domain._clean_state(domain.get_active_state(running)))
        self._put(tracker.sender_id, history)
        older = history.states if last is None else history.states[max(0, len(history.states) - last + 1) :]
        return [_copy_state(state) for state in older] + [final] if last != 0 else []

    @staticmethod
    def _continues(
        history: _History | None, domain: Domain, tracker: DialogueStateTracker, applied: List[Event]
    ) -> bool:
        """Whether `history` can be extended to `applied` (rewound to a checkpoint first if need be)."""
        if history is None or history.domain is not domain or history.is_rule_tracker != tracker.is_rule_tracker:
            return False
        common = 0
        for cached, event in zip(history.events, applied, strict=False):
            if not _same_event(cached, event):
                break
            common += 1
        return common == len(history.events) or history.rewind(common)


STATES = StatesCache()


def patch_states_cache() -> None:
    """Domain.states_for_tracker_history through STATES for RulePolicy's call (see the module docstring)."""
    from rasa.shared.core.domain import Domain

    original = Domain.states_for_tracker_history
    if getattr(original, PATCHED_MARK, False):
        return
    refuse_changed(STATES_SOURCES_SHA256)

    def states_for_tracker_history(
        self: Domain,
        tracker: DialogueStateTracker,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: Dict[str, Any] | None = None,
    ) -> List[State]:
        if omit_unset_slots or ignore_rule_only_turns or tracker.sender_id is None:
            return original(self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        return STATES.states(self, tracker)

    setattr(states_for_tracker_history, PATCHED_MARK, True)
    states_for_tracker_history._tlas_original = original  # type: ignore[attr-defined]
    Domain.states_for_tracker_history = states_for_tracker_history  # type: ignore[method-assign]


# ---- 3. the RulePolicy window -------------------------------------------------------------------------

_WHOLE_HISTORY: contextvars.ContextVar[bool] = contextvars.ContextVar("tlas_whole_history", default=False)


def rule_window(policy: RulePolicy) -> int:
    """The most states any rule of this policy compares: the longest rule or loop-unhappy-path rule."""
    from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH

    cached = getattr(policy, "_tlas_rule_window", None)
    if cached is not None and cached[0] is policy.lookup:
        return int(cached[1])
    keys = [*policy.lookup.get(RULES, {}), *policy.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})]
    window = max((len(policy._rule_key_to_state(key)) for key in keys), default=1)
    policy._tlas_rule_window = (policy.lookup, window)  # type: ignore[attr-defined]
    return window


def patch_rule_window() -> None:
    """RulePolicy._prediction_states returns the last `rule_window` states (see the module docstring)."""
    from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
    from rasa.core.policies.policy import Policy, SupportedData
    from rasa.core.policies.rule_policy import RULES_NOT_IN_STORIES, RulePolicy

    if getattr(RulePolicy.__dict__.get("_prediction_states"), PATCHED_MARK, False):
        return
    refuse_changed(RULE_WINDOW_SOURCES_SHA256)
    if "_prediction_states" in RulePolicy.__dict__:
        raise RasaChanged("rasa.core.policies.rule_policy.RulePolicy defines its own _prediction_states")
    whole = Policy._prediction_states
    find_action_from_rules = RulePolicy._find_action_from_rules

    def _prediction_states(
        self: RulePolicy,
        tracker: DialogueStateTracker,
        domain: Domain,
        use_text_for_last_user_input: bool = False,
        rule_only_data: Dict[str, Any] | None = None,
    ) -> List[State]:
        featurizer = self.featurizer
        if (
            _WHOLE_HISTORY.get()
            or type(featurizer) is not MaxHistoryTrackerFeaturizer
            or featurizer.max_history is not None
            or self.supported_data() == SupportedData.ML_DATA
            or tracker.sender_id is None
        ):
            return whole(self, tracker, domain, use_text_for_last_user_input, rule_only_data)
        states = STATES.states(domain, tracker, last=rule_window(self))
        featurizer._choose_last_user_input([states], use_text_for_last_user_input)
        return states

    def _find_action_from_rules(
        self: RulePolicy, tracker: DialogueStateTracker, domain: Domain, use_text_for_last_user_input: bool
    ) -> Any:
        found = find_action_from_rules(self, tracker, domain, use_text_for_last_user_input)
        action, source, _ = found
        if action is None and source is not None and source in self.lookup.get(RULES_NOT_IN_STORIES, []):
            # the key of the window is one `hide_rule_turn` reads: decide as Rasa would, on everything
            token = _WHOLE_HISTORY.set(True)
            try:
                return find_action_from_rules(self, tracker, domain, use_text_for_last_user_input)
            finally:
                _WHOLE_HISTORY.reset(token)
        return found

    for function in (_prediction_states, _find_action_from_rules):
        setattr(function, PATCHED_MARK, True)
    _find_action_from_rules._tlas_original = find_action_from_rules  # type: ignore[attr-defined]
    RulePolicy._prediction_states = _prediction_states  # type: ignore[method-assign]
    RulePolicy._find_action_from_rules = _find_action_from_rules  # type: ignore[method-assign]


# ---- 4. JSON to the action server ---------------------------------------------------------------------


def fast_dumps(obj: Any) -> str:
    """`json.dumps(obj)` as ujson writes it (same values, no spaces); json.dumps for what ujson refuses."""
    import json

    try:
        import ujson

        return str(ujson.dumps(obj, ensure_ascii=True, escape_forward_slashes=False))
    except (ImportError, TypeError, ValueError, OverflowError):
        return json.dumps(obj)


def patch_endpoint_json() -> None:
    """EndpointConfig.session with `json_serialize=fast_dumps` (see the module docstring)."""
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    original = EndpointConfig.session
    if getattr(original, PATCHED_MARK, False):
        return
    refuse_changed({"rasa.utils.endpoints.EndpointConfig.session": ENDPOINT_SESSION_SHA256})

    def session(self: EndpointConfig) -> aiohttp.ClientSession:
        auth = None
        if self.basic_auth:
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        return aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            json_serialize=fast_dumps,
        )

    setattr(session, PATCHED_MARK, True)
    session._tlas_original = original  # type: ignore[attr-defined]
    EndpointConfig.session = session  # type: ignore[method-assign]


# ---- 5. the event window of action calls ----------------------------------------------------------------


def event_window(events: List[Event], user_messages: int) -> List[Event]:
    """`events` from the `user_messages`-th last user message on (all of them if there are fewer)."""
    from rasa.shared.core.events import UserUttered

    seen = 0
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            seen += 1
            if seen == user_messages:
                return events[index:]
    return list(events)


def patch_event_window() -> None:
    """RemoteAction._action_call_format with the last EVENT_WINDOW user messages' events (see the docstring)."""
    import rasa
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.trackers import EventVerbosity

    original = RemoteAction._action_call_format
    if getattr(original, PATCHED_MARK, False):
        return
    refuse_changed(EVENT_WINDOW_SOURCES_SHA256)

    def _action_call_format(self: RemoteAction, tracker: DialogueStateTracker, domain: Domain) -> Dict[str, Any]:
        tracker_state = tracker.current_state(EventVerbosity.NONE)  # everything but the events, as Rasa's
        tracker_state["events"] = [event.as_dict() for event in event_window(list(tracker.events), EVENT_WINDOW)]
        result = {
            "next_action": self._name,
            "sender_id": tracker.sender_id,
            "tracker": tracker_state,
            "version": rasa.__version__,
        }
        if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
            result["domain"] = domain.as_dict()
        return result

    setattr(_action_call_format, PATCHED_MARK, True)
    _action_call_format._tlas_original = original  # type: ignore[attr-defined]
    RemoteAction._action_call_format = _action_call_format  # type: ignore[method-assign]


def unpatch() -> None:
    """Rasa as shipped again (the tests compare both)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.domain import Domain
    from rasa.utils.endpoints import EndpointConfig

    if "_prediction_states" in RulePolicy.__dict__:
        del RulePolicy._prediction_states
    for owner, name in (
        (RulePolicy, "_find_action_from_rules"),
        (Domain, "states_for_tracker_history"),
        (RemoteAction, "_validate_action_result"),
        (RemoteAction, "_action_call_format"),
        (EndpointConfig, "session"),
    ):
        original = getattr(getattr(owner, name), "_tlas_original", None)
        if original is not None:
            setattr(owner, name, original)
    STATES.clear()


def apply() -> None:
    """Apply every patch (idempotent); raises RasaChanged if Rasa is not the pinned one."""
    patch_action_result_validation()
    patch_states_cache()
    patch_rule_window()
    patch_endpoint_json()
    patch_event_window()
