"""Metrics and logs of the buses: outcomes, latencies, replays and cache results; JSON lines with the dispatch ids."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from potter_runtime.bus import BusMetrics, DispatchContext, build_command_bus, build_query_bus
from potter_runtime.cache import MemoryQueryCache
from potter_runtime.errors import NotFoundError
from potter_runtime.idempotency import SqlIdempotencyStore
from potter_runtime.observability.logs import configure_logging
from potter_runtime.repository import EventSourcedRepository
from potter_runtime.store import SqlAlchemyEventStore

from .bus_handlers import (
    CreateItemHandler,
    CreateItemRequest,
    CreateItemResponse,
    GetItemHandler,
    GetItemRequest,
    IdempotentCreateItemHandler,
)
from .items import Item

pytestmark = pytest.mark.anyio


def _samples(metrics: BusMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


async def test_metrics_count_outcomes_latencies_replays_and_cache_results(store: SqlAlchemyEventStore) -> None:
    metrics = BusMetrics()
    cache = MemoryQueryCache()
    repository = EventSourcedRepository(store, Item)
    keys = SqlIdempotencyStore(store.engine)
    commands = build_command_bus(idempotency=keys, cache=cache, metrics=metrics)
    queries = build_query_bus(cache=cache, metrics=metrics)
    commands.register(CreateItemHandler(repository))
    commands.register(IdempotentCreateItemHandler(repository))
    queries.register(GetItemHandler(repository))
    keyed = DispatchContext(idempotency_key="metrics-key")

    await commands.dispatch("CreateItem", CreateItemRequest(item_id="m-1", display_name="One"))
    await commands.dispatch("CreateItemOnce", CreateItemRequest(item_id="m-2", display_name="Two"), keyed)
    await commands.dispatch("CreateItemOnce", CreateItemRequest(item_id="m-2", display_name="Two"), keyed)
    await queries.dispatch("GetItem", GetItemRequest(item_id="m-1"))
    await queries.dispatch("GetItem", GetItemRequest(item_id="m-1"))
    with pytest.raises(NotFoundError):
        await queries.dispatch("GetItem", GetItemRequest(item_id="missing"))

    await keys.close()
    samples = _samples(metrics)
    assert samples[("potter_commands_total", (("outcome", "OK"), ("rpc", "CreateItem")))] == 1
    assert samples[("potter_commands_total", (("outcome", "OK"), ("rpc", "CreateItemOnce")))] == 2
    assert samples[("potter_idempotent_replays_total", (("rpc", "CreateItemOnce"),))] == 1
    assert samples[("potter_queries_total", (("outcome", "OK"), ("rpc", "GetItem")))] == 2
    assert samples[("potter_queries_total", (("outcome", "NOT_FOUND"), ("rpc", "GetItem")))] == 1
    assert samples[("potter_query_cache_requests_total", (("result", "hit"), ("rpc", "GetItem")))] == 1
    assert samples[("potter_query_cache_requests_total", (("result", "miss"), ("rpc", "GetItem")))] == 1
    assert samples[("potter_command_duration_seconds_count", (("rpc", "CreateItem"),))] == 1
    assert samples[("potter_query_duration_seconds_count", (("rpc", "GetItem"),))] == 3
    assert samples[("potter_events_appended_total", (("aggregate_type", "Item"),))] == 2  # the replay appended none
    assert any(name == "process_cpu_seconds_total" for name, _labels in samples)


def test_two_metrics_objects_do_not_collide() -> None:
    BusMetrics()
    BusMetrics()


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configure_logging("INFO", stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)


async def test_log_lines_are_json_with_the_command_and_correlation_ids(
    store: SqlAlchemyEventStore, json_log: io.StringIO
) -> None:
    commands = build_command_bus()

    class Chatty(CreateItemHandler):
        rpc_name = "Chatty"

        async def handle(self, request: CreateItemRequest) -> CreateItemResponse:
            logging.getLogger("library.handlers").info("creating %s", request.display_name)
            return await super().handle(request)

    commands.register(Chatty(EventSourcedRepository(store, Item)))
    context = DispatchContext(command_id="cmd-7", correlation_id="4bf92f3577b34da6a3ce929d0e0e4736")

    await commands.dispatch("Chatty", CreateItemRequest(item_id="l-1", display_name="Logged"), context)

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    handler_line = next(line for line in lines if line["logger"] == "library.handlers")
    access_line = next(line for line in lines if line["logger"] == "potter_runtime.bus")
    assert handler_line["message"] == "creating Logged" and handler_line["level"] == "INFO"
    for line in (handler_line, access_line):
        assert (line["command_id"], line["correlation_id"], line["rpc"]) == (
            "cmd-7",
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "Chatty",
        )
    assert access_line["outcome"] == "OK" and access_line["duration_ms"] >= 0
    logging.getLogger("outside").warning("no dispatch")
    outside = json.loads(json_log.getvalue().splitlines()[-1])
    assert outside["command_id"] is None and outside["rpc"] == ""


async def test_each_dispatch_is_a_span_child_of_the_callers_traceparent(store: SqlAlchemyEventStore) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import StatusCode

    from potter_runtime.bus import QueryBus, TracingMiddleware

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    queries = QueryBus([TracingMiddleware(tracer_provider=provider, service="Items")])
    queries.register(GetItemHandler(EventSourcedRepository(store, Item)))
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    context = DispatchContext(command_id="q-1", metadata={"traceparent": traceparent})

    with pytest.raises(NotFoundError):
        await queries.dispatch("GetItem", GetItemRequest(item_id="nowhere"), context)

    [span] = exporter.get_finished_spans()
    assert span.name == "query GetItem"
    assert format(span.context.trace_id, "032x") == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert span.parent is not None and format(span.parent.span_id, "016x") == "00f067aa0ba902b7"
    assert span.attributes is not None
    assert (span.attributes["rpc.method"], span.attributes["rpc.service"], span.attributes["potter.command_id"]) == (
        "GetItem",
        "Items",
        "q-1",
    )
    assert span.attributes["potter.error_code"] == "NOT_FOUND"
    assert span.status.status_code is not StatusCode.ERROR  # a 4xx is the caller's error, not the service's
