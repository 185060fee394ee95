"""Message bases, ServiceSettings and the package's public API."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pydantic
import pytest
from pydantic import Field, ValidationError

import potter_runtime
from potter_runtime import DomainEvent, Message, ServiceSettings, ValueObject
from potter_runtime.messages import IGNORE_UNKNOWN_FIELDS, Duration, ProtoEnum


class Money(ValueObject):
    currency_code: str = Field(alias="currencyCode")
    units: int = 0


class CreateItemRequest(Message):
    display_name: str = Field(alias="displayName")
    price: Money | None = None


def test_message_accepts_both_names_and_dumps_json_names() -> None:
    by_alias = CreateItemRequest.model_validate(
        {"displayName": "a", "price": {"currencyCode": "EUR"}}
    )
    by_name = CreateItemRequest(display_name="a", price=Money(currency_code="EUR"))

    assert by_alias == by_name
    assert by_name.model_dump() == {
        "displayName": "a",
        "price": {"currencyCode": "EUR"},  # units never set: left out, as protobuf's MessageToDict does
    }
    assert '"displayName":"a"' in by_name.model_dump_json()


def test_unknown_fields_are_refused_unless_the_context_ignores_them() -> None:
    data = {"displayName": "a", "price": {"currencyCode": "EUR", "cents": 5}, "unknown": 1}

    with pytest.raises(ValidationError) as caught:
        CreateItemRequest.model_validate(data)

    assert sorted(e["loc"] for e in caught.value.errors()) == [("price", "cents"), ("unknown",)]
    assert {e["type"] for e in caught.value.errors()} == {"extra_forbidden"}
    ignored = CreateItemRequest.model_validate(data, context=IGNORE_UNKNOWN_FIELDS)
    assert ignored == CreateItemRequest(display_name="a", price=Money(currency_code="EUR"))


class Shape(ProtoEnum):
    __proto_numbers__ = {"SHAPE_UNSPECIFIED": 0, "ROUND": 1, "CIRCLE": 1, "SQUARE": 2}

    SHAPE_UNSPECIFIED = "SHAPE_UNSPECIFIED"
    ROUND = "ROUND"
    CIRCLE = "ROUND"
    SQUARE = "SQUARE"


class Tile(Message):
    shape: Shape = Shape.SHAPE_UNSPECIFIED
    size: int = 3
    extra: Any = None


@pytest.mark.parametrize(("given", "expected"), [("SQUARE", Shape.SQUARE), (2, Shape.SQUARE), ("2", Shape.SQUARE), ("CIRCLE", Shape.ROUND)])
def test_enum_values_by_name_number_or_alias(given: object, expected: Shape) -> None:
    tile = Tile.model_validate({"shape": given})

    assert tile.shape is expected
    assert json.loads(tile.model_dump_json())["shape"] == expected.value


@pytest.mark.parametrize("given", [7, "7", "SHAPE", "square", [1]])
def test_enum_unknown_values_are_refused(given: object) -> None:
    with pytest.raises(ValidationError):
        Tile.model_validate({"shape": given})


def test_null_sets_a_field_to_its_default_and_counts_as_present() -> None:
    tile = Tile.model_validate_json('{"shape": null, "size": null, "extra": null}')

    assert (tile.shape, tile.size, tile.extra) == (Shape.SHAPE_UNSPECIFIED, 3, None)
    assert tile.model_fields_set == {"shape", "size", "extra"}
    assert json.loads(tile.model_dump_json())["extra"] is None


def test_a_field_given_by_both_names_takes_the_later_one() -> None:
    assert CreateItemRequest.model_validate({"displayName": "a", "display_name": "b"}).display_name == "b"
    assert CreateItemRequest.model_validate({"display_name": "b", "displayName": "a"}).display_name == "a"


def test_non_finite_floats_are_written_as_proto3_json_strings() -> None:
    class Reading(Message):
        values: list[float] = Field(default_factory=list)

    text = Reading(values=[float("nan"), float("inf"), float("-inf"), 1.5]).model_dump_json()

    assert json.loads(text) == {"values": ["NaN", "Infinity", "-Infinity", 1.5]}


def test_value_objects_and_events_are_frozen() -> None:
    with pytest.raises(pydantic.ValidationError):
        Money(currency_code="EUR").units = 3  # type: ignore[misc]
    assert Money(currency_code="EUR") == Money.model_validate({"currencyCode": "EUR"})
    assert (
        DomainEvent.event_type,
        DomainEvent.event_version,
        DomainEvent.aggregate_type,
    ) == (
        "",
        1,
        "",
    )


class SimpleSettings(ServiceSettings):
    database_url: str = "sqlite+aiosqlite:///./simple.db"


def test_settings_defaults_and_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("HOST", "PORT", "DATABASE_URL", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    defaults = SimpleSettings()
    assert (defaults.host, defaults.port, defaults.log_level) == (
        "127.0.0.1",
        8000,
        "info",
    )
    assert defaults.database_url == "sqlite+aiosqlite:///./simple.db"

    (tmp_path / ".env").write_text("LOG_LEVEL=debug\nOTHER=ignored\n")
    monkeypatch.setenv("PORT", "9001")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://db/x")
    configured = SimpleSettings()
    assert (configured.port, configured.database_url, configured.log_level) == (
        9001,
        "postgresql+asyncpg://db/x",
        "debug",
    )


def test_settings_of_the_buses(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("REDIS_URL", "IDEMPOTENCY_KEY_TTL_SECONDS", "LOG_JSON"):
        monkeypatch.delenv(name, raising=False)
    defaults = SimpleSettings()
    assert (defaults.redis_url, defaults.idempotency_key_ttl_seconds, defaults.log_json) == (None, 86400, True)

    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/1")
    monkeypatch.setenv("IDEMPOTENCY_KEY_TTL_SECONDS", "3600")
    monkeypatch.setenv("LOG_JSON", "false")
    configured = SimpleSettings()
    assert (configured.redis_url, configured.idempotency_key_ttl_seconds, configured.log_json) == (
        "redis://cache:6379/1",
        3600,
        False,
    )


def test_version() -> None:
    assert potter_runtime.__version__ == "0.1.0"


class Timer(Message):
    elapsed: Duration | None = None


@pytest.mark.parametrize(
    ("text", "value", "written"),
    [
        ("1.5s", datetime.timedelta(seconds=1.5), "1.500s"),
        ("0s", datetime.timedelta(0), "0s"),
        ("3s", datetime.timedelta(seconds=3), "3s"),
        ("-0.000001s", datetime.timedelta(microseconds=-1), "-0.000001s"),
        ("-1.5s", datetime.timedelta(seconds=-1.5), "-1.500s"),
        ("1.000000001s", datetime.timedelta(seconds=1), "1s"),  # nanoseconds below a microsecond are dropped
        ("315576000000s", datetime.timedelta(seconds=315576000000), "315576000000s"),
    ],
)
def test_duration_uses_the_proto3_json_form(text: str, value: datetime.timedelta, written: str) -> None:
    timer = Timer.model_validate_json(json.dumps({"elapsed": text}))
    assert timer.elapsed == value
    assert json.loads(timer.model_dump_json()) == {"elapsed": written}
    assert json.loads(Timer(elapsed=value).model_dump_json()) == {"elapsed": written}


def test_duration_rejects_what_is_not_a_duration() -> None:
    with pytest.raises(ValidationError):
        Timer.model_validate_json('{"elapsed": "1.5 seconds"}')


def test_message_json_is_protobufs_for_bytes_timestamps_and_defaults() -> None:
    """Standard base64 (not the URL-safe alphabet), 0/3/6/9 fraction digits, defaults never set left out, set ones kept."""

    class Blob(Message):
        data: bytes = b""
        at: datetime.datetime | None = None
        count: int = 0
        tags: list[str] = Field(default_factory=list)

    assert Blob(data=b"\xf8", at=datetime.datetime(2024, 1, 2, 3, 4, 5, 1000, tzinfo=datetime.UTC)).model_dump(mode="json") == {
        "data": "+A==",
        "at": "2024-01-02T03:04:05.001Z",
    }
    assert Blob(at=datetime.datetime(1, 1, 1, tzinfo=datetime.UTC)).model_dump(mode="json") == {"at": "0001-01-01T00:00:00Z"}
    assert Blob(count=0).model_dump(mode="json") == {"count": 0}  # set explicitly: written
    assert Blob().model_dump(mode="json") == {}
    appended = Blob()
    appended.tags.append("a")  # never set, but no longer the default
    assert appended.model_dump(mode="json") == {"tags": ["a"]}
