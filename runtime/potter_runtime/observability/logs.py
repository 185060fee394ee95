"""Logs that carry the dispatch's ids, as JSON lines (python-json-logger).

``DispatchContextFilter`` adds ``command_id``, ``correlation_id`` and ``rpc``
of the dispatch being handled (``potter_runtime.bus.current_context``) to every
record; ``configure_logging`` installs it with a JSON formatter on the root
logger, so any library's log line inside a handler is tied to its request.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from potter_runtime.bus.context import current_context

#: The RPC being dispatched in this task ("" outside a dispatch); set by ``LoggingContextMiddleware``.
current_rpc: ContextVar[str] = ContextVar("potter_current_rpc", default="")

#: Fields every JSON line has, in this order.
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


class DispatchContextFilter(logging.Filter):
    """Add ``command_id``, ``correlation_id`` and ``rpc`` to records (None/"" outside a dispatch)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate the record; never drops it."""
        context = current_context()
        record.command_id = context.command_id if context is not None else None
        record.correlation_id = context.correlation_id if context is not None else None
        record.rpc = current_rpc.get()
        return True


def json_formatter() -> logging.Formatter:
    """Return a formatter writing one JSON object per record, with the dispatch ids."""
    return JsonFormatter(
        JSON_FIELDS,
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        timestamp=False,
    )


def configure_logging(level: str | int = "INFO", *, json: bool = True, stream: TextIO | None = None) -> logging.Handler:
    """Send the root logger's records to ``stream`` (stderr by default), one JSON object a line.

    Replaces handlers installed by an earlier call (not others), so it can run
    at every start-up.

    Args:
        level: Root level, e.g. ``"INFO"`` (env ``LOG_LEVEL``).
        json: JSON lines; False for plain text with the ids appended.
        stream: A text stream; ``sys.stderr`` when None.

    Returns:
        The handler installed.
    """
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(DispatchContextFilter())
    handler.setFormatter(
        json_formatter()
        if json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s [rpc=%(rpc)s command=%(command_id)s]")
    )
    handler.set_name("potter")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "potter"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    return handler
