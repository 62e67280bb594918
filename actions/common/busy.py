"""One answer when a service is down: "hệ thống đang bận", and what keeps the conversation in place.

Actions, form validators and their helpers put `@answers_busy(...)` on themselves instead of each
catching `ServiceUnavailable`: the user gets `utter_service_busy` and the decorated function
returns its fallback (no events by default, so the answers typed so far are kept). A handler that
must do something else when a service is down (keep events it already computed, offer "Thử lại")
still catches `ServiceUnavailable` itself, and its own `except` runs first.
"""

from __future__ import annotations

import copy
import functools
from typing import Any, Awaitable, Callable, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from clients import ServiceUnavailable

T = TypeVar("T")


def answers_busy(
    fallback: Any = None,
) -> Callable[[Callable[..., Awaitable[T]]], Callable[..., Awaitable[T]]]:
    """Answer "busy" and return `fallback` when a service is down during the decorated call.

    `fallback` is the value returned (copied each time: `{"cccd_token": None}` for a slot
    validator, `(None, [])` for a helper), a function of the tracker (e.g. one that resets a
    form), or None for no events. The dispatcher and tracker are the call's own arguments.
    """

    def decorate(function: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
        @functools.wraps(function)
        async def guarded(*args: Any, **kwargs: Any) -> T:
            try:
                return await function(*args, **kwargs)
            except ServiceUnavailable:
                given = (*args, *kwargs.values())
                dispatcher = next(a for a in given if isinstance(a, CollectingDispatcher))
                dispatcher.utter_message(response="utter_service_busy")
                if fallback is None:
                    return []  # type: ignore[return-value]
                if callable(fallback):
                    return fallback(next(a for a in given if isinstance(a, Tracker)))
                return copy.deepcopy(fallback)

        return guarded

    return decorate
