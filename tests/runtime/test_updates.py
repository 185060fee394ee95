"""update_paths: what an Update changes (AIP-134 presence, AIP-161 field masks)."""

from __future__ import annotations

import pytest
from pydantic import AliasChoices, Field, ValidationError

from potter_runtime import InvalidArgumentError, Message, update_paths
from potter_runtime.messages import FieldMask, Int32


class UpdateBookRequest(Message):
    id: str = ""
    title: str = ""
    page_count: Int32 = Field(default=0, validation_alias=AliasChoices("pageCount"), serialization_alias="pageCount")
    from_: str = Field(default="", validation_alias=AliasChoices("from"), serialization_alias="from")
    update_mask: FieldMask | None = Field(default=None, validation_alias=AliasChoices("updateMask"), serialization_alias="updateMask")


def paths(body: dict[str, object]) -> frozenset[str]:
    request = UpdateBookRequest.model_validate(body).model_copy(update={"id": "b1"})
    return update_paths(request, path_field="id", mask_field="update_mask")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"title": "Dune"}, {"title"}),
        ({"pageCount": 3, "from": "x"}, {"page_count", "from_"}),
        ({"title": None}, {"title"}),  # JSON merge patch: null resets the field
        ({}, set()),
        ({"id": "other", "title": "Dune"}, {"title"}),  # the path field is the resource's name, never changed
        ({"updateMask": "", "title": "Dune"}, {"title"}),  # an empty mask is an omitted one (AIP-134)
    ],
)
def test_without_a_mask_the_fields_present_change(body: dict[str, object], expected: set[str]) -> None:
    assert paths(body) == expected


@pytest.mark.parametrize(
    ("mask", "expected"),
    [
        ("title", {"title"}),
        ("pageCount,from", {"page_count", "from_"}),
        ("*", {"title", "page_count", "from_"}),
    ],
)
def test_with_a_mask_exactly_the_masked_fields_change(mask: str, expected: set[str]) -> None:
    assert paths({"updateMask": mask, "title": "Dune", "pageCount": 3}) == expected


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        ("subtitle", "path 'subtitle' names no field that can be updated; valid paths: from, page_count, title"),
        ("id", "path 'id' names no field"),
        ("author.name", "names a nested field"),
        ("*,title", "'*' must be the only path"),
    ],
)
def test_bad_mask_paths_are_invalid_arguments(mask: str, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message.replace("*", r"\*")) as caught:
        paths({"updateMask": mask})

    assert caught.value.status == 400


def test_a_mask_path_in_snake_case_is_not_proto3_json() -> None:
    with pytest.raises(ValidationError, match="lowerCamelCase"):
        paths({"updateMask": "page_count"})
