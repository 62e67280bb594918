"""The channel our own adapters (Telegram, Zalo) post to: REST plus a shared secret and metadata.

Adapters run as separate processes (they need libraries and event loops Rasa's cannot host) and
post `{"sender": "tg:<chat id>", "message": text, "metadata": {...}}` to
/webhooks/bridge/webhook with `Authorization: Bearer $BRIDGE_TOKEN`. Only this door may name a
`tg:` or `zalo:` conversation. Only metadata keys listed here get through, as short ASCII. A phone
number from a shared Telegram contact never reaches Rasa: it is handed to the verification
service, and the conversation receives the proof's id and the last 4 digits.
"""

from __future__ import annotations

import logging
import re

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import BRIDGE_SENDER, REPLIES, valid_sender
from bot.channels.rest import GuardedInput, Handler, bad_request, bearer, same_secret
from clients import Refused, ServiceUnavailable, VerificationClient
from core.settings import get_settings

LOG = logging.getLogger(__name__)
PASSED_METADATA = {"channel", "language_code"}
METADATA_VALUE = re.compile(r"[A-Za-z0-9_\-]{1,32}")
SHARED_PHONE_INTENT = "/shared_phone"


class BridgeInput(GuardedInput):
    @classmethod
    def name(cls) -> str:
        return "bridge"

    def __init__(self) -> None:
        super().__init__()
        self.token = get_settings().bridge_token

    async def phone_proof(self, sender: str, phone: str) -> dict[str, str] | None:
        """Hand the shared number to the verification service; None when it cannot be kept."""
        try:
            return await VerificationClient().phone_proof(sender, phone)
        except (ServiceUnavailable, Refused) as error:
            LOG.warning("phone proof not stored: %s", type(error).__name__)
            return None

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        hook = Blueprint("bridge", __name__)
        self.health(hook)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not same_secret(bearer(request), self.token):
                return response.json({"error": "unauthorised"}, status=401)
            body = self.body(request)
            if isinstance(body, HTTPResponse):
                return body
            sender = valid_sender(body.get("sender"), BRIDGE_SENDER)
            if sender is None:
                return bad_request("sender must look like tg:<id> or zalo:<id>")
            raw_metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            metadata = {
                key: value
                for key, value in raw_metadata.items()
                if key in PASSED_METADATA and valid_sender(value, METADATA_VALUE)
            }
            command = None
            shared_phone = raw_metadata.get("shared_phone")
            if shared_phone and sender.startswith("tg:"):  # Telegram vouches for its own contact only
                proof = await self.phone_proof(sender, str(shared_phone)[:32])
                if proof is None:
                    return response.json([{"recipient_id": sender, "text": REPLIES["busy"]}])
                metadata.update(phone_proof=proof["proof_id"], phone_last4=proof["phone_last4"])
                command = SHARED_PHONE_INTENT
            return response.json(await self.handle(on_new_message, sender, body.get("message"), metadata, command))

        return hook
