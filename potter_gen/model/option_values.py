"""Every potter option value checked: numbers in range, names and versions
well-formed, URLs and e-mail addresses of the OpenAPI info parseable, a
storage backend potter-gen knows.

Checks each value on its own; what depends on other declarations (an
aggregate an event names, event types repeated) is checked where those are
built. Pure; no I/O. Problems are reported on the `BuildContext`, each at
the option that carries the value.
"""

from __future__ import annotations

import keyword
import re
from urllib.parse import urlsplit

from google.protobuf import descriptor_pb2 as d

from potter_gen import options
from potter_gen._pb.potter import options_pb2 as ext
from potter_gen.errors import ProtoLocation, error, warning
from potter_gen.ir import Message
from potter_gen.locations import FILE_SERVICE, METHOD_OPTIONS, SERVICE_METHOD, SERVICE_OPTIONS
from potter_gen.model.context import BuildContext
from potter_gen.model.roles import MessageRoles

# `item.created`, `library.book.borrowed`: lower-case identifiers joined by dots (the original's "product.created").
_EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
# What the default derivation gives (`OutOfStock` → `OUT_OF_STOCK`); the SDK maps it to a class.
_ERROR_CODE = re.compile(r"[A-Z][A-Z0-9_]*")
# OpenAPI Specification versions: 3.0.x and 3.1.x.
_OPENAPI_VERSION = re.compile(r"3\.[01]\.\d+")
# An addr-spec, loosely (RFC 5322 §3.4.1): one `@`, no spaces, a dotted domain.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")

#: `aggregate.repository` names: the original's (postgres, mongodb, inmemory) and ours (sqlite), → served.
#: sqlite and postgres are both the service's SQL event store; DATABASE_URL picks the database.
REPOSITORIES = {"sqlite": True, "postgres": True, "mongodb": False, "inmemory": False}


def _is_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not any(c.isspace() for c in text)


def check_service_options(context: BuildContext, file_proto: d.FileDescriptorProto, index: int) -> None:
    """Check the `(potter.service)` values of service `index`: OpenAPI version and info.

    `openapi_version` must be a 3.0.x or 3.1.x version; the info's
    `terms_of_service`, contact and license URLs http(s) URLs, the contact
    e-mail an address, and a license with a URL must have a name (OpenAPI
    3: `license.name` is required).
    """
    service_proto = file_proto.service[index]
    service_options = options.read_service_options(service_proto)
    if service_options is None:
        return
    where = context.where(file_proto.name, (FILE_SERVICE, index, SERVICE_OPTIONS, ext.service.number))
    name = service_proto.name
    version = service_options.openapi_version
    if version and not _OPENAPI_VERSION.fullmatch(version):
        context.report(error(f"openapi_version {version!r} of service {name} is not an OpenAPI 3.0.x or 3.1.x version", "Use a version such as '3.0.3' or '3.1.0'", where))
    for option, url in (
        ("openapi_info.terms_of_service", service_options.openapi_terms_of_service),
        ("openapi_info.contact.url", service_options.openapi_contact_url),
        ("openapi_info.license.url", service_options.openapi_license_url),
    ):
        if url and not _is_url(url):
            context.report(error(f"{option} {url!r} of service {name} is not an http(s) URL", "Use an absolute http(s) URL such as 'https://example.com'", where))
    email = service_options.openapi_contact_email
    if email and not _EMAIL.fullmatch(email):
        context.report(error(f"openapi_info.contact.email {email!r} of service {name} is not an e-mail address", "Use an address such as 'api@example.com'", where))
    if service_options.openapi_license_url and not service_options.openapi_license_name.strip():
        context.report(error(f"openapi_info.license of service {name} has a url but no name", "Add the license name (OpenAPI requires it), e.g. name: \"Apache 2.0\"", where))


def check_method_options(context: BuildContext, file_proto: d.FileDescriptorProto, service_index: int, method_index: int) -> None:
    """Check the `(potter.command)` or `(potter.query)` values of one RPC.

    `timeout_seconds` and `cache_ttl_seconds` must be ≥ 0 (seconds; 0 is
    none); a TTL without `cacheable` is a warning (nothing is cached);
    `read_model` must be an identifier; OpenAPI tags must not be blank.
    """
    method = file_proto.service[service_index].method[method_index]
    path = (FILE_SERVICE, service_index, SERVICE_METHOD, method_index, METHOD_OPTIONS)
    command, query = options.read_command_options(method), options.read_query_options(method)
    if command is not None:
        where = context.where(file_proto.name, (*path, ext.command.number))
        if command.timeout_seconds < 0:
            context.report(error(f"timeout_seconds {command.timeout_seconds} of command {method.name} is negative", "Use a number of seconds, 0 or more (0: no deadline)", where))
        _check_tags(context, method.name, command.tags, where)
    if query is not None:
        where = context.where(file_proto.name, (*path, ext.query.number))
        if query.cache_ttl_seconds < 0:
            context.report(error(f"cache_ttl_seconds {query.cache_ttl_seconds} of query {method.name} is negative", "Use a number of seconds, 0 or more", where))
        elif query.cache_ttl_seconds and not query.cacheable:
            context.report(warning(f"query {method.name} sets cache_ttl_seconds but not cacheable, so its result is not cached", "Add cacheable: true, or remove cache_ttl_seconds", where))
        if query.read_model and not (query.read_model.isascii() and query.read_model.isidentifier() and not keyword.iskeyword(query.read_model)):
            context.report(error(f"read_model {query.read_model!r} of query {method.name} is not an identifier", "Use a name such as 'item_summary'", where))
        _check_tags(context, method.name, query.tags, where)


def _check_tags(context: BuildContext, rpc: str, tags: tuple[str, ...], where: ProtoLocation) -> None:
    if any(not tag.strip() for tag in tags):
        context.report(error(f"RPC {rpc} has a blank OpenAPI tag", "Remove it, or give the tag a name", where))


def check_message_options(context: BuildContext, messages: list[Message], roles: MessageRoles) -> None:
    """Check the `(potter.event)`, `(potter.aggregate)` and `(potter.error_event)` values of `messages`.

    Event `version` must be ≥ 1 (0 is unset: version 1) and `event_type`,
    when set, a dotted lower-case name (`item.created`); `error_code`, when
    set, UPPER_SNAKE_CASE. `repository` must be one of `REPOSITORIES`: one
    potter-gen does not serve yet is a warning saying where the aggregate
    is stored instead (an error with --strict).
    """
    for message in messages:
        opts = roles.options.get(message.full_name)
        if opts is None:
            continue
        if opts.event is not None:
            where = context.option_location(message, ext.event.number)
            if opts.event.version < 0:
                context.report(error(f"version {opts.event.version} of event {message.name} is below 1", "Use a schema version of 1 or more (unset means 1)", where))
            if opts.event.event_type and not _EVENT_TYPE.fullmatch(opts.event.event_type):
                context.report(
                    error(
                        f"event_type {opts.event.event_type!r} of event {message.name} is not a dotted lower-case name",
                        "Use lower-case words joined by dots, such as 'item.created'",
                        where,
                    )
                )
        if opts.error_event is not None and opts.error_event.error_code and not _ERROR_CODE.fullmatch(opts.error_event.error_code):
            context.report(
                error(
                    f"error_code {opts.error_event.error_code!r} of error event {message.name} is not UPPER_SNAKE_CASE",
                    "Use upper-case words joined by underscores, such as 'OUT_OF_STOCK'",
                    context.option_location(message, ext.error_event.number),
                )
            )
        if opts.aggregate is not None and opts.aggregate.repository:
            _check_repository(context, message, opts.aggregate.repository)


def _check_repository(context: BuildContext, message: Message, repository: str) -> None:
    where = context.option_location(message, ext.aggregate.number)
    served = REPOSITORIES.get(repository.strip().lower())
    if served is None:
        known = ", ".join(REPOSITORIES)
        context.report(error(f"unknown repository {repository!r} for aggregate {message.name}", f"Use one of: {known}", where))
    elif not served:
        what = (
            f"aggregate {message.name} asks for repository {repository!r}, which potter-gen does not generate yet; "
            "it is stored in the service's SQL event store (SQLite unless DATABASE_URL names PostgreSQL)"
        )
        if context.strict:
            context.report(error(f"{what}; --strict requires a repository potter-gen serves", "Use repository: \"postgres\" or \"sqlite\", or remove the option", where))
        else:
            context.report(warning(what, "Use repository: \"postgres\" or \"sqlite\", or remove the option", where))
