"""Every setting of the project, read from the environment in one place.

The defaults make `make run` work on a fresh clone: SQLite files under `var/`, all processes on
127.0.0.1. Production switches to PostgreSQL and Redis by setting the URLs below (see README).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TLAS_VAR_DIR", ROOT / "var"))


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _hours(name: str, default: str) -> tuple[int, int] | None:
    """Quiet hours as "21-7" (from 21:00 to 07:00, Vietnam time); "off" or empty for none."""
    text = os.environ.get(name, default).strip().lower()
    if text in ("", "off", "none"):
        return None
    start, _, end = text.partition("-")
    try:
        hours = int(start), int(end)
    except ValueError:
        raise ValueError(f'{name} must look like "21-7" or be "off", not {text!r}') from None
    if not all(0 <= hour <= 23 for hour in hours):
        raise ValueError(f"{name}: hours are 0 to 23")
    return hours


COMPONENTS = ("actions", "channels", "operator", "console", "vneid")  # who may call the services API
MODES = ("demo", "production")


def _mode() -> str:
    mode = os.environ.get("TLAS_MODE", "demo").strip().lower() or "demo"
    if mode not in MODES:
        raise ValueError(f"TLAS_MODE must be demo or production, not {mode!r}")
    return mode


def _tokens(name: str) -> dict[str, str]:
    """Credentials per calling component, "actions=…,channels=…"; short or unknown ones are refused."""
    tokens: dict[str, str] = {}
    for part in filter(None, (item.strip() for item in os.environ.get(name, "").split(","))):
        component, _, token = part.partition("=")
        component, token = component.strip(), token.strip()
        if component not in COMPONENTS:
            raise ValueError(f"{name}: unknown component {component!r} (known: {', '.join(COMPONENTS)})")
        if len(token) < 16:
            raise ValueError(f"{name}: the token of {component} must have at least 16 characters")
        tokens[component] = token
    return tokens


def _keys(name: str) -> tuple[str, ...]:
    return tuple(filter(None, (key.strip() for key in os.environ.get(name, "").split(","))))


def _local_host() -> str:
    """Where a process on this machine reaches the Rasa server (a wildcard address is not one)."""
    host = os.environ.get("TLAS_HOST", "127.0.0.1")
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


@dataclass(frozen=True)
class Settings:
    # demo: `make run` with synthetic people and the VNeID stand-in; production: real providers only.
    mode: str = field(default_factory=_mode)
    host: str = field(default_factory=lambda: os.environ.get("TLAS_HOST", "127.0.0.1"))
    services_port: int = field(default_factory=lambda: _int("SERVICES_PORT", 8100))
    action_port: int = field(default_factory=lambda: _int("ACTION_PORT", 5055))
    rasa_port: int = field(default_factory=lambda: _int("RASA_PORT", 5005))
    # Services' own database (registry, accounts, payments, audit).
    database_url: str = field(
        default_factory=lambda: os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'services.db'}")
    )
    # Rasa's conversation store; SQLite by default, PostgreSQL in production.
    tracker_store_url: str = field(
        default_factory=lambda: os.environ.get("TRACKER_STORE_URL", f"sqlite:///{VAR_DIR / 'tracker.db'}")
    )
    # Redis lock store, needed as soon as more than one Rasa server runs.
    lock_store_url: str = field(default_factory=lambda: os.environ.get("LOCK_STORE_URL", ""))
    # Where the action server finds the services (each API can live on its own host).
    verification_url: str = field(
        default_factory=lambda: os.environ.get(
            "VERIFICATION_URL", f"http://127.0.0.1:{_int('SERVICES_PORT', 8100)}/verification/v1"
        )
    )
    payment_url: str = field(
        default_factory=lambda: os.environ.get(
            "PAYMENT_URL", f"http://127.0.0.1:{_int('SERVICES_PORT', 8100)}/payment/v1"
        )
    )
    eligibility_url: str = field(
        default_factory=lambda: os.environ.get(
            "ELIGIBILITY_URL", f"http://127.0.0.1:{_int('SERVICES_PORT', 8100)}/eligibility/v1"
        )
    )
    handoff_url: str = field(
        default_factory=lambda: os.environ.get(
            "HANDOFF_URL", f"http://127.0.0.1:{_int('SERVICES_PORT', 8100)}/handoff/v1"
        )
    )
    # Human handoff (PRODUCT.md 3.8): agents' office hours (Vietnam time, Monday=0) and pace.
    agent_hours: tuple[int, int] | None = field(default_factory=lambda: _hours("AGENT_HOURS", "7-17"))
    agent_days: str = field(default_factory=lambda: os.environ.get("AGENT_DAYS", "0-4"))
    # How often the Telegram and Zalo adapters look for agents' replies to send.
    handoff_relay_interval_s: float = field(default_factory=lambda: _float("HANDOFF_RELAY_INTERVAL_S", 2.0))
    # A phone line to the same agents, said with every handoff when set (no number is in DOMAIN.md).
    agent_hotline: str = field(default_factory=lambda: os.environ.get("AGENT_HOTLINE", "").strip())
    agent_minutes_per_person: int = field(default_factory=lambda: _int("AGENT_MINUTES_PER_PERSON", 3))
    # Who answers handed-over conversations: the built-in agent console, or an outside Chatwoot.
    helpdesk: str = field(default_factory=lambda: os.environ.get("HELPDESK", "console").strip().lower() or "console")
    chatwoot_url: str = field(default_factory=lambda: os.environ.get("CHATWOOT_URL", "").rstrip("/"))
    chatwoot_account_id: str = field(default_factory=lambda: os.environ.get("CHATWOOT_ACCOUNT_ID", ""))
    chatwoot_inbox_id: str = field(default_factory=lambda: os.environ.get("CHATWOOT_INBOX_ID", ""))
    chatwoot_api_token: str = field(default_factory=lambda: os.environ.get("CHATWOOT_API_TOKEN", ""))
    # Secret in the agent-bot webhook URL Chatwoot calls (…/webhooks/chatwoot/webhook?token=…).
    chatwoot_webhook_token: str = field(default_factory=lambda: os.environ.get("CHATWOOT_WEBHOOK_TOKEN", ""))
    # The agent console (`python -m console`): port, its own database of staff, session lifetime.
    console_port: int = field(default_factory=lambda: _int("CONSOLE_PORT", 8102))
    console_db_path: Path = field(
        default_factory=lambda: Path(os.environ.get("CONSOLE_DB_PATH", VAR_DIR / "console.db"))
    )
    console_session_min: int = field(default_factory=lambda: _int("CONSOLE_SESSION_MIN", 480))
    console_idle_min: int = field(default_factory=lambda: _int("CONSOLE_IDLE_MIN", 30))
    # The console's credential for the Rasa server's assist door (intents and the bot's reply).
    assist_token: str = field(default_factory=lambda: os.environ.get("ASSIST_TOKEN", ""))
    rasa_url: str = field(
        default_factory=lambda: os.environ.get("RASA_URL", f"http://{_local_host()}:{_int('RASA_PORT', 5005)}")
    )
    service_timeout_s: float = field(default_factory=lambda: _float("SERVICE_TIMEOUT_S", 5.0))
    # This process's credential for the services API (one per calling component, set by the runtime).
    service_token: str = field(default_factory=lambda: os.environ.get("SERVICE_TOKEN", ""))
    # The services' side: every component's credential, "actions=…,channels=…,operator=…" (see COMPONENTS).
    service_tokens: dict[str, str] = field(default_factory=lambda: _tokens("SERVICE_TOKENS"))
    # A verified session ends after this long idle, and after the lifetime whatever happens.
    session_idle_min: int = field(default_factory=lambda: _int("SESSION_IDLE_MIN", 30))
    session_lifetime_min: int = field(default_factory=lambda: _int("SESSION_LIFETIME_MIN", 120))
    # Family helpers (PRODUCT.md 3.7): active helpers per beneficiary, how long a VNeID grant lasts,
    # and how long the beneficiary has to approve it (they may not be by their phone).
    max_helpers_per_beneficiary: int = field(default_factory=lambda: _int("MAX_HELPERS_PER_BENEFICIARY", 3))
    helper_grant_days: int = field(default_factory=lambda: _int("HELPER_GRANT_DAYS", 365))
    helper_approval_h: float = field(default_factory=lambda: _float("HELPER_APPROVAL_H", 24.0))
    # An integration behind the REST channel is locked after this many failed checks in 15 minutes.
    source_max_failures: int = field(default_factory=lambda: _int("SOURCE_MAX_FAILURES", 10))
    # Vault encryption keys (Fernet), comma-separated: the first encrypts, all decrypt (rotation).
    vault_keys: tuple[str, ...] = field(default_factory=lambda: _keys("VAULT_KEYS"))
    # Demo mode only: where the generated key lives when VAULT_KEYS is unset.
    vault_key_file: Path = field(default_factory=lambda: Path(os.environ.get("VAULT_KEY_FILE", VAR_DIR / "vault.key")))
    # Typed numbers (vault) and shared phones are deleted after this many hours; verification
    # attempts and approvals after this many days. The services purge every PURGE_INTERVAL_S.
    vault_retention_h: float = field(default_factory=lambda: _float("VAULT_RETENTION_H", 24.0))
    attempt_retention_d: float = field(default_factory=lambda: _float("ATTEMPT_RETENTION_D", 7.0))
    purge_interval_s: float = field(default_factory=lambda: _float("PURGE_INTERVAL_S", 3600.0))
    # The VNeID stand-in (demo only): its port and the base of the approval links the bot shows.
    vneid_standin_port: int = field(default_factory=lambda: _int("VNEID_STANDIN_PORT", 8101))
    vneid_standin_url: str = field(
        default_factory=lambda: os.environ.get(
            "VNEID_STANDIN_URL", f"http://{_local_host()}:{_int('VNEID_STANDIN_PORT', 8101)}"
        )
    )
    # Production: the VNeID relying-party gateway that pushes approvals to the citizen's app, and
    # the credential it expects (services/identity/second_factor.py documents the contract).
    vneid_gateway_url: str = field(default_factory=lambda: os.environ.get("VNEID_GATEWAY_URL", ""))
    vneid_gateway_token: str = field(default_factory=lambda: os.environ.get("VNEID_GATEWAY_TOKEN", ""))
    # Where a person goes back to the conversation (the stand-in page's "quay lại trò chuyện").
    webchat_url: str = field(
        default_factory=lambda: os.environ.get(
            "WEBCHAT_URL", f"http://{_local_host()}:{_int('RASA_PORT', 5005)}/webhooks/webchat/chat"
        )
    )
    # Rasa's credential at the action server (sent as a Bearer header; generated per start when unset).
    action_token: str = field(default_factory=lambda: os.environ.get("ACTION_TOKEN", ""))
    # Integrations' credential for the REST channel; the REST channel is off while it is unset.
    rest_token: str = field(default_factory=lambda: os.environ.get("REST_TOKEN", ""))
    # Signs the web chat's cookie (its conversation id); `make run` keeps one under var/ when unset.
    web_cookie_secret: str = field(default_factory=lambda: os.environ.get("WEB_COOKIE_SECRET", ""))
    # A turn that takes longer is answered "hệ thống đang bận" (a hung action server or service).
    turn_timeout_s: float = field(default_factory=lambda: _float("TURN_TIMEOUT_S", 10.0))
    # Largest chat webhook body; a message is at most MAX_MESSAGE_CHARS anyway.
    max_body_bytes: int = field(default_factory=lambda: _int("CHAT_MAX_BODY_BYTES", 64 * 1024))
    # Messages one sender may send per minute on any channel (PRODUCT.md §6).
    rate_limit_per_minute: int = field(default_factory=lambda: _int("RATE_LIMIT_PER_MINUTE", 30))
    # Shared state of the channels (de-duplication keys, rate counters): Redis when set, else a SQLite file.
    state_redis_url: str = field(default_factory=lambda: os.environ.get("STATE_REDIS_URL", ""))
    state_db_path: Path = field(
        default_factory=lambda: Path(os.environ.get("STATE_DB_PATH", VAR_DIR / "state.db"))
    )
    # Conversation events older than this are deleted (PRODUCT.md §6), checked every interval.
    retention_days: float = field(default_factory=lambda: _float("CONVERSATION_RETENTION_DAYS", 90.0))
    retention_interval_s: float = field(default_factory=lambda: _float("RETENTION_INTERVAL_S", 3600.0))
    # A province may pay more than the national standard (k3 Điều 4 NĐ 20/2021, NĐ 76/2024).
    local_standard_vnd: int = field(default_factory=lambda: _int("LOCAL_STANDARD_VND", 0))
    # Seconds before a link request is decided, as a bank's answer would take (0 in tests).
    link_decision_delay_s: float = field(default_factory=lambda: _float("LINK_DECISION_DELAY_S", 2.0))
    # Shared secret of our own channel adapters (Telegram, Zalo) calling the bridge channel.
    bridge_token: str = field(default_factory=lambda: os.environ.get("BRIDGE_TOKEN", ""))
    # How often the notifier looks for payment messages to send (bot/notifier.py).
    notify_interval_s: float = field(default_factory=lambda: _float("NOTIFY_INTERVAL_S", 30.0))
    # No payment message wakes anyone between these hours (Vietnam time); they wait until morning.
    notify_quiet_hours: tuple[int, int] | None = field(default_factory=lambda: _hours("NOTIFY_QUIET_HOURS", "21-7"))
    max_message_chars: int = field(default_factory=lambda: _int("MAX_MESSAGE_CHARS", 1000))
    # Where the adapters post each person's message: the Rasa server's bridge channel.
    bridge_url: str = field(
        default_factory=lambda: os.environ.get(
            "BRIDGE_URL", f"http://{_local_host()}:{_int('RASA_PORT', 5005)}/webhooks/bridge/webhook"
        )
    )
    # Telegram (python-telegram-bot): long polling unless a webhook URL is set.
    telegram_bot_token: str = field(default_factory=lambda: os.environ.get("TELEGRAM_BOT_TOKEN", ""))
    telegram_api_base_url: str = field(
        default_factory=lambda: os.environ.get("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot")
    )
    telegram_webhook_url: str = field(default_factory=lambda: os.environ.get("TELEGRAM_WEBHOOK_URL", ""))
    # Telegram echoes it in X-Telegram-Bot-Api-Secret-Token (1-256 of A-Z a-z 0-9 _ -).
    telegram_webhook_secret: str = field(default_factory=lambda: os.environ.get("TELEGRAM_WEBHOOK_SECRET", ""))
    telegram_webhook_port: int = field(default_factory=lambda: _int("TELEGRAM_WEBHOOK_PORT", 8443))
    # Telegram's Bot FAQ: about 1 message a second per chat and 30 a second overall.
    telegram_chat_interval_s: float = field(default_factory=lambda: _float("TELEGRAM_CHAT_INTERVAL_S", 1.0))
    telegram_max_per_second: float = field(default_factory=lambda: _float("TELEGRAM_MAX_PER_SECOND", 30.0))
    # Zalo Official Account: the webhook is signed with the OA secret key, tokens are refreshed
    # with the app secret (two different keys of the Zalo developer console).
    zalo_app_id: str = field(default_factory=lambda: os.environ.get("ZALO_APP_ID", ""))
    zalo_oa_secret: str = field(default_factory=lambda: os.environ.get("ZALO_OA_SECRET", ""))
    zalo_app_secret: str = field(default_factory=lambda: os.environ.get("ZALO_APP_SECRET", ""))
    # First tokens only: once refreshed, the rotated ones live in the token file.
    zalo_access_token: str = field(default_factory=lambda: os.environ.get("ZALO_ACCESS_TOKEN", ""))
    zalo_refresh_token: str = field(default_factory=lambda: os.environ.get("ZALO_REFRESH_TOKEN", ""))
    zalo_token_file: Path = field(
        default_factory=lambda: Path(os.environ.get("ZALO_TOKEN_FILE", VAR_DIR / "zalo_tokens.json"))
    )
    zalo_api_base_url: str = field(
        default_factory=lambda: os.environ.get("ZALO_API_BASE_URL", "https://openapi.zalo.me")
    )
    zalo_oauth_base_url: str = field(
        default_factory=lambda: os.environ.get("ZALO_OAUTH_BASE_URL", "https://oauth.zaloapp.com")
    )
    zalo_webhook_port: int = field(default_factory=lambda: _int("ZALO_WEBHOOK_PORT", 8444))
    # Pace of payment messages to Zalo users (Zalo publishes no rate; UNCONFIRMED, kept low).
    zalo_chat_interval_s: float = field(default_factory=lambda: _float("ZALO_CHAT_INTERVAL_S", 1.0))
    zalo_max_per_second: float = field(default_factory=lambda: _float("ZALO_MAX_PER_SECOND", 10.0))


def get_settings() -> Settings:
    """Read the environment now (tests change it between calls)."""
    return Settings()
