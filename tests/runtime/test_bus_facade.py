"""The buses' import facade: every name it lists imports, and the lazy ones resolve to their modules."""

from __future__ import annotations

import importlib

import pytest

import potter_runtime.bus as bus


@pytest.mark.parametrize("name", bus.__all__)
def test_every_listed_name_imports(name: str) -> None:
    assert getattr(bus, name) is not None


def test_lazy_names_come_from_their_modules() -> None:
    assert bus.BusMetrics is importlib.import_module("potter_runtime.observability.metrics").BusMetrics
    assert bus.CacheMiddleware is importlib.import_module("potter_runtime.bus.cache").CacheMiddleware
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        bus.Nope  # noqa: B018
