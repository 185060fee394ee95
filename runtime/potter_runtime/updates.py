"""Which fields an Update request changes: AIP-134 partial updates, AIP-161 field masks.

An Update changes only what its request names: the paths of its
``update_mask`` (a ``google.protobuf.FieldMask``, held in its proto3 JSON
form, e.g. ``"title,copies"``) when the request carries one, else exactly the
fields present in the request body (JSON merge patch, RFC 7396: a member that
is absent is left alone; one that is ``null`` is reset to its default).
This module must not load or save aggregates; handlers do that.
"""

from __future__ import annotations

import keyword

from pydantic import BaseModel

from potter_runtime.errors import InvalidArgumentError

#: AIP-161: a mask of exactly ``*`` replaces every field.
FULL_REPLACEMENT = "*"


def _proto_name(python_name: str) -> str:
    # Generated models escape proto names that are Python keywords with a trailing "_" (`from` → `from_`).
    stem = python_name[:-1]
    return stem if python_name.endswith("_") and keyword.iskeyword(stem) else python_name


def _mask_paths(mask: str) -> list[str]:
    """Split a FieldMask's JSON form into snake_case paths (proto3 JSON mapping: lowerCamelCase, comma-separated)."""
    paths = []
    for path in mask.split(","):
        path = path.strip()
        if path:
            paths.append("".join("_" + c.lower() if c.isupper() else c for c in path))
    return paths


def update_paths(request: BaseModel, *, path_field: str = "", mask_field: str = "") -> frozenset[str]:
    """Return the Python names of the request fields an Update must change.

    Args:
        request: The Update request model, as validated from the REST body
            (its ``model_fields_set`` tells which members the body had).
        path_field: Python name of the field that addresses the resource (e.g.
            ``"id"``, taken from the URL); never a field to change.
        mask_field: Python name of the request's ``google.protobuf.FieldMask``
            field (e.g. ``"update_mask"``), or ``""`` when it has none.

    Returns:
        With a non-empty mask: the masked fields (AIP-161; ``*`` means every
        field). Otherwise: the fields present in the request (AIP-134: an
        omitted mask means "the fields the request sets"). ``path_field`` and
        ``mask_field`` are never included.

    Raises:
        InvalidArgumentError: A mask path names no field of the request, or a
            nested field (``"address.city"``: only top-level fields can be
            masked here), or ``*`` is combined with other paths (AIP-161).
    """
    fields = {name for name in type(request).model_fields if name not in (path_field, mask_field)}
    mask = getattr(request, mask_field, None) if mask_field else None
    if not mask:
        return frozenset(name for name in request.model_fields_set if name in fields)
    paths = _mask_paths(mask)
    if FULL_REPLACEMENT in paths:
        if len(paths) > 1:
            raise InvalidArgumentError(f"{mask_field}: '*' must be the only path (AIP-161); got {mask!r}")
        return frozenset(fields)
    by_proto_name = {_proto_name(name): name for name in fields}
    chosen = set()
    for path in paths:
        if "." in path:
            raise InvalidArgumentError(f"{mask_field}: path {path!r} names a nested field; name a top-level field")
        if path not in by_proto_name:
            raise InvalidArgumentError(
                f"{mask_field}: path {path!r} names no field that can be updated; valid paths: "
                f"{', '.join(sorted(by_proto_name))}"
            )
        chosen.add(by_proto_name[path])
    return frozenset(chosen)
