"""Selective domain: Rasa sends its domain only to the custom actions that read it.

Through Rasa's own RemoteAction, reading the endpoints file the runtime writes, against a local
HTTP server that records what Rasa posts; and a look at actions/ that fails when an action starts
reading its `domain` argument without being given it.
"""

from __future__ import annotations

import ast
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.utils import read_endpoints_from_path
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.forms import FormValidationAction

from bot.runtime import write_endpoints
from core.settings import ROOT, get_settings
from tests.conftest import free_port


def registered_actions() -> dict[str, Any]:
    """The action server's actions, name → class, as rasa_sdk registers them from actions/."""
    executor = ActionExecutor()
    executor.register_package("actions")
    return {name: type(getattr(action, "__self__", action)) for name, action in executor.actions.items()}


async def posted_bodies(tmp_path: Path, domain: Domain, names: list[str]) -> dict[str, dict[str, Any]]:
    """What Rasa posts to the action endpoint of our endpoints file when it runs each named action."""
    received: dict[str, dict[str, Any]] = {}

    async def webhook(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        assert request.headers["Authorization"] == "Bearer the-action-secret"
        received[body["next_action"]] = body
        return web.json_response({"events": [], "responses": []})

    app = web.Application(client_max_size=10_000_000)
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    settings = replace(get_settings(), action_port=port, host="127.0.0.1")
    endpoint = read_endpoints_from_path(write_endpoints(settings, tmp_path / "endpoints.yml")).action
    tracker = DialogueStateTracker.from_events(
        "selective", [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
                      UserUttered("tiền tháng này", {"name": "check_payment", "confidence": 1.0})], domain.slots,
    )  # fmt: skip
    try:
        for name in names:
            await RemoteAction(name, endpoint).run(
                CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses), tracker, domain
            )
    finally:
        await runner.cleanup()
    return received


async def test_the_domain_goes_to_form_validators_only(
    tmp_path: Path, domain: Domain, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTION_TOKEN", "the-action-secret")  # Rasa expands it from its environment
    received = await posted_bodies(tmp_path, domain, ["validate_link_form", "action_check_payment"])
    assert received["validate_link_form"]["domain"]["forms"]["link_form"]  # rasa_sdk reads the form's slots
    assert "domain" not in received["action_check_payment"]
    assert received["action_check_payment"]["tracker"]["latest_message"]["intent"]["name"] == "check_payment"


def test_every_action_that_is_sent_the_domain_is_a_form_validator_and_back(domain: Domain) -> None:
    actions = registered_actions()
    needing = {name for name in domain.user_actions if domain.does_custom_action_explicitly_need_domain(name)}
    validators = {name for name, cls in actions.items() if issubclass(cls, FormValidationAction)}
    assert validators and needing == validators


def reads_of_domain(tree: ast.AST) -> list[int]:
    """Lines where `domain` is used other than handed on as an argument of a call."""
    handed_on: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            handed_on |= {id(arg) for arg in [*node.args, *(k.value for k in node.keywords)]}
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.id == "domain" and id(node) not in handed_on
    ]


def test_no_action_but_the_form_validators_reads_its_domain() -> None:
    # An action that reads `domain` gets {} under selective domain: list it with `send_domain: true`
    # in the domain's `actions:` rather than let it read an empty dict.
    validators = {cls.__name__ for cls in registered_actions().values() if issubclass(cls, FormValidationAction)}
    found: list[str] = []
    for path in sorted((ROOT / "actions").rglob("*.py")):
        module = ast.parse(path.read_text(encoding="utf-8"))
        allowed = {
            line
            for node in ast.walk(module)
            if isinstance(node, ast.ClassDef) and node.name in validators
            for line in reads_of_domain(node)
        }
        found += [f"{path.relative_to(ROOT)}:{line}" for line in reads_of_domain(module) if line not in allowed]
    assert found == []


def test_reads_of_domain_are_found() -> None:
    code = "def f(domain):\n    g(domain)\n    return domain['forms']\n"
    assert reads_of_domain(ast.parse(code)) == [3]
