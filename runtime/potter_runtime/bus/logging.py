"""Logging context middleware: the RPC name on every log record, and one line per dispatch.

The command and correlation ids are already current while the chain runs
(``current_context``); this adds the RPC name (``observability.logs.current_rpc``)
and logs each dispatch's outcome and duration, an access log that works the
same on every transport.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from potter_runtime.bus.core import CallNext, Dispatch, Registration, Reply
from potter_runtime.errors import ServiceError
from potter_runtime.observability.logs import current_rpc

logger = logging.getLogger("potter_runtime.bus")


class LoggingContextMiddleware:
    """Set the RPC name for log records and log each dispatch's outcome.

    Args:
        level: Level of the per-dispatch line (int, e.g. ``logging.INFO``);
            unexpected exceptions are logged at ERROR with their traceback.
    """

    def __init__(self, *, level: int = logging.INFO) -> None:
        self.level = level

    def applies_to(self, registration: Registration) -> bool:
        """Wrap every handler."""
        return True

    async def __call__(self, dispatch: Dispatch, call_next: CallNext) -> Reply[Any]:
        """Run the chain with ``current_rpc`` set; log ``<rpc> <outcome> in <ms> ms``."""
        token = current_rpc.set(dispatch.rpc)
        started = time.perf_counter()
        try:
            reply = await call_next(dispatch)
            self._log(dispatch, "OK", started, replayed=reply.replayed, cache_hit=reply.cache_hit)
            return reply
        except ServiceError as error:
            self._log(dispatch, error.code, started, replayed=error.replayed, cache_hit=None)
            raise
        except Exception:
            logger.exception("%s failed unexpectedly", dispatch.rpc, extra={"outcome": "INTERNAL"})
            raise
        finally:
            current_rpc.reset(token)

    def _log(self, dispatch: Dispatch, outcome: str, started: float, *, replayed: bool, cache_hit: bool | None) -> None:
        if not logger.isEnabledFor(self.level):
            return
        milliseconds = (time.perf_counter() - started) * 1000
        extra = {
            "outcome": outcome,
            "duration_ms": round(milliseconds, 3),
            "replayed": replayed,
            "cache_hit": cache_hit,
        }
        logger.log(self.level, "%s %s in %.1f ms", dispatch.rpc, outcome, milliseconds, extra=extra)
