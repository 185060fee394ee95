"""The public API: `__all__` lists exactly the public names of each package (as httpx tests it)."""

from __future__ import annotations

import types

import potter_gen
import potter_runtime


def _public(module: types.ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and name != "annotations" and not isinstance(value, types.ModuleType)
    }


def test_potter_gen_all_matches_public_names() -> None:
    """Every public name is in __all__ and every __all__ entry exists."""
    assert set(potter_gen.__all__) == _public(potter_gen) | {"__version__"}


def test_runtime_all_matches_its_lazy_exports() -> None:
    """The runtime's __all__ is exactly the names it imports on first use (PEP 562), and each resolves."""
    assert set(potter_runtime.__all__) == set(potter_runtime._SUBMODULE) | {"__version__"}
    assert sorted(potter_runtime.__all__) == potter_runtime.__all__
    for name in potter_runtime.__all__:
        assert getattr(potter_runtime, name) is not None
