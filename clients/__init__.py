"""The one client package for our services (verification, payment, eligibility), used by the
action server, the channel adapters, the notifier and the agent console.

Typed, async, one pooled HTTP session per process and event loop, one retry and error policy
(clients/http.py), and the calling component's credential on every request.
"""

from clients.eligibility import EligibilityClient, PreCheck, Question
from clients.handoff import HandoffClient
from clients.http import Locked, NotFound, Refused, ServiceUnavailable, close_sessions
from clients.payment import NotificationsClient, PaymentClient, Schedule
from clients.verification import Person, VerificationClient

__all__ = [
    "EligibilityClient",
    "HandoffClient",
    "Locked",
    "NotFound",
    "NotificationsClient",
    "PaymentClient",
    "Person",
    "PreCheck",
    "Question",
    "Refused",
    "Schedule",
    "ServiceUnavailable",
    "VerificationClient",
    "close_sessions",
]
