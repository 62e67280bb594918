"""Fixtures of the bot tests: the project's domain and its test stories as conversations."""

from __future__ import annotations

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

from core.settings import ROOT


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain"))


@pytest.fixture(scope="module")
def stories(domain: Domain) -> list[tuple[str, list[Event]]]:
    """Each test story as the events of a conversation: session start, then its turns."""
    reader = YAMLStoryReader(domain)
    found = []
    for path in sorted((ROOT / "tests" / "stories").glob("*.yml")):
        for step in reader.read_from_file(str(path)):
            found.append((step.block_name, [*session_start(), *step.explicit_events(domain)[1:]]))
    assert len(found) >= 20
    return found


def session_start() -> list[Event]:
    return [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
