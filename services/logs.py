"""Services' logging: one format, and every number that could identify a person masked on the way out.

Handlers log route templates, never request paths; SQLAlchemy hides statement parameters
(services/db.py). What can still carry a value — a database's own error detail ("Key (cccd)=(…)"),
an exception message — passes through this filter, which masks identifier-like numbers (CCCD,
phone, accounts of 6–20 digits) to their last 4 before any handler writes the record.
"""

from __future__ import annotations

import logging
import re

from core.masking import mask, mask_numbers

SHORT_NUMBER = re.compile(r"(?<!\d)\d{6,8}(?!\d)")  # account numbers the link form accepts go down to 6 digits


def scrub_text(text: str) -> str:
    return SHORT_NUMBER.sub(lambda found: mask(found.group(0)), mask_numbers(text))


class ScrubNumbers(logging.Filter):
    """Masks numbers in the message and the traceback of every record (the timestamp is added later)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = scrub_text(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub_text(record.stack_info)
        return True


def configure(process: str) -> None:
    """Log to stderr at INFO, through the scrubbing filter (the runtime writes stderr to var/logs)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(f"%(asctime)s {process} %(levelname)s %(message)s"))
    handler.addFilter(ScrubNumbers())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
