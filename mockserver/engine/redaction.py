"""Secrets kept out of log lines: the admin token given as ``?token=`` (the dashboard's way in)
and any Standard Webhooks signing secret (``whsec_...``), wherever a line holds them. The request
log and every logger of the sandbox's own pass their text through here; a log is often shared
(a CI job's output, a terminal recording) where the control API is not."""
from __future__ import annotations

import logging
import re

REDACTED = "<redacted>"
# ``token=`` as a query parameter (first or after "&" or ";"), up to the next separator.
_QUERY_TOKEN = re.compile(r"(?i)((?:^|[?&;])token=)[^&;#\s]*")
# A signing secret: the prefix, then its base64 (with URL-safe letters and %-escapes, as a URL
# may carry it).
_SIGNING_SECRET = re.compile(r"(whsec_)[A-Za-z0-9+/=_%-]*")


def redact(text: str) -> str:
    """The text, with the token of a ``token=`` parameter and any ``whsec_`` secret replaced."""
    if "token=" in text.lower():
        text = _QUERY_TOKEN.sub(r"\1" + REDACTED, text)
    if "whsec_" in text:
        text = _SIGNING_SECRET.sub(r"\1" + REDACTED, text)
    return text


class Redacting(logging.Filter):
    """A logger's records with their message (and traceback) redacted before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


_REDACTING = Redacting()


def redacting_logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)``, its records redacted (a filter on a logger applies to what is
    logged to it by name, not to its children's records, so each logger gets it)."""
    logger = logging.getLogger(name)
    if _REDACTING not in logger.filters:
        logger.addFilter(_REDACTING)
    return logger
