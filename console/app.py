"""The agent console's web app (aiohttp, server-rendered pages, a few lines of script).

Pages: /login, / (the queue, refreshed every 5 s), /conversations/{id} (summary, transcript,
suggestions, reply box, hand back), /lookup (a beneficiary by CCCD, reason required), /helpers
(family helpers' authorisations of a person, recording a paper giấy ủy quyền, revoking). Every POST
carries the session's CSRF token; the session cookie is HttpOnly and SameSite=Strict. Identifiers
are masked unless the agent reveals them with a reason, which the handoff service audits.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import secrets
import time
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import Any, Awaitable, Callable

import aiohttp
from aiohttp import web

from clients import HandoffClient, NotFound, Refused, ServiceUnavailable, VerificationClient
from console.users import Staff, StaffSession, UserStore
from core.formatting import money
from core.handoff import BACK_TO_BOT, staff_ticket
from core.rules import load_yaml
from core.settings import Settings, get_settings

LOG = logging.getLogger("console")
COOKIE = "tlas_console"
LOGIN_COOKIE = "tlas_console_login"  # CSRF of the login form itself, before any session exists
STORE = web.AppKey("users", UserStore)
HANDOFF = web.AppKey("handoff", HandoffClient)
VERIFICATION = web.AppKey("verification", VerificationClient)
ASSIST = web.AppKey("assist", object)
SUGGESTIONS = web.AppKey("suggestions", dict)
SESSION = "staff_session"
CHANNELS = {"web": "Web chat", "tg": "Telegram", "zalo": "Zalo", "rest": "Tích hợp"}
STATUSES = {"waiting": "Đang chờ", "active": "Đang xử lý", "closed": "Đã trả lại trợ lý"}
REASONS = {"asked": "Khách yêu cầu", "not_understood": "Trợ lý không hiểu 2 lần"}
AUTHORS = {"person": "Khách", "agent": "Tổng đài viên", "bot": "Trợ lý"}
FACT_NAMES = {
    "beneficiary_group": "Nhóm đối tượng", "disability_level": "Mức khuyết tật",
    "eligibility_facts": "Thông tin đã nói",
    "eligibility_context": "Ngữ cảnh", "month": "Tháng hỏi", "commune": "Xã/phường", "provider": "Ngân hàng/ví",
    "pending_goal": "Việc đang làm dở",
}  # fmt: skip
PAYMENT_STATUSES = {
    "listed": "Có tên trong danh sách", "approved": "Đã duyệt", "sent_to_treasury": "Đã chuyển Kho bạc",
    "sent_to_bank": "Đã chuyển ngân hàng", "paid": "Đã vào tài khoản", "failed": "Chuyển không thành công",
    "returned": "Bị trả lại", "cash_at_commune": "Nhận tiền mặt ở xã",
}  # fmt: skip
PAYMENT_CHANNELS = {"bank": "Ngân hàng", "mobile_money": "Ví điện tử", "cash": "Tiền mặt"}
LINK_STATUSES = {"pending": "Đang chờ", "verified": "Đã liên kết", "refused": "Bị từ chối", "replaced": "Đã thay"}
SUGGESTION_CACHE = 500
# Who the helped person is to the helper (services/identity/helpers.py RELATIONS), as staff read a paper.
RELATIONS = {
    "mother": "Mẹ", "father": "Bố", "grandmother": "Bà", "grandfather": "Ông", "spouse": "Vợ/chồng",
    "sibling": "Anh/chị/em", "aunt_uncle": "Cô/dì/chú/bác", "child": "Con", "grandchild": "Cháu", "other": "Khác",
}  # fmt: skip
SCOPES = {"view": "Chỉ xem thông tin chi trả", "act": "Xem và làm thủ tục (liên kết tài khoản, nhận tin báo)"}
AUTH_STATES = {"pending": "Chờ người hưởng duyệt", "active": "Đang hiệu lực", "expired": "Hết hạn",
               "revoked": "Đã thu hồi", "denied": "Người hưởng từ chối"}  # fmt: skip
AUTH_SOURCES = {"paper": "Giấy ủy quyền", "vneid": "Duyệt trên VNeID"}
PAPER_REFUSALS = {
    "bad_dates": "Ngày ký không được sau hôm nay, ngày hết hạn phải sau hôm nay.",
    "self": "Người giúp và người hưởng là cùng một người.",
    "too_many_helpers": "Người hưởng đã có đủ số người giúp tối đa; cần thu hồi một ủy quyền trước.",
    "bad_relation": "Xin chọn quan hệ.", "bad_scope": "Xin chọn phạm vi.",
}  # fmt: skip
PAGES = re.compile(r"/(?:|lookup|helpers|assistant|conversations/\d+)")

STATIC_DIR = Path(__file__).resolve().parent / "static"


ROLE_NAMES = {"supervisor": "giám sát", "agent": "tổng đài viên"}
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; form-action 'self'; frame-ancestors 'none'",
}


def page(title: str, body: str, session: StaffSession | None = None, refresh: int | None = None) -> web.Response:
    """A whole page: the bar (for a logged-in staff member), the body, the console's CSS and script."""
    bar = ""
    if session is not None:
        who = f"{escape(session.staff.login)} ({ROLE_NAMES.get(session.staff.role, session.staff.role)})"
        bar = (
            '<a href="/">Hàng chờ</a><a href="/lookup">Tra cứu CCCD</a><a href="/helpers">Ủy quyền</a>'
            f'<a href="/assistant" target="_blank">Hỏi trợ lý cho khách</a><span>{who}</span>'
            f'<form method="post" action="/logout">{csrf_field(session)}<button>Đăng xuất</button></form>'
        )
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    html = (
        f'<!doctype html><html lang="vi"><head><meta charset="utf-8">{meta}'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)} — Bàn tổng đài</title><link rel="stylesheet" href="/static/console.css"></head>'
        f"<body><header><strong>Bàn tổng đài An sinh</strong>{bar}</header><main>{body}</main>"
        '<script src="/static/console.js"></script></body></html>'
    )
    return web.Response(text=html, content_type="text/html", headers=SECURITY_HEADERS)


def csrf_field(session: StaffSession) -> str:
    return f'<input type="hidden" name="csrf" value="{escape(session.csrf)}">'


def waited(seconds: int) -> str:
    minutes, secs = divmod(max(0, int(seconds)), 60)
    return f"{minutes} phút {secs:02d} giây" if minutes else f"{secs} giây"


class AssistClient:
    """The Rasa server's assist door: the bot's top intents and its reply for one message."""

    def __init__(self, settings: Settings) -> None:
        self.url = f"{settings.rasa_url}/webhooks/assist/suggest"
        self.headers = {"Authorization": f"Bearer {settings.assist_token}"}
        self.timeout = aiohttp.ClientTimeout(total=settings.turn_timeout_s + 2)
        self._session: aiohttp.ClientSession | None = None

    async def suggest(self, text: str) -> dict[str, Any] | None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        try:
            async with self._session.post(self.url, json={"message": text}, headers=self.headers) as reply:
                return await reply.json() if reply.status == 200 else None
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            LOG.warning("assist not reached: %s", type(error).__name__)
            return None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def staff_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every page but login and health needs a live session; every POST its CSRF token."""
    if request.path in ("/login", "/health") or request.path.startswith("/static/"):
        return await handler(request)
    session = request.app[STORE].session(request.cookies.get(COOKIE, ""))
    if session is None:
        if request.method == "GET" and PAGES.fullmatch(request.path):
            raise web.HTTPSeeOther("/login")
        raise web.HTTPUnauthorized(text="Xin đăng nhập.")
    if request.method == "POST":
        form = await request.post()
        if not hmac.compare_digest(str(form.get("csrf", "")).encode(), session.csrf.encode()):
            raise web.HTTPForbidden(text="Phiên làm việc không hợp lệ, xin tải lại trang.")
    request[SESSION] = session
    return await handler(request)


async def health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def login_page(request: web.Request, error: str = "") -> web.Response:
    # One token per browser (a second tab or a background request must not outdate the first form).
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    body = (
        '<div class="card" style="max-width:380px;margin:40px auto"><h1>Đăng nhập</h1>'
        + (f'<p class="warn">{escape(error)}</p>' if error else "")
        + '<form method="post" action="/login">'
        f'<input type="hidden" name="csrf" value="{token}">'
        '<p><label>Tên đăng nhập<br><input type="text" name="login" autocomplete="username" required></label></p>'
        '<p><label>Mật khẩu<br><input type="password" name="password" autocomplete="current-password" required>'
        "</label></p>"
        "<button>Đăng nhập</button></form></div>"
    )
    response = page("Đăng nhập", body)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="Strict", max_age=1800, path="/login")
    return response


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(str(form.get("csrf", "")).encode(), expected.encode()):
        return await login_page(request, "Trang đăng nhập đã cũ, xin thử lại.")
    staff = await asyncio.to_thread(
        request.app[STORE].authenticate, str(form.get("login", "")).strip().lower(), str(form.get("password", ""))
    )
    if staff is None:
        return await login_page(request, "Sai tên đăng nhập hoặc mật khẩu (sau 5 lần sai, tài khoản bị khóa 15 phút).")
    session = request.app[STORE].start_session(staff)
    response = web.HTTPSeeOther("/")
    secure = request.headers.get("X-Forwarded-Proto", request.scheme) == "https"
    response.set_cookie(COOKIE, session.token, httponly=True, samesite="Strict", secure=secure, path="/")
    response.del_cookie(LOGIN_COOKIE, path="/login")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    request.app[STORE].end_session(request[SESSION].token)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


async def queue_page(request: web.Request) -> web.Response:
    session: StaffSession = request[SESSION]
    try:
        rows = await request.app[HANDOFF].queue(include_closed=session.staff.role == "supervisor")
    except ServiceUnavailable:
        return page(
            "Hàng chờ", '<p class="warn">Dịch vụ hàng chờ không trả lời. Trang tự tải lại sau 5 giây.</p>', session, 5
        )
    lines = []
    for row in rows:
        lines.append(
            f'<tr><td><a href="/conversations/{row["id"]}">#{row["id"]}</a></td>'
            f"<td>{escape(CHANNELS.get(row['channel'], row['channel']))}</td>"
            f"<td>{escape(STATUSES.get(row['status'], row['status']))}"
            f"{' — ' + escape(row['taken_by']) if row['taken_by'] else ''}</td>"
            f"<td>{escape(REASONS.get(row['reason'], row['reason']))}{' · gọi lại' if row['callback'] else ''}</td>"
            f"<td>{waited(row['waiting_s'])}</td><td>{escape(row.get('last_message') or '')}</td></tr>"
        )
    table = (
        "<table><tr><th>Hội thoại</th><th>Kênh</th><th>Trạng thái</th><th>Lý do</th><th>Chờ</th>"
        "<th>Tin nhắn cuối</th></tr>"
        + "".join(lines) + "</table>"
        if lines else "<p>Không có ai đang chờ.</p>"
    )  # fmt: skip
    return page(
        "Hàng chờ", f"<h1>Hàng chờ ({len([r for r in rows if r['status'] != 'closed'])})</h1>{table}", session, 5
    )


async def suggestion(request: web.Request, message: dict[str, Any]) -> dict[str, Any] | None:
    """The bot's reading of one message of the person, computed once."""
    cache: dict[int, dict[str, Any] | None] = request.app[SUGGESTIONS]
    if message["id"] not in cache:
        cache[message["id"]] = await request.app[ASSIST].suggest(message["text"])  # type: ignore[attr-defined]
        while len(cache) > SUGGESTION_CACHE:
            cache.pop(next(iter(cache)))
    return cache[message["id"]]


def reason_text(code: str | None) -> str:
    """A refusal reason as the agent reads it to the person (core/rules/link_reasons.yaml)."""
    if not code:
        return ""
    return str((load_yaml("link_reasons.yaml").get(code) or {}).get("title") or code)


def summary_card(conversation: dict[str, Any]) -> str:
    summary = conversation.get("summary") or {}
    person = summary.get("person")
    lines = [
        f"<p><b>Kênh:</b> {escape(CHANNELS.get(conversation['channel'], conversation['channel']))} · "
        f"<b>Lý do:</b> {escape(REASONS.get(conversation['reason'], conversation['reason']))}"
        f"{' · <b class=warn>Ngoài giờ: cần gọi lại</b>' if conversation['callback'] else ''}</p>",
        "<p><b>Xác thực:</b> "
        + (
            f"đã xác thực — {escape(person['name'])}, {escape(person['commune'])}, {escape(person['province'])}, "
            f"CCCD đuôi {escape(person['cccd_last4'])}, nhóm {escape(person['group_code'])}"
            if person else "chưa xác thực"
        )
        + "</p>",
    ]  # fmt: skip
    if summary.get("subject"):
        lines.append(f"<p><b>Hỏi cho:</b> {escape(str(summary['subject']))}</p>")
    facts = summary.get("facts") or {}
    if facts:
        lines.append(
            "<ul>"
            + "".join(f"<li>{escape(FACT_NAMES.get(k, k))}: {escape(str(v))}</li>" for k, v in facts.items())
            + "</ul>"
        )
    intents = summary.get("last_intents") or []
    if intents:
        lines.append(
            "<p><b>Ý định gần đây:</b> "
            + ", ".join(f"{escape(i['intent'])} ({float(i['confidence']):.0%})" for i in intents)
            + "</p>"
        )
    return '<div class="card" id="summary"><h2>Trợ lý đã biết</h2>' + "".join(lines) + "</div>"


async def conversation_page(request: web.Request, revealed: dict[str, Any] | None = None) -> web.Response:
    session: StaffSession = request[SESSION]
    handoff_id = int(request.match_info["handoff_id"])
    try:
        conversation = revealed or await request.app[HANDOFF].conversation(handoff_id)
    except NotFound:
        raise web.HTTPNotFound(text="Không có hội thoại này.") from None
    except ServiceUnavailable:
        return page(
            "Hội thoại", '<p class="warn">Dịch vụ hàng chờ không trả lời, xin tải lại sau ít phút.</p>', session
        )
    csrf = csrf_field(session)
    persons = [m for m in conversation["messages"] if m["author"] == "person"]
    transcript = (
        "".join(
            f'<div class="msg {m["author"]}"><div class="who">{escape(AUTHORS.get(m["author"], m["author"]))}'
            f"{' ' + escape(m['agent']) if m.get('agent') else ''} · {escape(m['at'][11:16])}</div>"
            f"{escape(m['text'])}</div>"
            for m in conversation["messages"]
        )
        or '<p class="muted">Khách chưa nhắn gì thêm.</p>'
    )
    suggestions = ""
    if persons and conversation["status"] != "closed":
        latest = persons[-1]
        found = await suggestion(request, latest) if revealed is None else None
        if found:
            intents = ", ".join(f"{escape(i['intent'])} {float(i['confidence']):.0%}" for i in found.get("intents", []))
            replies = "".join(
                f'<div class="sugg"><p>{escape(r["text"])}</p>'
                + (f'<p class="muted">Nút: {escape(" | ".join(filter(None, r["buttons"])))}</p>' * bool(r["buttons"]))
                + f'<button type="button" class="insert" data-text="{escape(r["text"])}">'
                + "Chèn vào ô trả lời</button></div>"
                for r in found.get("replies", [])
            )  # fmt: skip
            suggestions = (
                '<div class="card" id="assist"><h2>Gợi ý của trợ lý</h2>'
                f'<p class="muted">Cho tin nhắn: «{escape(latest["text"])}»</p>'
                f"<p><b>Ý định:</b> {intents}</p>{replies}</div>"
            )
    actions = ""
    if conversation["status"] != "closed":
        take = (
            f'<form method="post" action="/conversations/{handoff_id}/take">{csrf}'
            "<button>Nhận hội thoại</button></form>"
            if conversation["status"] == "waiting" else ""
        )  # fmt: skip
        actions = (
            f'<div class="card">{take}<form method="post" action="/conversations/{handoff_id}/reply">{csrf}'
            '<label for="reply"><b>Trả lời khách</b></label>'
            '<textarea id="reply" name="text" maxlength="2000" required></textarea>'
            '<button id="send">Gửi</button></form></div>'
            f'<div class="card"><form method="post" action="/conversations/{handoff_id}/close">{csrf}'
            '<label><input type="checkbox" name="end_session" value="1"> Kết thúc phiên xác thực của khách</label> '
            '<button id="handback">Trả lại cho trợ lý</button></form></div>'
        )
    reveal = (
        f'<div class="card"><form method="post" action="/conversations/{handoff_id}/reveal">{csrf}'
        "<label>Lý do xem số đầy đủ (được ghi nhật ký)"
        '<input type="text" name="reason" required maxlength="200"></label>'
        "<button>Hiện số đầy đủ</button></form></div>"
        if revealed is None else '<p class="warn">Đang hiện số đầy đủ — việc xem đã được ghi nhật ký.</p>'
    )  # fmt: skip
    status = STATUSES.get(conversation["status"], conversation["status"])
    body = (
        f'<h1>Hội thoại #{handoff_id} — {escape(status)}</h1><div class="grid"><div>'
        f'<div class="card" id="transcript"><h2>Tin nhắn</h2>{transcript}</div>{suggestions}{actions}</div>'
        f"<div>{summary_card(conversation)}{reveal}"
        f"<p class=muted>Đã chờ {waited(conversation['waiting_s'])}</p></div></div>"
    )
    return page(f"Hội thoại #{handoff_id}", body, session)


async def _act(
    request: web.Request, work: Callable[[HandoffClient, int, Staff, Any], Awaitable[Any]]
) -> web.StreamResponse:
    session: StaffSession = request[SESSION]
    handoff_id = int(request.match_info["handoff_id"])
    form = await request.post()
    try:
        await work(request.app[HANDOFF], handoff_id, session.staff, form)
    except Refused as error:
        message = {"taken": "Hội thoại đã có người khác nhận.", "handoff_closed": "Hội thoại đã trả lại trợ lý."}
        why = escape(message.get(error.code, "Yêu cầu không hợp lệ."))
        back = f'<p><a href="/conversations/{handoff_id}">Quay lại hội thoại</a></p>'
        return page("Không thực hiện được", f'<p class="warn">{why}</p>{back}', session)
    except ServiceUnavailable:
        return page("Không thực hiện được", '<p class="warn">Dịch vụ không trả lời, xin thử lại.</p>', session)
    raise web.HTTPSeeOther(f"/conversations/{handoff_id}")


async def take(request: web.Request) -> web.StreamResponse:
    return await _act(request, lambda client, hid, staff, _form: client.take(hid, staff.login))


async def reply(request: web.Request) -> web.StreamResponse:
    async def send(client: HandoffClient, hid: int, staff: Staff, form: Any) -> None:
        text = str(form.get("text", "")).strip()
        if text:
            await client.reply(hid, staff.login, text[:2000])

    return await _act(request, send)


async def close(request: web.Request) -> web.StreamResponse:
    async def hand_back(client: HandoffClient, hid: int, staff: Staff, form: Any) -> None:
        await client.close(hid, staff.login, notice=BACK_TO_BOT, end_session=form.get("end_session") == "1")

    response = await _act(request, hand_back)
    return response


async def reveal(request: web.Request) -> web.Response:
    session: StaffSession = request[SESSION]
    form = await request.post()
    reason = str(form.get("reason", "")).strip()[:200]
    if not reason:
        return page("Cần lý do", '<p class="warn">Xin ghi lý do xem số đầy đủ.</p>', session)
    revealed = await request.app[HANDOFF].reveal(int(request.match_info["handoff_id"]), session.staff.login, reason)
    return await conversation_page(request, revealed)


async def assistant(request: web.Request) -> web.StreamResponse:
    """Agent mode: the web chat opened as this staff member, to ask the bot for a customer on the phone."""
    settings = get_settings()
    ticket = staff_ticket(request[SESSION].staff.login, settings.assist_token, time.time())
    raise web.HTTPSeeOther(f"{settings.webchat_url.rsplit('/', 1)[0]}/staff?ticket={ticket}")


async def lookup_page(request: web.Request, result: str = "") -> web.Response:
    session: StaffSession = request[SESSION]
    body = (
        '<h1>Tra cứu người hưởng theo CCCD</h1><div class="card"><form method="post" action="/lookup">'
        f'{csrf_field(session)}<p><label>Số CCCD (12 số)<input type="text" name="cccd" inputmode="numeric" '
        'pattern="[0-9]{12}" required autocomplete="off"></label></p><p><label>Lý do tra cứu (được ghi nhật ký)'
        '<input type="text" name="reason" required maxlength="200" '
        'placeholder="VD: khách gọi tổng đài hỏi tiền tháng 9">'
        "</label></p><button>Tra cứu</button></form></div>" + result
    )
    return page("Tra cứu", body, session)


async def lookup(request: web.Request) -> web.Response:
    session: StaffSession = request[SESSION]
    form = await request.post()
    cccd, reason = "".join(str(form.get("cccd", "")).split()), str(form.get("reason", "")).strip()[:200]
    if len(cccd) != 12 or not cccd.isdigit() or not reason:
        return await lookup_page(request, '<p class="warn">CCCD có đúng 12 chữ số, và cần ghi lý do tra cứu.</p>')
    try:
        found = await request.app[HANDOFF].lookup(cccd, session.staff.login, reason)
    except ServiceUnavailable:
        return await lookup_page(request, '<p class="warn">Dịch vụ không trả lời, xin thử lại.</p>')
    if found is None:
        return await lookup_page(
            request, '<p class="warn" id="lookup-result">Không có người hưởng với số CCCD này.</p>'
        )
    payments = "".join(
        f"<tr><td>{escape(p.get('period', ''))}</td><td>{escape(p.get('program', ''))}</td>"
        f"<td>{escape(money(int(p.get('amount_vnd') or 0)))}</td>"
        f"<td>{escape(PAYMENT_STATUSES.get(p.get('status', ''), p.get('status', '')))}</td>"
        f"<td>{escape(PAYMENT_CHANNELS.get(p.get('channel') or '', p.get('channel') or ''))}</td></tr>"
        for p in found["payments"]
    )
    links = "".join(
        f"<tr><td>{escape(link['provider'])}</td><td>{escape(link['account_masked'])}</td>"
        f"<td>{escape(LINK_STATUSES.get(link['status'], link['status']))}</td>"
        f"<td>{escape(reason_text(link.get('reason_code')))}</td></tr>"
        for link in found["link_requests"]
    )
    result = (
        f'<div class="card" id="lookup-result"><h2>{escape(found["full_name"])} (sinh năm {found["birth_year"]})</h2>'
        f"<p>CCCD {escape(found['cccd_masked'])} · ĐT {escape(found.get('phone_masked') or '—')} · "
        f"{escape(found['commune'])}, {escape(found['province'])} · nhóm {escape(found['group_code'])}</p>"
        "<h3>Chi trả</h3><table><tr><th>Kỳ</th><th>Chương trình</th><th>Số tiền</th><th>Trạng thái</th>"
        f"<th>Hình thức</th></tr>{payments}</table><h3>Liên kết tài khoản</h3>"
        f"<table><tr><th>Ngân hàng/ví</th><th>Số</th><th>Trạng thái</th><th>Lý do</th></tr>{links}</table>"
        '<p class="muted">Lần tra cứu này đã được ghi nhật ký.</p></div>'
    )
    return await lookup_page(request, result)


def _cccd(value: Any) -> str | None:
    digits = "".join(str(value or "").split())
    return digits if len(digits) == 12 and digits.isdigit() and digits.isascii() else None


def _options(choices: dict[str, str], chosen: str = "") -> str:
    return "".join(
        f'<option value="{key}"{" selected" if key == chosen else ""}>{escape(label)}</option>'
        for key, label in choices.items()
    )


def authorisations_table(rows: list[dict[str, Any]], cccd: str, session: StaffSession) -> str:
    """One person's authorisations, both ways, with a revoke button on those still live."""
    if not rows:
        return '<p id="helpers-result">Người này chưa giúp ai và chưa có ai được ủy quyền giúp.</p>'
    lines = []
    for row in rows:
        live = row["state"] in ("pending", "active")
        revoke = (
            f'<form method="post" action="/helpers/{int(row["id"])}/revoke">{csrf_field(session)}'
            f'<input type="hidden" name="cccd" value="{escape(cccd)}"><button>Thu hồi</button></form>'
            if live else ""
        )  # fmt: skip
        lines.append(
            f"<tr><td>{escape(row['helper_name'])}</td>"
            f"<td>{escape(row['full_name'])} (CCCD đuôi {escape(row['cccd_last4'])})</td>"
            f"<td>{escape(RELATIONS.get(row['relation'], row['relation']))}</td>"
            f"<td>{escape(SCOPES.get(row['scope'], row['scope']))}</td>"
            f"<td>{escape(AUTH_STATES.get(row['state'], row['state']))}</td>"
            f"<td>{escape(AUTH_SOURCES.get(row['source'], row['source'] or ''))}"
            f"{' ' + escape(row['document_ref']) if row.get('document_ref') else ''}</td>"
            f"<td>{escape(row['expires_at'][:10])}</td><td>{int(row.get('uses') or 0)}</td><td>{revoke}</td></tr>"
        )
    return (
        '<div class="card" id="helpers-result"><table><tr><th>Người giúp</th><th>Người hưởng</th>'
        "<th>Người hưởng là … của người giúp</th><th>Phạm vi</th><th>Trạng thái</th><th>Nguồn</th>"
        "<th>Hết hạn</th><th>Số lần dùng</th><th></th></tr>" + "".join(lines) + "</table>"
        '<p class="muted">Lần xem này đã được ghi nhật ký.</p></div>'
    )


async def helpers_page(request: web.Request, result: str = "", form: Any = None) -> web.Response:
    """Search a person's authorisations; record a paper giấy ủy quyền the agent has checked."""
    session: StaffSession = request[SESSION]
    form = form or {}
    today = date.today()

    def value(name: str, default: str = "") -> str:
        return escape(str(form.get(name, default)))

    csrf = csrf_field(session)
    body = (
        "<h1>Ủy quyền cho người thân</h1>"
        '<div class="card"><h2>Xem ủy quyền của một người</h2><form method="post" action="/helpers/search">'
        f'{csrf}<p><label>CCCD người hưởng hoặc người giúp (12 số)<input type="text" name="cccd" '
        f'inputmode="numeric" required autocomplete="off"></label></p>'
        "<button>Xem</button></form></div>" + result
        + '<div class="card"><h2>Ghi giấy ủy quyền đã kiểm tra</h2>'
        '<p class="muted">Chỉ ghi khi đã thấy bản giấy ủy quyền có xác nhận. Ủy quyền có hiệu lực ngay.</p>'
        f'<form method="post" action="/helpers/record">{csrf}'
        '<p><label>CCCD người hưởng (người ủy quyền)<input type="text" name="beneficiary_cccd" inputmode="numeric" '
        f'required autocomplete="off" value="{value("beneficiary_cccd")}"></label></p>'
        '<p><label>CCCD người giúp (người được ủy quyền)<input type="text" name="helper_cccd" inputmode="numeric" '
        f'required autocomplete="off" value="{value("helper_cccd")}"></label></p>'
        '<p><label>Người hưởng là … của người giúp<select name="relation" required>'
        f'{_options(RELATIONS, str(form.get("relation", "")))}</select></label></p>'
        '<p><label>Phạm vi<select name="scope" required>'
        f'{_options(SCOPES, str(form.get("scope", "view")))}</select></label></p>'
        '<p><label>Số giấy ủy quyền<input type="text" name="document_ref" required maxlength="60" '
        f'placeholder="VD: 27/UQ-UBND" value="{value("document_ref")}"></label></p>'
        '<p><label>Ngày ký<input type="date" name="document_date" required '
        f'value="{value("document_date", today.isoformat())}"></label></p>'
        '<p><label>Hết hạn ngày<input type="date" name="expires_on" required '
        f'value="{value("expires_on", (today + timedelta(days=365)).isoformat())}"></label></p>'
        '<p><label>Người kiểm tra giấy<input type="text" name="recorded_by" required maxlength="80" '
        f'value="{value("recorded_by", session.staff.login)}"></label></p>'
        "<button>Ghi ủy quyền</button></form></div>"
    )  # fmt: skip
    return page("Ủy quyền", body, session)


async def _authorisations(request: web.Request, cccd: str) -> str:
    """The result card for one CCCD, or a warning."""
    try:
        rows = await request.app[VERIFICATION].staff_authorisations(cccd, request[SESSION].staff.login)
    except ServiceUnavailable:
        return '<p class="warn" id="helpers-result">Dịch vụ không trả lời, xin thử lại.</p>'
    if rows is None:
        return '<p class="warn" id="helpers-result">Không có người hưởng với số CCCD này.</p>'
    return authorisations_table(rows, cccd, request[SESSION])


async def helpers_search(request: web.Request) -> web.Response:
    form = await request.post()
    cccd = _cccd(form.get("cccd"))
    if cccd is None:
        return await helpers_page(request, '<p class="warn" id="helpers-result">CCCD có đúng 12 chữ số.</p>', form)
    return await helpers_page(request, await _authorisations(request, cccd))


async def helpers_record(request: web.Request) -> web.Response:
    session: StaffSession = request[SESSION]
    form = await request.post()
    beneficiary, helper = _cccd(form.get("beneficiary_cccd")), _cccd(form.get("helper_cccd"))
    fields = ("relation", "scope", "document_ref", "document_date", "expires_on", "recorded_by")
    paper = {name: str(form.get(name, "")).strip() for name in fields}
    kept = {**paper, "beneficiary_cccd": form.get("beneficiary_cccd", ""), "helper_cccd": form.get("helper_cccd", "")}
    if beneficiary is None or helper is None or not all(paper.values()):
        warn = '<p class="warn" id="helpers-result">Xin điền đủ các ô; mỗi CCCD có đúng 12 chữ số.</p>'
        return await helpers_page(request, warn, kept)
    try:
        await request.app[VERIFICATION].record_paper(
            {**paper, "beneficiary_cccd": beneficiary, "helper_cccd": helper}, session.staff.login
        )
    except NotFound:
        warn = '<p class="warn" id="helpers-result">Một trong hai số CCCD không có trong danh sách người hưởng.</p>'
        return await helpers_page(request, warn, kept)
    except Refused as error:
        why = PAPER_REFUSALS.get(error.code, "Thông tin chưa hợp lệ, xin kiểm tra lại các ô.")
        return await helpers_page(request, f'<p class="warn" id="helpers-result">{escape(why)}</p>', kept)
    except ServiceUnavailable:
        warn = '<p class="warn" id="helpers-result">Dịch vụ không trả lời, xin thử lại.</p>'
        return await helpers_page(request, warn, kept)
    done = '<p class="ok">Đã ghi ủy quyền; có hiệu lực từ tin nhắn tiếp theo của người giúp.</p>'
    return await helpers_page(request, done + await _authorisations(request, beneficiary))


async def helpers_revoke(request: web.Request) -> web.Response:
    form = await request.post()
    cccd = _cccd(form.get("cccd")) or ""
    try:
        await request.app[VERIFICATION].staff_revoke(int(request.match_info["authorisation_id"]),
                                                     request[SESSION].staff.login)  # fmt: skip
    except NotFound:
        return await helpers_page(request, '<p class="warn" id="helpers-result">Không có ủy quyền này.</p>')
    except ServiceUnavailable:
        warn = '<p class="warn" id="helpers-result">Dịch vụ không trả lời, xin thử lại.</p>'
        return await helpers_page(request, warn)
    done = '<p class="ok">Đã thu hồi; có hiệu lực từ tin nhắn tiếp theo.</p>'
    return await helpers_page(request, done + (await _authorisations(request, cccd) if cccd else ""))


def create_app(settings: Settings | None = None, store: UserStore | None = None) -> web.Application:
    settings = settings or get_settings()
    app = web.Application(middlewares=[staff_only], client_max_size=64 * 1024)
    app[STORE] = store or UserStore()
    app[HANDOFF] = HandoffClient(settings.handoff_url)
    app[VERIFICATION] = VerificationClient(settings.verification_url)
    app[ASSIST] = AssistClient(settings)
    app[SUGGESTIONS] = {}
    app.router.add_get("/health", health)
    app.router.add_static("/static/", STATIC_DIR)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/", queue_page)
    app.router.add_get(r"/conversations/{handoff_id:\d+}", conversation_page)
    app.router.add_post(r"/conversations/{handoff_id:\d+}/take", take)
    app.router.add_post(r"/conversations/{handoff_id:\d+}/reply", reply)
    app.router.add_post(r"/conversations/{handoff_id:\d+}/close", close)
    app.router.add_post(r"/conversations/{handoff_id:\d+}/reveal", reveal)
    app.router.add_get("/lookup", lookup_page)
    app.router.add_get("/assistant", assistant)
    app.router.add_post("/lookup", lookup)
    app.router.add_get("/helpers", helpers_page)
    app.router.add_post("/helpers/search", helpers_search)
    app.router.add_post("/helpers/record", helpers_record)
    app.router.add_post(r"/helpers/{authorisation_id:\d+}/revoke", helpers_revoke)

    async def cleanup(app: web.Application) -> None:
        await app[ASSIST].close()  # type: ignore[attr-defined]
        app[STORE].close()

    app.on_cleanup.append(cleanup)
    return app
