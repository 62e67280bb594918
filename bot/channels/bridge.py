"""The channel our own adapters (Telegram, Zalo) post to: REST plus a shared secret and metadata.

Adapters run as separate processes (they need libraries and event loops Rasa's cannot host) and
post `{"sender": "tg:<chat id>", "message": text, "metadata": {...}}` to
/webhooks/bridge/webhook with `Authorization: Bearer $BRIDGE_TOKEN`. Only metadata keys listed
here get through. A phone number from a shared contact never reaches Rasa: it is handed to the
verification service, and the conversation receives the proof's id and the last 4 digits.
"""

from __future__ import annotations

import hmac
import logging
import re
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import REPLIES
from bot.channels.rest import GuardedRestInput
from clients import Refused, ServiceUnavailable, VerificationClient
from core.settings import get_settings

LOG = logging.getLogger(__name__)
SENDER = re.compile(r"^(tg|zalo):[\w-]{1,60}$")
PASSED_METADATA = {"channel", "language_code"}
SHARED_PHONE_INTENT = "/shared_phone"


class BridgeInput(GuardedRestInput):
    @classmethod
    def name(cls) -> str:
        return "bridge"

    def authorised(self, request: Request) -> bool:
        token = get_settings().bridge_token
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return bool(token) and hmac.compare_digest(given.encode(), token.encode())

    async def phone_proof(self, sender: str, phone: str) -> dict[str, str] | None:
        """Hand the shared number to the verification service; None when it cannot be kept."""
        try:
            return await VerificationClient().phone_proof(sender, phone)
        except (ServiceUnavailable, Refused) as error:
            LOG.warning("phone proof not stored: %s", type(error).__name__)
            return None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("bridge", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.authorised(request):
                return response.json({"error": "unauthorised"}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            sender = body.get("sender")
            if not isinstance(sender, str) or not SENDER.match(sender):
                return response.json({"error": "sender must look like tg:<id> or zalo:<id>"}, status=400)
            raw_metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            metadata = {key: value for key, value in raw_metadata.items() if key in PASSED_METADATA}
            command = None
            if raw_metadata.get("shared_phone"):
                proof = await self.phone_proof(sender, str(raw_metadata["shared_phone"]))
                if proof is None:
                    return response.json([{"recipient_id": sender, "text": REPLIES["busy"]}])
                metadata.update(phone_proof=proof["proof_id"], phone_last4=proof["phone_last4"])
                command = SHARED_PHONE_INTENT
            return response.json(await self.handle(on_new_message, sender, body.get("message"), metadata, command))

        return hook
