"""Pydantic types for proto field values: read and written as the proto3 JSON mapping.

Each type takes exactly the JSON values protobuf's own parser
(``google.protobuf.json_format.Parse``, Python implementation) takes for that
field type, and refuses the rest; the rules below follow that parser, which a
differential test in potter-gen's suite compares against. Each also takes its
natural Python value (``int``, ``bytes``, ``datetime``...), so handlers build
messages as usual. Generated models import these names through
``potter_runtime.messages``. This module must not define messages.
"""

from __future__ import annotations

import base64
import datetime
import math
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_INT32 = (-(2**31), 2**31 - 1)
_UINT32 = (0, 2**32 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_UINT64 = (0, 2**64 - 1)
#: The largest finite float32 (protobuf's ``type_checkers._FLOAT_MAX``).
_FLOAT32_MAX = 3.4028234663852886e38


def _integer(value: object, low: int, high: int, kind: str) -> int:
    """Read a proto integer: a JSON number or a decimal string ("12", "-3", "1e2"), within [low, high]."""
    if isinstance(value, bool):
        raise ValueError(f"{kind} must be a number, not a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{kind} must be an integer, not {value!r}")
        number = int(value)
    elif isinstance(value, str):
        if " " in value:
            raise ValueError(f"{kind} must not contain spaces: {value!r}")
        try:
            number = int(value)
        except ValueError:
            # protobuf also takes an integral float in a string ("1e2", "3.0").
            try:
                as_float = float(value)
            except ValueError:
                raise ValueError(f"{kind} must be an integer or its decimal text, not {value!r}") from None
            if not as_float.is_integer():
                raise ValueError(f"{kind} must be an integer, not {value!r}") from None
            number = int(as_float)
    else:
        raise ValueError(f"{kind} must be a JSON number or string, not {type(value).__name__}")
    if not low <= number <= high:
        raise ValueError(f"{number} is out of the range of {kind} ({low} to {high})")
    return number


def _int32(value: object) -> int:
    return _integer(value, *_INT32, "int32")


def _uint32(value: object) -> int:
    return _integer(value, *_UINT32, "uint32")


def _int64(value: object) -> int:
    return _integer(value, *_INT64, "int64")


def _uint64(value: object) -> int:
    return _integer(value, *_UINT64, "uint64")


Int32 = Annotated[int, BeforeValidator(_int32)]
"""A proto int32, sint32 or sfixed32: a JSON number or decimal string in [-2**31, 2**31 - 1]."""

UInt32 = Annotated[int, BeforeValidator(_uint32)]
"""A proto uint32 or fixed32: a JSON number or decimal string in [0, 2**32 - 1]."""

Int64 = Annotated[int, BeforeValidator(_int64), PlainSerializer(str, return_type=str, when_used="json")]
"""A proto int64, sint64 or sfixed64: written as a decimal string in JSON (proto3 JSON mapping);
read from a number or a string, in [-2**63, 2**63 - 1]."""

UInt64 = Annotated[int, BeforeValidator(_uint64), PlainSerializer(str, return_type=str, when_used="json")]
"""A proto uint64 or fixed64: written as a decimal string in JSON; read from a number or a string, in [0, 2**64 - 1]."""


def _floating(value: object, is_float32: bool) -> float:
    """Read a proto float/double: a JSON number, a numeric string, or "NaN", "Infinity", "-Infinity"."""
    if isinstance(value, float):
        # A Python NaN or infinity is kept (handlers may compute one); in JSON they are the strings
        # below, since RFC 8259 has no literal for them (protobuf also refuses Python's NaN literal).
        if math.isfinite(value) and is_float32 and not -_FLOAT32_MAX <= value <= _FLOAT32_MAX:
            raise ValueError(f"{value!r} is out of the range of float")
        return value
    if value == "nan":
        raise ValueError('write NaN as "NaN"')
    if isinstance(value, (int, str)):  # bool is an int: protobuf's parser takes true as 1.0
        try:
            return float(value)
        except ValueError:
            pass
        if value == "-Infinity":
            return float("-inf")
        if value == "Infinity":
            return float("inf")
        if value == "NaN":
            return float("nan")
    raise ValueError(f"a number was expected, not {value!r}")


def _double(value: object) -> float:
    return _floating(value, is_float32=False)


def _float(value: object) -> float:
    return _floating(value, is_float32=True)


Double = Annotated[float, BeforeValidator(_double)]
"""A proto double: a JSON number or numeric string; "NaN", "Infinity", "-Infinity" for the non-finite ones."""

Float = Annotated[float, BeforeValidator(_float)]
"""A proto float: as `Double`, and a JSON number beyond the float32 range is refused."""


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"true or false (without quotes) was expected, not {value!r}")
    return value


Bool = Annotated[bool, BeforeValidator(_bool)]
"""A proto bool: only JSON ``true`` or ``false``."""


def _bytes(value: object) -> bytes:
    """Read proto bytes: base64 text, standard or URL-safe alphabet, padding optional (proto3 JSON mapping)."""
    if isinstance(value, bytes):
        return value  # built in Python: already the bytes
    if not isinstance(value, str):
        raise ValueError(f"base64 text was expected, not {type(value).__name__}")
    encoded = value.encode("utf-8")
    # protobuf's parser: add padding, then decode the URL-safe alphabet ("+" and "/" still decode).
    return base64.urlsafe_b64decode(encoded + b"=" * (4 - len(encoded) % 4))


Bytes = Annotated[bytes, BeforeValidator(_bytes)]
"""Proto bytes: base64 in JSON (standard or URL-safe alphabet, with or without padding)."""


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_TIMESTAMP_MIN = -62135596800  # 0001-01-01T00:00:00Z
_TIMESTAMP_MAX = 253402300799  # 9999-12-31T23:59:59Z


def _timestamp(value: object) -> object:
    """Read a ``google.protobuf.Timestamp``: RFC 3339 text with "T", a "Z" or ±hh:mm offset, 0-9 fraction digits.

    Digits past microseconds are dropped: `datetime.datetime` holds microseconds.
    """
    if isinstance(value, datetime.datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(f"an RFC 3339 timestamp string was expected, not {type(value).__name__}")
    zone_at = value.find("Z")
    if zone_at == -1:
        zone_at = value.find("+")
    if zone_at == -1:
        zone_at = value.rfind("-")
    if zone_at == -1:
        raise ValueError(f"timestamp {value!r} has no time zone offset (Z or ±hh:mm)")
    clock, _, fraction = value[:zone_at].partition(".")
    if "t" in clock:
        raise ValueError(f"timestamp {value!r}: the date and time are separated by an upper-case T")
    if len(fraction) > 9:
        raise ValueError(f"timestamp {value!r} has more than 9 fractional digits")
    moment = datetime.datetime.strptime(clock, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.UTC)
    seconds = (moment - _EPOCH) // datetime.timedelta(seconds=1)
    nanos = round(float("0." + fraction) * 1e9) if fraction else 0
    zone = value[zone_at:]
    if zone[0] == "Z":
        if len(zone) != 1:
            raise ValueError(f"timestamp {value!r} has text after its Z")
    else:
        hours, colon, minutes = zone[1:].partition(":")
        if not colon:
            raise ValueError(f"timestamp {value!r}: the offset must be ±hh:mm")
        offset = (int(hours) * 60 + int(minutes)) * 60
        seconds += -offset if zone[0] == "+" else offset
    if not _TIMESTAMP_MIN <= seconds <= _TIMESTAMP_MAX or not 0 <= nanos < 10**9:
        raise ValueError(f"timestamp {value!r} is outside 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z")
    return _EPOCH + datetime.timedelta(seconds=seconds, microseconds=nanos // 1000)


Timestamp = Annotated[datetime.datetime, BeforeValidator(_timestamp)]
"""A ``google.protobuf.Timestamp``: RFC 3339 text in JSON (``"2024-05-01T12:00:00.5Z"``); a
``datetime.datetime`` (microsecond precision) in Python."""


_DURATION_MAX_SECONDS = 315_576_000_000  # 10,000 years (google/protobuf/duration.proto)


def _duration_from_json(value: object) -> object:
    """Read a ``google.protobuf.Duration``: seconds with up to 9 fraction digits and an "s" ("1.5s", "-0.000001s").

    Digits past microseconds are dropped: `datetime.timedelta` holds microseconds.
    """
    if isinstance(value, datetime.timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError(f'a duration string such as "1.5s" was expected, not {type(value).__name__}')
    if not value.endswith("s"):
        raise ValueError(f'duration {value!r} must end with "s"')
    whole, point, fraction = value[:-1].partition(".")
    seconds = int(whole)
    nanos = 0
    if point:
        nanos = int(round(float(("-0." if value.startswith("-") else "0.") + fraction) * 1e9))
    if abs(seconds) > _DURATION_MAX_SECONDS or abs(nanos) >= 10**9 or (nanos < 0 < seconds) or (seconds < 0 < nanos):
        raise ValueError(f"duration {value!r} is out of range (±315576000000s) or mixes signs")
    micros = seconds * 1_000_000 + int(nanos / 1000)
    return datetime.timedelta(microseconds=micros)


def _duration_to_json(value: datetime.timedelta) -> str:
    """Write a duration as proto3 JSON does: seconds with 0, 3 or 6 fractional digits and an "s"."""
    micros = value // datetime.timedelta(microseconds=1)
    sign, micros = ("-" if micros < 0 else ""), abs(micros)
    seconds, fraction = divmod(micros, 1_000_000)
    if fraction == 0:
        return f"{sign}{seconds}s"
    if fraction % 1000 == 0:
        return f"{sign}{seconds}.{fraction // 1000:03d}s"
    return f"{sign}{seconds}.{fraction:06d}s"


Duration = Annotated[
    datetime.timedelta,
    BeforeValidator(_duration_from_json),
    PlainSerializer(_duration_to_json, return_type=str, when_used="json"),
]
"""A ``google.protobuf.Duration``: ``"1.5s"`` in JSON, as the proto3 JSON mapping
asks; a ``datetime.timedelta`` (microsecond precision) in Python."""


def _field_mask(value: object) -> str:
    """Read a ``google.protobuf.FieldMask``: its JSON text, lowerCamelCase paths joined by commas."""
    if not isinstance(value, str):
        raise ValueError(f'a field mask string such as "title,pageCount" was expected, not {type(value).__name__}')
    if "_" in value:
        raise ValueError(f"field mask {value!r}: JSON paths are lowerCamelCase and have no '_'")
    return value


FieldMask = Annotated[str, BeforeValidator(_field_mask)]
"""A ``google.protobuf.FieldMask`` in its JSON form: ``"title,pageCount"`` (see ``update_paths``)."""


def _empty(value: object) -> object:
    if value == [] or value == "":
        return {}  # as for any message, protobuf's Python parser reads an empty iterable as {}
    if value != {}:
        raise ValueError("google.protobuf.Empty is written {}")
    return value


EmptyValue = Annotated[dict[str, Any], BeforeValidator(_empty)]
"""A ``google.protobuf.Empty``: only ``{}``."""


def _any(value: object) -> object:
    if isinstance(value, dict) and value and not isinstance(value.get("@type"), str):
        raise ValueError('a google.protobuf.Any names its type in "@type"')
    return value


AnyMessage = Annotated[dict[str, Any], BeforeValidator(_any)]
"""A ``google.protobuf.Any``: ``{}`` or an object with its ``"@type"`` URL (the packed type is not checked)."""
