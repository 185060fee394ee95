"""Read potter options through the compiled `potter/options.proto` extensions.

Returns typed, immutable option records; never decodes unknown fields by hand.
Pure; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.api import resource_pb2
from google.protobuf import descriptor_pb2 as d
from google.protobuf.message import Message

from potter_gen._pb.potter import options_pb2 as ext


@dataclass(frozen=True)
class ServiceOptions:
    """`(potter.service)`: module name, transports and OpenAPI metadata."""

    module_name: str = ""
    transports: tuple[str, ...] = ()
    enable_openapi: bool = False
    openapi_version: str = ""
    openapi_title: str = ""
    openapi_api_version: str = ""
    openapi_description: str = ""
    openapi_terms_of_service: str = ""
    openapi_contact_name: str = ""
    openapi_contact_url: str = ""
    openapi_contact_email: str = ""
    openapi_license_name: str = ""
    openapi_license_url: str = ""


@dataclass(frozen=True)
class CommandOptions:
    """`(potter.command)` on an RPC."""

    aggregate: str = ""
    is_async: bool = False
    idempotent: bool = False
    timeout_seconds: int = 0
    tags: tuple[str, ...] = ()
    summary: str = ""
    description: str = ""
    deprecated: bool = False


@dataclass(frozen=True)
class QueryOptions:
    """`(potter.query)` on an RPC."""

    cacheable: bool = False
    cache_ttl_seconds: int = 0
    read_model: str = ""
    tags: tuple[str, ...] = ()
    summary: str = ""
    description: str = ""
    deprecated: bool = False


@dataclass(frozen=True)
class EventOptions:
    """`(potter.event)` on a message."""

    event_type: str = ""
    aggregate: str = ""
    version: int = 0


@dataclass(frozen=True)
class AggregateOptions:
    """`(potter.aggregate)` on a message."""

    name: str = ""
    repository: str = ""


@dataclass(frozen=True)
class ErrorEventOptions:
    """`(potter.error_event)` on a message."""

    error_code: str = ""
    retryable: bool = False


@dataclass(frozen=True)
class MessageOptions:
    """Every potter option a message may carry (each None when absent)."""

    aggregate: AggregateOptions | None = None
    event: EventOptions | None = None
    error_event: ErrorEventOptions | None = None
    is_value_object: bool = False


def _extension(options: Message, handle: Any) -> Any:
    """Return the value of extension `handle` on an options message, or None when unset."""
    return options.Extensions[handle] if options.HasExtension(handle) else None


def read_service_options(service_proto: d.ServiceDescriptorProto) -> ServiceOptions | None:
    """Return the `(potter.service)` option of a service, or None if absent."""
    raw = _extension(service_proto.options, ext.service)
    if raw is None:
        return None
    info = raw.openapi_info
    return ServiceOptions(
        module_name=raw.module_name,
        transports=tuple(raw.transport),
        enable_openapi=raw.enable_openapi,
        openapi_version=raw.openapi_version,
        openapi_title=info.title,
        openapi_api_version=info.version,
        openapi_description=info.description,
        openapi_terms_of_service=info.terms_of_service,
        openapi_contact_name=info.contact.name,
        openapi_contact_url=info.contact.url,
        openapi_contact_email=info.contact.email,
        openapi_license_name=info.license.name,
        openapi_license_url=info.license.url,
    )


def read_command_options(method_proto: d.MethodDescriptorProto) -> CommandOptions | None:
    """Return the `(potter.command)` option of an RPC, or None if absent."""
    raw = _extension(method_proto.options, ext.command)
    if raw is None:
        return None
    return CommandOptions(
        aggregate=raw.aggregate,
        is_async=getattr(raw, "async"),
        idempotent=raw.idempotent,
        timeout_seconds=raw.timeout_seconds,
        tags=tuple(raw.tags),
        summary=raw.summary,
        description=raw.description,
        deprecated=raw.deprecated,
    )


def read_query_options(method_proto: d.MethodDescriptorProto) -> QueryOptions | None:
    """Return the `(potter.query)` option of an RPC, or None if absent."""
    raw = _extension(method_proto.options, ext.query)
    if raw is None:
        return None
    return QueryOptions(
        cacheable=raw.cacheable,
        cache_ttl_seconds=raw.cache_ttl_seconds,
        read_model=raw.read_model,
        tags=tuple(raw.tags),
        summary=raw.summary,
        description=raw.description,
        deprecated=raw.deprecated,
    )


def read_message_options(message_proto: d.DescriptorProto) -> MessageOptions:
    """Return the potter options of a message (absent ones as None/False)."""
    options = message_proto.options
    raw_aggregate = _extension(options, ext.aggregate)
    raw_event = _extension(options, ext.event)
    raw_error = _extension(options, ext.error_event)
    return MessageOptions(
        aggregate=AggregateOptions(raw_aggregate.name, raw_aggregate.repository) if raw_aggregate is not None else None,
        event=EventOptions(raw_event.event_type, raw_event.aggregate, raw_event.version) if raw_event is not None else None,
        error_event=ErrorEventOptions(raw_error.error_code, raw_error.retryable) if raw_error is not None else None,
        is_value_object=_extension(options, ext.value_object) is not None,
    )


def read_resource_type(message_proto: d.DescriptorProto) -> str:
    """Return the `type` of a message's `(google.api.resource)` option (AIP-123), or "" when absent.

    Read through the compiled extension of googleapis-common-protos.
    """
    raw = _extension(message_proto.options, resource_pb2.resource)
    return raw.type if raw is not None else ""
