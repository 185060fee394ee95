"""Tracing middleware: an OpenTelemetry span per dispatch (opentelemetry-api).

With only the API installed (FastAPI depends on it) spans cost next to
nothing and go nowhere; a service that configures the SDK and an exporter
gets a span ``<kind> <rpc>`` per command and query, child of the caller's
span when the transport passed a W3C ``traceparent`` (read from
``DispatchContext.metadata`` with the globally configured propagator).
Attribute names follow OpenTelemetry's RPC semantic conventions.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from potter_runtime.bus.core import CallNext, Dispatch, Registration, Reply
from potter_runtime.errors import ServiceError


class TracingMiddleware:
    """Wrap each dispatch in an OpenTelemetry span.

    Args:
        tracer_provider: Where spans go; the global provider when None.
        service: ``rpc.service`` attribute, e.g. the proto service name.
    """

    def __init__(self, *, tracer_provider: trace.TracerProvider | None = None, service: str = "") -> None:
        self.tracer = trace.get_tracer("potter_runtime.bus", tracer_provider=tracer_provider)
        self.service = service

    def applies_to(self, registration: Registration) -> bool:
        """Wrap every handler."""
        return True

    async def __call__(self, dispatch: Dispatch, call_next: CallNext) -> Reply[Any]:
        """Run the chain inside a span; a ServiceError sets ``potter.error_code`` and, for 5xx, an error status."""
        context = dispatch.context
        parent = propagate.extract(dict(context.metadata)) if "traceparent" in context.metadata else None
        attributes = {
            "rpc.system": "potter",
            "rpc.method": dispatch.rpc,
            "potter.kind": dispatch.registration.kind,
            "potter.command_id": context.command_id,
            "potter.correlation_id": context.correlation_id,
        }
        if self.service:
            attributes["rpc.service"] = self.service
        name = f"{dispatch.registration.kind} {dispatch.rpc}"
        with self.tracer.start_as_current_span(
            name,
            context=parent,
            kind=SpanKind.SERVER,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                reply = await call_next(dispatch)
            except ServiceError as error:
                span.set_attribute("potter.error_code", error.code)
                if error.status >= 500:
                    span.record_exception(error)
                    span.set_status(Status(StatusCode.ERROR, error.code))
                raise
            except Exception as error:
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                raise
            span.set_attribute("potter.replayed", reply.replayed)
            if reply.cache_hit is not None:
                span.set_attribute("potter.cache_hit", reply.cache_hit)
            return reply
