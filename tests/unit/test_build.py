"""Unit tests of potter_gen.build: descriptors + options → validated IR."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from potter_gen.build import build_project
from potter_gen.descriptors import load_protos
from potter_gen.errors import ProtoLocation, Severity, ValidationError
from potter_gen.ir import MessageRole, Project, Role, StandardMethod
from tests.conftest import REPO, SHARED_PROTOS, require_shared

SIMPLE = SHARED_PROTOS / "potter-simple-service.proto"
SIMPLE_DISPLAY = "../shared/protos/potter-simple-service.proto"  # relative to the repository root


@pytest.fixture(scope="module")
def simple() -> Iterator[Project]:
    require_shared(SIMPLE)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)
        loaded, _ = load_protos([SIMPLE])
        yield build_project(loaded)


def at(line: int, column: int) -> ProtoLocation:
    return ProtoLocation(SIMPLE_DISPLAY, line, column)


def _build(tmp_path: Path, body: str, module: str | None = None, name: str = "shop.proto") -> Project:
    """Build a project from one proto written into `tmp_path` (the current directory)."""
    (tmp_path / name).write_text('syntax = "proto3";\npackage acme.shop.v1;\n\nimport "potter/options.proto";\n\n' + body)
    loaded, _ = load_protos([tmp_path / name])
    return build_project(loaded, module)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- potter-simple-service.proto ----------------------------------------------------


def test_simple_package_title_and_transports(simple: Project) -> None:
    assert simple.package == "simple"
    assert simple.title == "SimpleService"
    assert simple.proto_files == ("potter-simple-service.proto",)
    assert simple.transports == ("REST", "GraphQL", "NATS")


def test_simple_roles(simple: Project) -> None:
    roles = {rpc.name: (rpc.role, rpc.is_role_inferred) for rpc in simple.rpcs}
    assert roles == {
        "CreateItem": (Role.COMMAND, False),
        "GetItem": (Role.QUERY, False),
        "UpdateItem": (Role.COMMAND, False),
        "ListItems": (Role.QUERY, False),
    }


def test_simple_standard_methods(simple: Project) -> None:
    standard = {rpc.name: (rpc.standard, rpc.aggregate) for rpc in simple.rpcs}
    assert standard == {
        "CreateItem": (StandardMethod.CREATE, "Item"),
        "GetItem": (StandardMethod.GET, "Item"),
        "UpdateItem": (StandardMethod.UPDATE, "Item"),
        "ListItems": (StandardMethod.LIST, "Item"),
    }
    assert all(rpc.plan is not None and rpc.plan.method is rpc.standard for rpc in simple.rpcs)


def test_simple_http_routes(simple: Project) -> None:
    routes = {rpc.name: (rpc.http.method, rpc.http.path, rpc.http.status_code, rpc.http.has_body) for rpc in simple.rpcs}
    assert routes == {
        "CreateItem": ("POST", "/api/v1/items", 201, True),
        "GetItem": ("GET", "/api/v1/items/{id}", 200, False),
        "UpdateItem": ("PATCH", "/api/v1/items/{id}", 200, True),
        "ListItems": ("GET", "/api/v1/items", 200, False),
    }


def test_simple_rpc_modules_and_locations(simple: Project) -> None:
    assert [(rpc.module, rpc.location) for rpc in simple.rpcs] == [
        ("create_item", at(17, 3)),
        ("get_item", at(27, 3)),
        ("update_item", at(36, 3)),
        ("list_items", at(44, 3)),
    ]


def test_simple_aggregate_and_events(simple: Project) -> None:
    (item,) = simple.aggregates
    assert (item.name, item.module, item.class_name, item.collection, item.id_field, item.repository) == (
        "Item", "item", "ItemAggregate", "items", "id", "postgres"
    )
    events = [(e.class_name, e.event_type, e.kind, e.is_declared) for e in item.events]
    assert events == [
        ("ItemCreatedEvent", "item.created", "created", True),
        ("ItemUpdatedEvent", "item.updated", "updated", False),
    ]
    updated = item.events[1]
    assert [f.name for f in updated.message.fields] == ["item_id", "name", "description", "quantity"]
    assert updated.applied_fields == ("name", "description", "quantity")


def test_simple_synthesized_updated_event_note(simple: Project) -> None:
    notes = [d for d in simple.diagnostics if d.severity is Severity.NOTE]
    assert [d.format() for d in notes] == [
        f"{SIMPLE_DISPLAY}:36:3: note: UpdateItem: the proto declares no updated event for aggregate Item; "
        "generating ItemUpdatedEvent (item.updated). Declare one with (potter.event) to choose its fields."
    ]


def test_simple_transport_and_repository_warnings(simple: Project) -> None:
    warnings = [d for d in simple.diagnostics if d.severity is Severity.WARNING]
    assert [(d.location, d.message) for d in warnings] == [
        (at(10, 3), "transport 'GraphQL' of service SimpleService is not generated yet; only REST is served"),
        (at(10, 3), "transport 'NATS' of service SimpleService is not generated yet; only REST is served"),
    ]
    assert all(d.hint == "The other transports are planned; the service still runs over REST" for d in warnings[:2])
    assert not [d for d in simple.diagnostics if d.severity is Severity.ERROR]


def test_simple_messages_split_into_domain_and_application(simple: Project) -> None:
    assert [(m.class_name, m.role) for m in simple.domain_messages] == [
        ("Item", MessageRole.AGGREGATE),
        ("ItemCreatedEvent", MessageRole.EVENT),
        ("ItemCreationFailedEvent", MessageRole.ERROR_EVENT),
        ("ItemUpdatedEvent", MessageRole.EVENT),
    ]
    assert [m.class_name for m in simple.application_messages] == [
        "CreateItemRequest", "CreateItemResponse", "GetItemRequest", "GetItemResponse",
        "UpdateItemRequest", "UpdateItemResponse", "ListItemsRequest", "ListItemsResponse",
    ]
    (error_event,) = simple.error_events
    assert (error_event.class_name, error_event.error_code, error_event.retryable) == (
        "ItemCreationFailedError", "ITEM_CREATION_FAILED", False
    )


def test_simple_comments_travel_to_the_ir(simple: Project) -> None:
    (service,) = simple.services
    assert service.comment.startswith("SimpleService")
    assert simple.aggregates[0].state.comment == "Item aggregate"


# -- role inference ---------------------------------------------------------------

INFERRED = """
service WidgetService {
  option (potter.service) = { module_name: "widgets" };

  rpc GetWidget(WidgetRequest) returns (Widget);
  rpc ListWidgets(WidgetRequest) returns (Widget);
  rpc BatchGetWidgets(WidgetRequest) returns (Widget);
  rpc SearchWidgets(WidgetRequest) returns (Widget);
  rpc ArchiveWidget(WidgetRequest) returns (Widget);
  rpc Listen(WidgetRequest) returns (Widget);
  rpc Getaway(WidgetRequest) returns (Widget);
  rpc PolishWidget(WidgetRequest) returns (Widget) {
    option (potter.command) = { aggregate: "Widget" };
  }
}

message Widget {
  option (potter.aggregate) = { name: "Widget" };
  string id = 1;
}

message WidgetRequest {
  string id = 1;
}
"""


def test_role_is_inferred_from_the_rpc_name(in_tmp: Path) -> None:
    project = _build(in_tmp, INFERRED)

    roles = {rpc.name: (rpc.role, rpc.is_role_inferred) for rpc in project.rpcs}
    assert roles == {
        "GetWidget": (Role.QUERY, True),
        "ListWidgets": (Role.QUERY, True),
        "BatchGetWidgets": (Role.QUERY, True),
        "SearchWidgets": (Role.QUERY, True),
        "ArchiveWidget": (Role.COMMAND, True),
        "Listen": (Role.COMMAND, True),  # not List + an upper-case word
        "Getaway": (Role.COMMAND, True),
        "PolishWidget": (Role.COMMAND, False),
    }


def test_inferred_role_emits_a_note_naming_the_rpc(in_tmp: Path) -> None:
    project = _build(in_tmp, INFERRED)

    notes = {
        d.message.split(":", 1)[0]: d
        for d in project.diagnostics
        if d.severity is Severity.NOTE and "inferred" in d.message
    }
    assert sorted(notes) == sorted(
        ["GetWidget", "ListWidgets", "BatchGetWidgets", "SearchWidgets", "ArchiveWidget", "Listen", "Getaway"]
    )
    # Lines 1-5 are the header _build writes; `service` is on line 7, the first rpc on line 10.
    assert notes["GetWidget"].location == ProtoLocation("shop.proto", 10, 3)
    assert notes["GetWidget"].message.startswith("GetWidget: no (potter.command) or (potter.query); inferred query")
    assert notes["ArchiveWidget"].location == ProtoLocation("shop.proto", 14, 3)
    assert "inferred command" in notes["ArchiveWidget"].message
    assert "Get/List/BatchGet/Search are queries" in notes["ArchiveWidget"].message


def test_inferred_standard_methods_still_get_resource_routes(in_tmp: Path) -> None:
    project = _build(in_tmp, INFERRED)

    routes = {rpc.name: f"{rpc.http.method} {rpc.http.path}" for rpc in project.rpcs}
    assert routes["GetWidget"] == "GET /api/v1/widgets/{id}"
    assert routes["ListWidgets"] == "GET /api/v1/widgets"
    assert routes["ArchiveWidget"] == "POST /api/v1/widgets/archive_widget"
    assert routes["PolishWidget"] == "POST /api/v1/widgets/polish_widget"


# -- package names ------------------------------------------------------------------

PLAIN = """
service ShopService {
  rpc GetCart(CartRequest) returns (Cart) {
    option (potter.query) = {};
  }
}

message Cart {
  option (potter.aggregate) = { name: "Cart" };
  string id = 1;
}

message CartRequest {
  string id = 1;
}
"""


def test_package_derived_from_proto_package_with_a_note(in_tmp: Path) -> None:
    project = _build(in_tmp, PLAIN)

    assert project.package == "shop"
    assert "no module_name given; using package 'shop' derived from the proto package" in [
        d.message for d in project.diagnostics if d.severity is Severity.NOTE
    ]


@pytest.mark.parametrize(("proto_package", "package"), [("acme.class.v1", "class_"), ("acme.json.v1", "json_"), ("acme.match.v1", "match")])
def test_package_derived_from_a_keyword_or_stdlib_name_gets_an_underscore(in_tmp: Path, proto_package: str, package: str) -> None:
    (in_tmp / "kw.proto").write_text(f'syntax = "proto3";\npackage {proto_package};\n\nimport "potter/options.proto";\n\n' + PLAIN)
    loaded, _ = load_protos([in_tmp / "kw.proto"])

    assert build_project(loaded).package == package


def test_module_override_wins(in_tmp: Path) -> None:
    project = _build(in_tmp, PLAIN, module="storefront")

    assert project.package == "storefront"
    assert not [d for d in project.diagnostics if "module_name" in d.message]


def test_invalid_module_override_is_an_error(in_tmp: Path) -> None:
    with pytest.raises(ValidationError) as raised:
        _build(in_tmp, PLAIN, module="store-front")

    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.location is None
    assert diagnostic.message == "--module 'store-front' is not a valid Python package name"


# -- validation -----------------------------------------------------------------------


def test_all_errors_are_collected_then_reported_in_source_order(in_tmp: Path) -> None:
    body = """
service ShopService {
  option (potter.service) = { module_name: "shop" transport: ["SOAP"] };

  rpc Checkout(CartRequest) returns (Cart) {
    option (potter.command) = { aggregate: "Order" };
  }
}

message Cart {
  option (potter.aggregate) = { name: "Cart" };
  string id = 1;
}

message CartRequest {
  string id = 1;
}

message CartEmptied {
  option (potter.event) = { aggregate: "Basket" };
  string cart_id = 1;
}
"""
    with pytest.raises(ValidationError) as raised:
        _build(in_tmp, body)

    assert [(d.location, d.message.split(" ", 1)[0]) for d in raised.value.diagnostics] == [
        (ProtoLocation("shop.proto", 8, 3), "unknown"),
        (ProtoLocation("shop.proto", 11, 5), "command"),
        (ProtoLocation("shop.proto", 25, 3), "event"),
    ]
    assert all(d.severity is Severity.ERROR and d.hint for d in raised.value.diagnostics)


def test_keyword_field_is_escaped_but_keeps_its_json_name(in_tmp: Path) -> None:
    body = """
message Cart {
  option (potter.aggregate) = { name: "Cart" };
  string id = 1;
  string class = 2;
  string model_type = 3;
}
"""
    project = _build(in_tmp, body)

    fields = {f.name: (f.python_name, f.json_name) for f in project.aggregates[0].state.fields}
    assert fields == {"id": ("id", "id"), "class": ("class_", "class"), "model_type": ("model_type_", "modelType")}


def test_equal_type_names_of_different_packages_are_namespaced(tmp_path: Path) -> None:
    """DESIGN.md: equal short names from different proto packages must not collide; they get the package as prefix."""
    (tmp_path / "a.proto").write_text('syntax = "proto3";\npackage acme.orders.v1;\nmessage State { string id = 1; }\n')
    (tmp_path / "b.proto").write_text(
        'syntax = "proto3";\npackage acme.billing.v1;\nimport "a.proto";\n'
        "message State { string sku = 1; acme.orders.v1.State order = 2; }\n"
    )
    loaded, _ = load_protos([tmp_path / "a.proto", tmp_path / "b.proto"], [tmp_path])
    project = build_project(loaded, "shop")
    names = {m.full_name: m.class_name for m in project.messages}
    assert names == {".acme.orders.v1.State": "OrdersState", ".acme.billing.v1.State": "BillingState"}
    billing = next(m for m in project.messages if m.class_name == "BillingState")
    assert billing.field("order") is not None and billing.field("order").annotation == "OrdersState | None"


# -- option values that are warnings, not errors ------------------------------------

_ITEM_SERVICE = """
service ItemService {{
  option (potter.service) = {{ module_name: "shop" }};
  rpc GetItem(GetItemRequest) returns (Item) {{
    option (potter.query) = {query};
  }}
}}

message Item {{
  option (potter.aggregate) = {{ name: "Item" repository: "{repository}" }};
  string id = 1;
}}

message GetItemRequest {{
  string id = 1;
}}
"""


@pytest.mark.parametrize("repository", ["mongodb", "inmemory", "MongoDB"])
def test_a_repository_potter_gen_does_not_serve_is_a_located_warning(in_tmp: Path, repository: str) -> None:
    project = _build(in_tmp, _ITEM_SERVICE.format(query="{}", repository=repository))
    (found,) = [d for d in project.diagnostics if "repository" in d.message]
    assert found.severity is Severity.WARNING
    assert found.location == ProtoLocation("shop.proto", 15, 3)
    assert found.message == (
        f"aggregate Item asks for repository {repository!r}, which potter-gen does not generate yet; "
        "it is stored in the service's SQL event store (SQLite unless DATABASE_URL names PostgreSQL)"
    )
    assert project.aggregates[0].repository == repository


@pytest.mark.parametrize("repository", ["sqlite", "postgres", "Postgres"])
def test_the_sql_repositories_are_served_without_a_word(in_tmp: Path, repository: str) -> None:
    project = _build(in_tmp, _ITEM_SERVICE.format(query="{}", repository=repository))
    assert not [d for d in project.diagnostics if "repository" in d.message]


def test_a_cache_ttl_without_cacheable_is_a_located_warning(in_tmp: Path) -> None:
    project = _build(in_tmp, _ITEM_SERVICE.format(query="{ cache_ttl_seconds: 30 }", repository="sqlite"))
    (found,) = [d for d in project.diagnostics if "cache_ttl_seconds" in d.message]
    assert found.severity is Severity.WARNING
    assert found.location == ProtoLocation("shop.proto", 10, 5)
    assert found.format().endswith("warning: query GetItem sets cache_ttl_seconds but not cacheable, so its result is not cached. Add cacheable: true, or remove cache_ttl_seconds.")


def test_every_bad_option_value_is_reported_at_once(in_tmp: Path) -> None:
    """Option values are checked on their own, so one run lists all of them."""
    body = _ITEM_SERVICE.format(query="{ cacheable: true cache_ttl_seconds: -1 read_model: \"a b\" }", repository="redis") + """
message ItemRenamed {
  option (potter.event) = { event_type: "Item" aggregate: "Item" version: -1 };
  string item_id = 1;
}
"""
    with pytest.raises(ValidationError) as caught:
        _build(in_tmp, body)
    assert [(d.location.line if d.location else 0, d.message.split(" of ")[0].split(" for ")[0]) for d in caught.value.diagnostics] == [
        (10, "cache_ttl_seconds -1"),
        (10, "read_model 'a b'"),
        (15, "unknown repository 'redis'"),
        (24, "event_type 'Item'"),
        (24, "version -1"),
    ]
