"""The kitchen SDK (every protobuf construct) against the running kitchen service, over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from kitchen_client import ApiError, AsyncKitchenClient, KitchenClient
from kitchen_client.models import (
    CreateDishRequest,
    GetDishRequest,
    ImportRequest,
    Kind,
    ListDishesRequest,
)
from pydantic import ValidationError

BIG = 2**53 + 1  # not exact as a JSON double: survives only as the proto3 JSON string


def test_keywords_int64_enums_and_repeated_fields_round_trip(base_url: str) -> None:
    with KitchenClient(base_url) as client:
        created = client.create_dish(
            CreateDishRequest(name="Soup", calories=BIG, kind=Kind.class_, from_="Lyon", tags=["hot", "veg"])
        )
        dish = client.get_dish(GetDishRequest(id=created.dish_id))
        assert (dish.id, dish.name, dish.calories, dish.kind, dish.from_, dish.tags) == (
            created.dish_id, "Soup", BIG, Kind.class_, "Lyon", ["hot", "veg"],
        )
        client.create_dish(CreateDishRequest(name="Stew", kind=Kind.SOUP))

        listed = client.list_dishes(ListDishesRequest(page_size=10, kinds=[Kind.class_, Kind.SOUP]))
        assert sorted(d.name for d in listed.dishes) == ["Soup", "Stew"]
        assert listed.total == 2


def test_a_server_stream_arrives_message_by_message(base_url: str, container: Any) -> None:
    """With a user's WatchDishes handler written, the SDK yields each NDJSON line as a Dish."""
    listing = container.list_dishes

    class Watch:
        async def handle(self, request: ListDishesRequest) -> AsyncIterator[Any]:
            for dish in (await listing.handle(request)).dishes:
                yield dish

    with KitchenClient(base_url) as client:
        with pytest.raises(ApiError) as raised:
            list(client.watch_dishes(ListDishesRequest()))
        assert (raised.value.status, raised.value.code) == (501, "NOT_IMPLEMENTED")

        container.watch_dishes = Watch()
        for name in ("a", "b", "c"):
            client.create_dish(CreateDishRequest(name=name, calories=BIG))
        streamed = list(client.watch_dishes(ListDishesRequest(page_size=10)))
    assert sorted(d.name for d in streamed) == ["a", "b", "c"]
    assert {d.calories for d in streamed} == {BIG}

    async def collect() -> list[str]:
        async with AsyncKitchenClient(base_url) as client:
            return [d.name async for d in client.watch_dishes(ListDishesRequest(page_size=10))]

    assert sorted(asyncio.run(collect())) == ["a", "b", "c"]


def test_oneof_is_checked_before_sending() -> None:
    with pytest.raises(ValidationError, match="at most one of json_, csv"):
        ImportRequest(payload=b"x", json_=True, csv=True)


def test_unwritten_command_answers_501(base_url: str) -> None:
    with KitchenClient(base_url) as client:
        with pytest.raises(ApiError) as raised:
            client.import_(ImportRequest(payload=b"\x00\xff", json_=True))
    assert raised.value.code == "NOT_IMPLEMENTED"
