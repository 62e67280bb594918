"""The VNeID stand-in (demo mode only): the screen of the VNeID app where a person approves a request.

The verification service pushes each approval request here (`POST /requests`, with the `vneid`
credential) as it would push it to the citizen's VNeID app, and in demo mode the bot shows the
page's link, `GET /vneid/approvals/{id}/`. The person decides with the page's buttons (a form post),
or a script posts JSON `{"decision": "approve"}` (or `"deny"`) to `<link>decision`. The decision goes
back to the verification service by callback (`POST {VERIFICATION_URL}/identity/approvals/{id}/decision`)
and is kept here too, so the service can read it (`GET /requests/{id}`) if the callback was lost.
Requests live in memory: after a restart a person simply asks for a new one.

Whoever holds the link can approve: that is why this app never runs in production, where the
request goes to the registered citizen's own phone (services/identity/second_factor.py).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

import aiohttp
from aiohttp import web

from core.settings import Settings

LOG = logging.getLogger("services.vneid_standin")
MAX_REQUESTS = 10_000  # memory bound: expired requests are dropped first


@dataclass
class Pending:
    code: str
    expires_at: datetime
    status: str = "pending"  # approved | denied | expired | cancelled
    purpose: str = ""  # set when the person approves someone else's request (a relative's)
    device: str = ""  # which demo "phone" shows it: a relative's request is never linked in their chat

    def current(self, now: datetime) -> str:
        if self.status == "pending" and now >= self.expires_at:
            self.status = "expired"
        return self.status


REQUESTS = web.AppKey("requests", dict)
SETTINGS = web.AppKey("settings", Settings)
CLIENT = web.AppKey("client", aiohttp.ClientSession)


def _now() -> datetime:
    return datetime.utcnow()


def _authorised(request: web.Request) -> None:
    """Only the verification service, with the `vneid` credential, may push or withdraw requests."""
    token = request.app[SETTINGS].service_token
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        raise web.HTTPUnauthorized(
            text='{"error": "unauthorized"}', content_type="application/json", headers={"WWW-Authenticate": "Bearer"}
        )


async def health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def post_request(request: web.Request) -> web.Response:
    _authorised(request)
    try:
        body = await request.json()
        approval_id, code = str(body["approval_id"]), str(body["code"])
        expires_at = datetime.fromisoformat(str(body["expires_at"]).removesuffix("Z"))
    except (ValueError, KeyError, TypeError) as error:
        raise web.HTTPBadRequest(text='{"error": "bad_request"}', content_type="application/json") from error
    requests: dict[str, Pending] = request.app[REQUESTS]
    if len(requests) >= MAX_REQUESTS:
        now = _now()
        for stale in [key for key, item in requests.items() if item.current(now) != "pending"]:
            del requests[stale]
    if len(requests) >= MAX_REQUESTS:
        raise web.HTTPServiceUnavailable(text='{"error": "busy"}', content_type="application/json")
    requests[approval_id[:40]] = Pending(
        code=code[:8], expires_at=expires_at, purpose=str(body.get("purpose") or "")[:300],
        device=str(body.get("device") or "")[:40],
    )
    return web.json_response({"approval_id": approval_id}, status=201)


async def get_request(request: web.Request) -> web.Response:
    _authorised(request)
    found = request.app[REQUESTS].get(request.match_info["approval_id"])
    if found is None:
        raise web.HTTPNotFound(text='{"error": "not_found"}', content_type="application/json")
    return web.json_response({"status": found.current(_now())})


async def delete_request(request: web.Request) -> web.Response:
    _authorised(request)
    found = request.app[REQUESTS].get(request.match_info["approval_id"])
    if found is not None and found.current(_now()) == "pending":
        found.status = "cancelled"
    return web.Response(status=204)


def back_to_chat(webchat_url: str) -> str:
    """The web chat's address with the mark that makes it say what to do after the detour."""
    return webchat_url + ("&" if "?" in webchat_url else "?") + "tu=vneid"


def _page(request: web.Request, body: str) -> web.Response:
    back = escape(back_to_chat(request.app[SETTINGS].webchat_url), quote=True)
    html = (
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><title>VNeID (bản thử)</title>"
        "<style>body{font-family:system-ui,sans-serif;font-size:20px;line-height:1.45;margin:16px;color:#1b1b1b}"
        "h1{font-size:24px}button{font-size:20px;min-height:48px;padding:10px 18px;margin:6px 6px 6px 0;"
        "border-radius:10px;border:2px solid #1565c0;background:#fff;color:#0d47a1}"
        "button[value=approve]{background:#1565c0;color:#fff}"
        ".code{font-size:40px;letter-spacing:8px}"
        ".back{display:inline-block;margin-top:12px;padding:12px 18px;border-radius:10px;background:#1565c0;"
        "color:#fff;font-weight:600;text-decoration:none}</style></head><body><h1>VNeID — bản thử</h1>"
        f"{body}<p><a class='back' href='{back}'>Quay lại trò chuyện</a></p></body></html>"
    )
    return web.Response(text=html, content_type="text/html")


STATUS_WORDS = {"approved": "đã được đồng ý", "denied": "đã bị từ chối", "expired": "đã hết hạn", "cancelled": "đã hủy"}


async def get_page(request: web.Request) -> web.Response:
    """What the person sees in "VNeID": the code to compare with the chat, and two buttons."""
    found = request.app[REQUESTS].get(request.match_info["approval_id"])
    if found is None:
        return _page(request, "<p>Không tìm thấy yêu cầu này. Bác quay lại trò chuyện để xin yêu cầu mới.</p>")
    status = found.current(_now())
    if status != "pending":
        return _page(request, f"<p>Yêu cầu này {escape(STATUS_WORDS.get(status, status))}.</p>")
    asked = escape(found.purpose) if found.purpose else "Trợ lý An sinh xin xác nhận danh tính của Bác."
    form = (
        f"<p>{asked}</p>"
        f"<p>Mã yêu cầu: <span class='code'>{escape(found.code)}</span></p>"
        "<p>Chỉ bấm Đồng ý nếu mã này giống mã trợ lý đang hiển thị.</p>"
        "<form method='post' action='decision'><button name='decision' value='approve'>Đồng ý</button>"
        "<button name='decision' value='deny'>Từ chối</button></form>"
    )
    return _page(request, form)


async def get_device(request: web.Request) -> web.Response:
    """One person's "phone": the requests pushed to them about someone else (a relative asking to help).

    In demo mode this page stands for the beneficiary's own VNeID app; its address is a keyed hash of
    the person (services/identity/helpers.py), shown in the start-up banner, never in a chat.
    """
    device, now = request.match_info["device"], _now()
    mine = [(key, item) for key, item in request.app[REQUESTS].items()
            if item.device and item.device == device and item.current(now) == "pending"]  # fmt: skip
    if not mine:
        return _page(request, "<p>Điện thoại của Bác chưa có yêu cầu nào cần xác nhận.</p>")
    items = "".join(
        f"<li>{escape(item.purpose)} Mã: <b>{escape(item.code)}</b> — "
        f"<a href='../../approvals/{escape(key, quote=True)}/'>Xem và trả lời</a></li>"
        for key, item in mine
    )
    return _page(request, f"<p>Yêu cầu đang chờ Bác xác nhận:</p><ul>{items}</ul>")


async def _report(request: web.Request, approval_id: str, approve: bool) -> str | None:
    """Tell the verification service; its answer is the final status (None if it could not be reached)."""
    settings = request.app[SETTINGS]
    url = f"{settings.verification_url.rstrip('/')}/identity/approvals/{approval_id}/decision"
    try:
        async with request.app[CLIENT].post(
            url,
            json={"decision": "approve" if approve else "deny"},
            headers={"Authorization": f"Bearer {settings.service_token}"},
        ) as reply:
            body = await reply.json(content_type=None) if reply.status == 200 else {}
            if reply.status != 200:
                LOG.warning("the verification service answered %d to a decision", reply.status)
            return body.get("status") if isinstance(body, dict) else None
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        LOG.warning("decision not delivered (%s); the service reads it later", type(error).__name__)
        return None


async def post_decision(request: web.Request) -> web.Response:
    """The person's decision: the page's form post, or JSON `{"decision": "approve"}`."""
    as_json = request.content_type == "application/json"
    try:
        fields: Any = await request.json() if as_json else await request.post()
    except ValueError:
        fields = {}
    decision = fields.get("decision") if hasattr(fields, "get") else None
    approval_id = request.match_info["approval_id"]
    found = request.app[REQUESTS].get(approval_id)
    if decision not in ("approve", "deny") or found is None:
        status, code = (400, "bad_decision") if found is not None else (404, "approval_not_found")
        if as_json:
            return web.json_response({"error": code}, status=status)
        return _page(request, "<p>Không tìm thấy yêu cầu này.</p>")
    if found.current(_now()) == "pending":
        found.status = "approved" if decision == "approve" else "denied"
        found.status = await _report(request, approval_id, decision == "approve") or found.status
    if as_json:
        return web.json_response({"approval_id": approval_id, "status": found.status})
    done = {
        "approved": 'Đã đồng ý. Bác bấm "Quay lại trò chuyện", rồi bấm "Xong rồi" để trợ lý kiểm tra nhé.',
        "denied": "Đã từ chối.",
    }
    text = done.get(found.status) or f"Yêu cầu này {STATUS_WORDS.get(found.status, found.status)}."
    return _page(request, f"<p>{escape(text)}</p>")


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=16 * 1024)
    app[SETTINGS] = settings
    app[REQUESTS] = {}

    async def client(app: web.Application) -> Any:
        app[CLIENT] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=settings.service_timeout_s))
        yield
        await app[CLIENT].close()

    app.cleanup_ctx.append(client)
    app.router.add_get("/health", health)
    app.router.add_post("/requests", post_request)
    app.router.add_get("/requests/{approval_id}", get_request)
    app.router.add_delete("/requests/{approval_id}", delete_request)
    app.router.add_get("/vneid/approvals/{approval_id}/", get_page)
    app.router.add_get("/vneid/devices/{device}/", get_device)
    app.router.add_post("/vneid/approvals/{approval_id}/decision", post_decision)
    app.router.add_post("/vneid/approvals/{approval_id}//decision", post_decision)  # "<link>/decision"
    return app
