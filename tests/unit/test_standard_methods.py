"""Unit tests of potter_gen.standard_methods: AIP standard methods, roles and routes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from potter_gen import standard_methods as sm
from potter_gen.build import build_project
from potter_gen.descriptors import load_protos
from potter_gen.ir import Aggregate, Assignment, Message, Project, Role, StandardMethod
from tests.conftest import REPO, SHARED_PROTOS, require_shared


@pytest.fixture(scope="module")
def simple() -> Iterator[Project]:
    require_shared(SHARED_PROTOS / "potter-simple-service.proto")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)
        loaded, _ = load_protos([SHARED_PROTOS / "potter-simple-service.proto"])
        yield build_project(loaded)


@pytest.fixture(scope="module")
def aggregates(simple: Project) -> dict[str, Aggregate]:
    return {a.name: a for a in simple.aggregates}


@pytest.fixture(scope="module")
def messages(simple: Project) -> dict[str, Message]:
    return {m.class_name: m for m in simple.messages}


@pytest.mark.parametrize(
    ("rpc_name", "role"),
    [
        ("GetItem", Role.QUERY),
        ("Get", Role.QUERY),
        ("ListItems", Role.QUERY),
        ("BatchGetItems", Role.QUERY),
        ("SearchBooks", Role.QUERY),
        ("CreateItem", Role.COMMAND),
        ("UpdateItem", Role.COMMAND),
        ("DeleteItem", Role.COMMAND),
        ("ArchiveItem", Role.COMMAND),
        ("Listen", Role.COMMAND),  # List + lower-case: another word
        ("Getaway", Role.COMMAND),
        ("Searchlight", Role.COMMAND),
        ("Batch", Role.COMMAND),
        ("get_item", Role.COMMAND),
    ],
)
def test_infer_role(rpc_name: str, role: Role) -> None:
    assert sm.infer_role(rpc_name) is role


def test_event_kind() -> None:
    assert sm.event_kind(StandardMethod.CREATE) == "created"
    assert sm.event_kind(StandardMethod.UPDATE) == "updated"
    assert sm.event_kind(StandardMethod.DELETE) == "deleted"
    assert sm.event_kind(StandardMethod.GET) == ""
    assert sm.event_kind(StandardMethod.LIST) == ""


def test_id_field_names() -> None:
    assert sm.id_field_names("Item") == ("id", "item_id")
    assert sm.id_field_names("ProductCategory") == ("id", "product_category_id")


def test_find_id_field(messages: dict[str, Message]) -> None:
    assert sm.find_id_field(messages["GetItemRequest"], "Item") == "id"
    assert sm.find_id_field(messages["CreateItemResponse"], "Item") == "item_id"
    assert sm.find_id_field(messages["ListItemsRequest"], "Item") == ""
    assert sm.find_id_field(messages["CreateItemResponse"], "Order") == ""


@pytest.mark.parametrize(
    ("rpc_name", "role", "request_class", "expected"),
    [
        ("CreateItem", Role.COMMAND, "CreateItemRequest", StandardMethod.CREATE),
        ("GetItem", Role.QUERY, "GetItemRequest", StandardMethod.GET),
        ("ListItems", Role.QUERY, "ListItemsRequest", StandardMethod.LIST),
        ("UpdateItem", Role.COMMAND, "UpdateItemRequest", StandardMethod.UPDATE),
        ("DeleteItem", Role.COMMAND, "GetItemRequest", StandardMethod.DELETE),
        ("GetItem", Role.COMMAND, "GetItemRequest", None),  # Get must be a query
        ("CreateItem", Role.QUERY, "CreateItemRequest", None),  # Create must be a command
        ("GetItem", Role.QUERY, "ListItemsRequest", None),  # no id field
        ("DeleteItem", Role.COMMAND, "CreateItemRequest", None),  # no id field
        ("ListItem", Role.QUERY, "ListItemsRequest", None),  # List wants the plural
        ("GetItems", Role.QUERY, "GetItemRequest", None),
        ("CreateOrder", Role.COMMAND, "CreateItemRequest", None),  # no such aggregate
        ("ArchiveItem", Role.COMMAND, "GetItemRequest", None),  # not a standard verb
    ],
)
def test_match_standard_method(
    rpc_name: str,
    role: Role,
    request_class: str,
    expected: StandardMethod | None,
    aggregates: dict[str, Aggregate],
    messages: dict[str, Message],
) -> None:
    match = sm.match_standard_method(rpc_name, role, messages[request_class], aggregates)
    if expected is None:
        assert match is None
    else:
        assert match == (expected, aggregates["Item"])


def test_aggregate_in_name(aggregates: dict[str, Aggregate]) -> None:
    assert sm.aggregate_in_name("ArchiveItem", aggregates) == "Item"
    assert sm.aggregate_in_name("ExportItems", aggregates) == "Item"
    assert sm.aggregate_in_name("Ping", aggregates) == ""
    assert sm.aggregate_in_name("ArchiveItem", {}) == ""


@pytest.mark.parametrize(
    ("rpc_name", "method", "id_field", "expected"),
    [
        ("CreateItem", StandardMethod.CREATE, "", ("POST", "/api/v1/items", 201, "", True)),
        ("GetItem", StandardMethod.GET, "id", ("GET", "/api/v1/items/{id}", 200, "id", False)),
        ("ListItems", StandardMethod.LIST, "", ("GET", "/api/v1/items", 200, "", False)),
        ("UpdateItem", StandardMethod.UPDATE, "id", ("PATCH", "/api/v1/items/{id}", 200, "id", True)),
        ("DeleteItem", StandardMethod.DELETE, "id", ("DELETE", "/api/v1/items/{id}", 200, "id", False)),
        ("ArchiveItem", None, "", ("POST", "/api/v1/items/archive_item", 200, "", True)),
        ("BatchGetItems", None, "", ("POST", "/api/v1/items/batch_get_items", 200, "", True)),
    ],
)
def test_http_rule(
    rpc_name: str, method: StandardMethod | None, id_field: str, expected: tuple[object, ...], messages: dict[str, Message]
) -> None:
    rule = sm.http_rule(rpc_name, method, messages["GetItemRequest"], "items", id_field)
    assert (rule.method, rule.path, rule.status_code, rule.path_field, rule.has_body) == expected


def test_http_rule_uses_the_proto_name_of_the_id_field_and_the_collection(messages: dict[str, Message]) -> None:
    rule = sm.http_rule("GetProductCategory", StandardMethod.GET, messages["CreateItemResponse"], "productCategories", "item_id")
    assert (rule.method, rule.path, rule.path_field) == ("GET", "/api/v1/productCategories/{item_id}", "item_id")


def test_create_plan_records_the_created_event(simple: Project) -> None:
    plan = {rpc.name: rpc.plan for rpc in simple.rpcs}["CreateItem"]
    assert plan is not None and plan.event is not None
    assert plan.event.class_name == "ItemCreatedEvent"
    assert plan.id_source == ""
    assert plan.event_args == (
        Assignment("item_id", "aggregate.id"),
        Assignment("name", "request.name"),
        Assignment("description", "request.description"),
        Assignment("quantity", "request.quantity"),
    )
    assert plan.response_args == (Assignment("item_id", "aggregate.id"), Assignment("message", '"Item created"'))
    assert plan.round_trip_fields == ("name", "description", "quantity")


def test_update_plan_records_the_synthesized_updated_event(simple: Project) -> None:
    plan = {rpc.name: rpc.plan for rpc in simple.rpcs}["UpdateItem"]
    assert plan is not None and plan.event is not None
    assert (plan.event.class_name, plan.event.is_declared) == ("ItemUpdatedEvent", False)
    assert plan.id_source == "request.id"
    assert plan.response_args == (Assignment("message", '"Item updated"'),)


def test_get_plan_answers_from_state(simple: Project) -> None:
    plan = {rpc.name: rpc.plan for rpc in simple.rpcs}["GetItem"]
    assert plan is not None
    assert plan.event is None and plan.event_args == ()
    assert plan.id_source == "request.id"
    assert plan.response_args == (
        Assignment("id", "aggregate.id"),
        Assignment("name", "aggregate.state.name"),
        Assignment("description", "aggregate.state.description"),
        Assignment("quantity", "aggregate.state.quantity"),
    )


def test_list_plan_pages_and_counts(simple: Project) -> None:
    plan = {rpc.name: rpc.plan for rpc in simple.rpcs}["ListItems"]
    assert plan is not None
    assert plan.response_args == (
        Assignment("items", "page.items"),
        Assignment("total", "page.total"),
    )
    assert plan.page_method == "page_with_total"  # the total rides on the page's SELECT
    assert plan.page_args == (Assignment("page_size", "request.page_size"), Assignment("page_number", "request.page"))
    assert plan.filter_args == ()
