"""Unit tests of potter_gen.naming: casing, plurals, identifiers, package names."""

from __future__ import annotations

import pytest

from potter_gen import naming


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("GetItem", "get_item"),
        ("GetItemID", "get_item_id"),
        ("HTTPServer", "http_server"),
        ("item_read_model", "item_read_model"),
        ("ItemReadModel", "item_read_model"),
        ("Get_Item", "get_item"),
        ("my-service", "my_service"),
        ("V1Beta", "v1_beta"),
        ("ListItems", "list_items"),
        ("Item", "item"),
        ("_Leading", "leading"),
    ],
)
def test_snake_case(name: str, expected: str) -> None:
    assert naming.snake_case(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("item_read_model", "ItemReadModel"),
        ("item", "Item"),
        ("ItemReadModel", "ItemReadModel"),
        ("my-service", "MyService"),
        ("__dunder__", "Dunder"),
        ("", ""),
    ],
)
def test_pascal_case(name: str, expected: str) -> None:
    assert naming.pascal_case(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("product_category", "productCategory"),
        ("ProductCategory", "productCategory"),
        ("item_id", "itemId"),
        ("id", "id"),
        ("HTTPServer", "httpServer"),
    ],
)
def test_camel_case(name: str, expected: str) -> None:
    assert naming.camel_case(name) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("item", "items"),
        ("category", "categories"),
        ("day", "days"),  # vowel + y keeps the y
        ("key", "keys"),
        ("box", "boxes"),
        ("bus", "buses"),
        ("address", "addresses"),
        ("match", "matches"),
        ("wish", "wishes"),
        ("book", "books"),
    ],
)
def test_plural(word: str, expected: str) -> None:
    assert naming.plural(word) == expected


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        # AIP-122: the collection id is the plural, in lowerCamelCase.
        ("Item", "items"),
        ("Book", "books"),
        ("ProductCategory", "productCategories"),
        ("LineItem", "lineItems"),
        ("Address", "addresses"),
        ("ShippingAddress", "shippingAddresses"),
        ("Library", "libraries"),
    ],
)
def test_collection_id(resource: str, expected: str) -> None:
    assert naming.collection_id(resource) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("name", "name"),
        ("class", "class_"),  # keyword
        ("from", "from_"),
        ("json", "json_"),  # pydantic BaseModel method
        ("schema", "schema_"),
        ("copy", "copy_"),
        ("model_config", "model_config_"),  # pydantic's reserved prefix
        ("model_name", "model_name_"),
        ("modelling", "modelling"),
        ("class_", "class_"),
        ("id", "id"),
    ],
)
def test_python_identifier(name: str, expected: str) -> None:
    assert naming.python_identifier(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("float", "float_"),  # `float: float | None` binds the name the annotation reads
        ("int", "int_"),
        ("datetime", "datetime_"),  # annotations read `datetime.datetime`
        ("Field", "Field_"),  # pydantic's Field, the default of aliased fields
        ("Any", "Any_"),
        ("event_type", "event_type_"),  # a ClassVar of DomainEvent
        ("container", "container_"),  # every route's parameter
        ("Item", "Item_"),  # a class of the project
        ("_private", "field_private"),  # pydantic takes `_x` as a private attribute
        ("class", "class_"),
        ("id", "id"),  # a builtin no generated annotation reads
        ("item", "item"),
    ],
)
def test_field_attribute(name: str, expected: str) -> None:
    assert naming.field_attribute(name, frozenset({"Item"})) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ACTIVE", "ACTIVE"),
        ("None", "None_"),  # keyword
        ("upper", "upper_"),  # would override str.upper
        ("mro", "mro_"),  # refused by enum
        ("_HIDDEN_", "value_HIDDEN_"),  # _sunder_ names are reserved by enum
        ("__PRIVATE", "value__PRIVATE"),  # mangled, so no member
        ("name", "name"),  # enum takes it as a member
    ],
)
def test_enum_member(name: str, expected: str) -> None:
    assert naming.enum_member(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("GetItem", "get_item"),
        ("Import", "import_"),
        ("Close", "close_"),  # the SDK client's close()
        ("Router", "router_"),  # the routes module's router
        ("Settings", "settings_"),  # the container's settings
        ("List", "list_"),  # a route function `list` would be what `list[str]` finds
    ],
)
def test_rpc_module(name: str, expected: str) -> None:
    assert naming.rpc_module(name) == expected


@pytest.mark.parametrize("name", ["simple", "library", "my_service", "items_api", "service2", "health"])
def test_is_package_name_accepts(name: str) -> None:
    assert naming.is_package_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "my-service",  # dash
        "MyService",  # upper case
        "9lives",  # leading digit
        "my service",
        "class",  # keyword
        "import",
        "json",  # standard library
        "typing",
        "asyncio",
        "list",  # builtin
        "print",
    ],
)
def test_is_package_name_rejects(name: str) -> None:
    assert not naming.is_package_name(name)


@pytest.mark.parametrize(
    ("proto_package", "expected"),
    [
        ("grpc.health.v1", "health"),
        ("acme.library.v1", "library"),
        ("example", "example"),
        ("google.cloud.talent.v4beta1", "talent"),
        ("google.example.library.v1alpha", "library"),
        ("google.cloud.speech.v1p1beta1", "speech"),  # AIP-185 point release
        ("acme.ProductCatalog.v2", "product_catalog"),
        ("shop.v1.orders", "orders"),
        ("v1", ""),
        ("", ""),
    ],
)
def test_package_from_proto_package(proto_package: str, expected: str) -> None:
    assert naming.package_from_proto_package(proto_package) == expected
