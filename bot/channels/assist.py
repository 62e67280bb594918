"""The agent console's door to the bot (PRODUCT.md 3.8, assist): for a message a person sent while
an agent has their conversation, the bot's top intents with their confidence and the reply the bot
would give, which the agent may insert and edit.

POST /webhooks/assist/suggest `{"message": text}` with `Authorization: Bearer $ASSIST_TOKEN`
(the console's credential, generated per start by the runtime). The reply is computed in a fresh
scratch conversation (`assist:` + random letters), never in the person's own, so nothing the
agent looks at changes what the bot knows of the person.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import normalise, screen
from bot.channels.rest import GuardedInput, Handler, bad_request, bearer, same_secret
from core.settings import get_settings

TOP_INTENTS = 3


def scratch_sender() -> str:
    return "assist:" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(20))


def top_intents(parsed: dict[str, Any], count: int = TOP_INTENTS) -> list[dict[str, Any]]:
    ranking = parsed.get("intent_ranking") or ([parsed["intent"]] if parsed.get("intent") else [])
    return [
        {"intent": item.get("name"), "confidence": round(float(item.get("confidence") or 0.0), 3)}
        for item in ranking[:count]
        if item.get("name")
    ]


class AssistInput(GuardedInput):
    @classmethod
    def name(cls) -> str:
        return "assist"

    def __init__(self) -> None:
        super().__init__()
        self.token = get_settings().assist_token

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        hook = Blueprint("assist", __name__)
        self.health(hook)

        @hook.route("/suggest", methods=["POST"])
        async def suggest(request: Request) -> HTTPResponse:
            if not same_secret(bearer(request), self.token):
                return response.json({"error": "unauthorised"}, status=401)
            body = self.body(request)
            if isinstance(body, HTTPResponse):
                return body
            raw = body.get("message")
            if screen(raw, self.max_chars) is not None:
                return bad_request("message must be text of at most MAX_MESSAGE_CHARS characters")
            text = normalise(raw)
            parsed = await request.app.ctx.agent.parse_message(text)
            replies = await self.turn(on_new_message, scratch_sender(), text, {})
            return response.json({
                "intents": top_intents(parsed),
                "replies": [
                    {"text": m.get("text") or "", "buttons": [b.get("title") for b in m.get("buttons") or []]}
                    for m in (replies or []) if m.get("text")
                ],
            })  # fmt: skip

        return hook
