"""Table tests of the three-way merge: (base, ours, theirs) → expected text, status, kept, conflicts.

Each case starts from `BASE`, a scaffold-like handler module, applies the
user's edits (ours) and the generator's edits (theirs) as exact text
replacements, and states what `merge_file` must return. When both sides
touch different definitions the expected text is simply both edit lists
applied to the base. Every case that does not conflict is also merged a
second time, both ways a second `update` could see it, and must then be a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass

import black
import libcst as cst
import pytest

from potter_gen.format import format_user_source
from potter_gen.merge import MergeResult, MergeStatus, merge_file
from tests.black_style import BLACK_MODE

PATH = "src/shop/application/commands/archive_item.py"

BASE = '''\
"""ArchiveItem command handler: yours to edit."""

from __future__ import annotations

from shop.application.bases import ArchiveItemHandlerBase
from shop.application.messages import ArchiveItemRequest, ArchiveItemResponse


class ArchiveItemHandler(ArchiveItemHandlerBase):
    """ArchiveItem command."""

    async def handle(self, request: ArchiveItemRequest) -> ArchiveItemResponse:
        raise NotImplementedError("ArchiveItem")

    def describe(self) -> str:
        return "archive item"


def archive_route() -> str:
    return "/api/v1/items/archive_item"


def unarchive_route() -> str:
    return "/api/v1/items/unarchive_item"
'''

Edit = tuple[str, str]


def apply(text: str, edits: list[Edit]) -> str:
    """Apply exact `(old, new)` replacements in order; each `old` must occur exactly once."""
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


@dataclass(frozen=True)
class Case:
    """One row: the user's and the generator's edits of BASE and the expected outcome.

    `expected` None means "both edit lists applied to BASE" (disjoint edits).
    """

    id: str
    ours: list[Edit]
    theirs: list[Edit]
    status: MergeStatus = MergeStatus.MERGED
    expected: str | None = None
    kept: tuple[str, ...] = ()
    base: str = BASE

    def texts(self) -> tuple[str, str, str]:
        return self.base, apply(self.base, self.ours), apply(self.base, self.theirs)

    def expected_text(self) -> str:
        if self.expected is not None:
            return self.expected
        return format_user_source(PATH, apply(apply(self.base, self.ours), self.theirs))


# Frequently used edits.
SIGNATURE = ("request: ArchiveItemRequest)", "request: ArchiveRequest)")
IMPORT_RENAME = (
    "from shop.application.messages import ArchiveItemRequest, ArchiveItemResponse",
    "from shop.application.messages import ArchiveItemResponse, ArchiveRequest",
)
USER_BODY = (
    '        raise NotImplementedError("ArchiveItem")\n',
    "        item = await self.repository.get(request.id)\n"
    "        return ArchiveItemResponse(archived=bool(item.id))\n",
)
GEN_BODY = ('        raise NotImplementedError("ArchiveItem")\n', '        raise NotImplementedError("ArchiveItem is not written yet")\n')
GEN_ROUTE = ('return "/api/v1/items/archive_item"', 'return "/api/v2/items/archive_item"')
USER_DESCRIBE = ('return "archive item"', 'return "archive an item softly"')
GEN_DESCRIBE = ('return "archive item"', 'return "archive"')
DROP_UNARCHIVE = ('\n\n\ndef unarchive_route() -> str:\n    return "/api/v1/items/unarchive_item"\n', "\n")
GEN_NEW_FUNCTION = (
    '    return "/api/v1/items/archive_item"\n',
    '    return "/api/v1/items/archive_item"\n\n\ndef restore_route() -> str:\n    return "/api/v1/items/restore_item"\n',
)

SETTINGS_BASE = '''\
"""Settings of shop: yours to tune."""

from __future__ import annotations

from potter_runtime.settings import ServiceSettings

DEFAULT_PORT = 8000


class Settings(ServiceSettings):
    """Service settings."""

    database_url: str = "sqlite+aiosqlite:///./shop.db"
    port: int = DEFAULT_PORT
'''
NEW_DATABASE = ("///./shop.db", "///./store.db")
USER_HELPER_FIRST = (
    "ServiceSettings\n\nDEFAULT_PORT",
    'ServiceSettings\n\n\ndef env_name() -> str:\n    return "dev"\n\n\nDEFAULT_PORT',
)

COMMENTED_BASE = apply(BASE, [("\n\ndef archive_route", "\n\n# Route of the archive RPC.\ndef archive_route")])
GEN_COMMENT = ("# Route of the archive RPC.", "# Route of the archive RPC (soft delete).")

CASES = [
    # -- one side only ----------------------------------------------------------
    Case("untouched-ours-takes-theirs", ours=[], theirs=[SIGNATURE, IMPORT_RENAME, GEN_NEW_FUNCTION, DROP_UNARCHIVE]),
    Case("unchanged-theirs-keeps-ours", ours=[USER_BODY, USER_DESCRIBE], theirs=[], status=MergeStatus.UNCHANGED),
    Case("both-sides-identical", ours=[GEN_ROUTE], theirs=[GEN_ROUTE], status=MergeStatus.UNCHANGED, expected=apply(BASE, [GEN_ROUTE])),
    # -- both sides, different definitions ----------------------------------------
    Case("different-definitions-both-kept", ours=[USER_DESCRIBE], theirs=[GEN_ROUTE]),
    Case("user-body-and-generator-body-of-another-method", ours=[USER_DESCRIBE], theirs=[GEN_BODY]),
    Case("generator-adds-function-user-edits-another", ours=[USER_BODY], theirs=[GEN_NEW_FUNCTION]),
    # -- user additions survive ------------------------------------------------------
    Case(
        "user-added-method",
        ours=[("        return \"archive item\"\n", '        return "archive item"\n\n    def audit(self) -> None:\n        self.audited = True\n')],
        theirs=[SIGNATURE, IMPORT_RENAME],
    ),
    Case(
        "user-added-import",
        ours=[("from __future__ import annotations\n", "from __future__ import annotations\n\nimport logging\n")],
        theirs=[SIGNATURE, IMPORT_RENAME],
    ),
    Case(
        "user-added-name-to-a-generated-import",
        ours=[("ArchiveItemRequest, ArchiveItemResponse\n", "ArchiveItemRequest, ArchiveItemResponse, Item\n")],
        theirs=[GEN_ROUTE],
    ),
    Case(
        "user-added-helper-function",
        ours=[("\n\nclass ArchiveItemHandler", "\n\ndef reason_text(reason: str) -> str:\n    return reason.strip()\n\n\nclass ArchiveItemHandler")],
        theirs=[SIGNATURE, IMPORT_RENAME, GEN_ROUTE],
    ),
    Case(
        "user-added-helper-at-the-end",
        ours=[('    return "/api/v1/items/unarchive_item"\n', '    return "/api/v1/items/unarchive_item"\n\n\ndef user_helper() -> int:\n    return 1\n')],
        theirs=[GEN_NEW_FUNCTION, GEN_ROUTE],
    ),
    Case(
        "user-added-decorator-on-class",
        ours=[("class ArchiveItemHandler(", "@dataclasses.dataclass\nclass ArchiveItemHandler(")],
        theirs=[SIGNATURE, IMPORT_RENAME],
    ),
    Case(
        "user-added-decorator-on-edited-method",
        ours=[("    def describe(self) -> str:", "    @functools.cache\n    def describe(self) -> str:")],
        theirs=[GEN_DESCRIBE],
        expected=apply(BASE, [("    def describe(self) -> str:", "    @functools.cache\n    def describe(self) -> str:"), GEN_DESCRIBE]),
    ),
    Case(
        "user-added-decorator-on-a-method-whose-signature-changes",
        ours=[("    async def handle(", "    @traced\n    async def handle(")],
        theirs=[SIGNATURE, IMPORT_RENAME],
    ),
    Case(
        "user-added-comment-above-method",
        ours=[("    async def handle(", "    # Archiving is soft: the item stays readable.\n    async def handle(")],
        theirs=[SIGNATURE, IMPORT_RENAME],
    ),
    Case(
        "user-added-comment-in-body",
        ours=[('        raise NotImplementedError("ArchiveItem")\n', '        # archive for real later\n        raise NotImplementedError("ArchiveItem")\n')],
        theirs=[SIGNATURE, IMPORT_RENAME],
    ),
    Case(
        "user-added-module-comment",
        ours=[("\n\ndef archive_route()", "\n\n# Routes below are used by the admin tool.\ndef archive_route()")],
        theirs=[SIGNATURE, IMPORT_RENAME],
    ),
    Case(
        "user-added-trailing-comment",
        ours=[('    return "/api/v1/items/unarchive_item"\n', '    return "/api/v1/items/unarchive_item"\n\n\n# end of handlers\n')],
        theirs=[GEN_ROUTE],
    ),
    Case(
        "user-added-method-docstring",
        ours=[("-> ArchiveItemResponse:\n", '-> ArchiveItemResponse:\n        """Archive softly."""\n')],
        theirs=[SIGNATURE, IMPORT_RENAME],
    ),
    Case(
        "user-changed-class-docstring",
        ours=[('"""ArchiveItem command."""', '"""Archive an item: hide it from listings."""')],
        theirs=[SIGNATURE, IMPORT_RENAME],
    ),
    Case(
        "user-changed-module-docstring",
        ours=[('"""ArchiveItem command handler: yours to edit."""', '"""Archiving, soft."""')],
        theirs=[GEN_ROUTE],
    ),
    Case(
        "user-added-class-attribute",
        ours=[('    """ArchiveItem command."""\n', '    """ArchiveItem command."""\n\n    audit: bool = True\n')],
        theirs=[SIGNATURE, IMPORT_RENAME],
    ),
    Case(
        "user-added-module-constant",
        ours=[("\n\nclass ArchiveItemHandler", "\nMAX_REASON = 80\n\n\nclass ArchiveItemHandler")],
        theirs=[GEN_ROUTE],
    ),
    # -- the generator removes definitions ----------------------------------------------
    Case("generator-removes-untouched-function", ours=[USER_BODY], theirs=[DROP_UNARCHIVE]),
    Case(
        "generator-removes-untouched-method",
        ours=[USER_BODY],
        theirs=[('\n    def describe(self) -> str:\n        return "archive item"\n', "")],
    ),
    Case(
        "generator-removes-edited-function-keeps-it",
        ours=[("/api/v1/items/unarchive_item", "/api/v1/items/unarchive_item?soft=1")],
        theirs=[DROP_UNARCHIVE],
        status=MergeStatus.UNCHANGED,
        expected=apply(BASE, [("/api/v1/items/unarchive_item", "/api/v1/items/unarchive_item?soft=1")]),
        kept=("unarchive_route",),
    ),
    Case(
        "generator-removes-edited-method-keeps-it",
        ours=[USER_DESCRIBE],
        theirs=[('\n    def describe(self) -> str:\n        return "archive item"\n', ""), GEN_ROUTE],
        expected=apply(BASE, [USER_DESCRIBE, GEN_ROUTE]),
        kept=("ArchiveItemHandler.describe",),
    ),
    Case(
        "generator-removes-import-still-used-by-user",
        ours=[USER_BODY],
        theirs=[("ArchiveItemRequest, ArchiveItemResponse", "ArchiveItemRequest"), ("-> ArchiveItemResponse:", "-> None:")],
        expected=apply(BASE, [USER_BODY, ("-> ArchiveItemResponse:", "-> None:")]),
    ),
    # -- signatures the proto forces -------------------------------------------------
    Case("renamed-request-type-keeps-user-body", ours=[USER_BODY], theirs=[SIGNATURE, IMPORT_RENAME]),
    Case(
        "new-parameter-keeps-user-body",
        ours=[USER_BODY],
        theirs=[
            (
                "    async def handle(self, request: ArchiveItemRequest) -> ArchiveItemResponse:\n",
                '    async def handle(\n        self, request: ArchiveItemRequest, reason: str = ""\n    ) -> ArchiveItemResponse:\n',
            )
        ],
    ),
    Case(
        "generator-signature-and-user-docstring-and-body",
        ours=[USER_BODY, ("-> ArchiveItemResponse:\n", '-> ArchiveItemResponse:\n        """Archive softly."""\n')],
        theirs=[SIGNATURE, IMPORT_RENAME],
    ),
    # -- blank lines and comments above a definition are not an edit of it ------------------
    # (black puts 1 blank line after a class docstring or the imports, 0 between
    # assignments and 2 after a def: what the user adds above changes the blank
    # lines of the next definition, which is not a change of that definition)
    Case(
        "user-added-class-attribute-above-a-generated-one",
        base=SETTINGS_BASE,
        ours=[("\n    database_url", "\n    port_offset: int = 0\n    database_url")],
        theirs=[NEW_DATABASE],
    ),
    Case(
        "user-added-comment-above-a-generated-attribute",
        base=SETTINGS_BASE,
        ours=[("\n    database_url", "\n    # PostgreSQL in production.\n    database_url")],
        theirs=[NEW_DATABASE],
    ),
    Case(
        "user-added-helper-above-a-module-constant-the-generator-changes",
        base=SETTINGS_BASE,
        ours=[USER_HELPER_FIRST],
        theirs=[("DEFAULT_PORT = 8000", "DEFAULT_PORT = 8080")],
    ),
    Case(
        "generator-changes-the-comment-above-an-untouched-definition",
        base=COMMENTED_BASE,
        ours=[USER_BODY],
        theirs=[GEN_COMMENT],
    ),
    Case(
        "generator-changes-the-comment-above-a-definition-whose-body-the-user-changed",
        base=COMMENTED_BASE,
        ours=[("/api/v1/items/archive_item", "/api/v1/items/archive")],
        theirs=[GEN_COMMENT],
    ),
    Case(
        "user-added-helper-above-an-untouched-constant-the-generator-removes",
        base=SETTINGS_BASE,
        ours=[USER_HELPER_FIRST],
        theirs=[("DEFAULT_PORT = 8000\n\n\n", "\n"), ("port: int = DEFAULT_PORT", "port: int = 8000")],
    ),
]


def _merge(case: Case) -> tuple[MergeResult, tuple[str, str, str]]:
    base, ours, theirs = case.texts()
    for text in (base, ours, theirs):  # the inputs are what black would write
        assert format_user_source(PATH, text) == text, text
    return merge_file(PATH, base, ours, theirs), (base, ours, theirs)


def _assert_clean(text: str) -> None:
    cst.parse_module(text)
    assert black.format_str(text, mode=BLACK_MODE) == text


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_merge_table(case: Case) -> None:
    result, _ = _merge(case)
    assert result.conflicts == ()
    assert result.text == case.expected_text()
    assert result.status is case.status
    assert result.kept == case.kept
    _assert_clean(result.text)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_merging_the_result_again_is_unchanged(case: Case) -> None:
    result, (base, _, theirs) = _merge(case)
    assert result.status is not MergeStatus.CONFLICTED, result.conflicts
    # What the next `update` sees: base = the rendering it recorded, ours = the merged file.
    again = merge_file(PATH, theirs, result.text, theirs)
    assert again.status is MergeStatus.UNCHANGED
    assert again.text == result.text
    # What a second merge from the same base sees (e.g. `generate` left the base as it was).
    repeated = merge_file(PATH, base, result.text, theirs)
    assert repeated.status is MergeStatus.UNCHANGED, repeated.text
    assert repeated.text == result.text


def test_definition_only_the_generator_touched_is_removed_when_the_generator_drops_it() -> None:
    """Two updates: the generator rewords a comment, then drops the definition; the user never touched it."""
    ours = apply(COMMENTED_BASE, [USER_BODY])
    first_theirs = apply(COMMENTED_BASE, [GEN_COMMENT])
    first = merge_file(PATH, COMMENTED_BASE, ours, first_theirs)
    second_theirs = apply(first_theirs, [("\n\n# Route of the archive RPC (soft delete).\ndef archive_route() -> str:\n    return \"/api/v1/items/archive_item\"\n", "")])
    second = merge_file(PATH, first_theirs, first.text, second_theirs)
    assert second.kept == ()
    assert "def archive_route" not in second.text


# -- conflicts ----------------------------------------------------------------------


def test_same_function_changed_on_both_sides_conflicts() -> None:
    ours, theirs = apply(BASE, [USER_DESCRIBE]), apply(BASE, [GEN_DESCRIBE])
    result = merge_file(PATH, BASE, ours, theirs)
    assert result.status is MergeStatus.CONFLICTED
    [conflict] = result.conflicts
    assert conflict.name == "ArchiveItemHandler.describe"
    assert conflict.line == ours.splitlines().index("    def describe(self) -> str:") + 1
    assert 'return "archive an item softly"' in conflict.ours
    assert 'return "archive"' in conflict.theirs
    text = result.text
    assert "<<<<<<< yours" in text and "=======" in text and ">>>>>>> potter-gen" in text
    yours = text[text.index("<<<<<<< yours") : text.index("=======")]
    mine = text[text.index("=======") : text.index(">>>>>>> potter-gen")]
    assert 'return "archive an item softly"' in yours
    assert 'return "archive"\n' in mine
    # Outside the markers the file is the user's.
    before, after = text[: text.index("<<<<<<< yours")].rstrip(), text[text.index(">>>>>>> potter-gen\n") + 19 :]
    assert ours.startswith(before) and ours.endswith(after)


def test_same_module_function_changed_on_both_sides_conflicts() -> None:
    ours = apply(BASE, [("/api/v1/items/archive_item", "/api/v1/items/archive")])
    theirs = apply(BASE, [GEN_ROUTE])
    result = merge_file(PATH, BASE, ours, theirs)
    assert result.status is MergeStatus.CONFLICTED
    [conflict] = result.conflicts
    assert conflict.name == "archive_route"
    assert conflict.line == ours.splitlines().index("def archive_route() -> str:") + 1


def test_conflict_and_clean_merge_in_one_file_report_only_the_conflict() -> None:
    ours = apply(BASE, [USER_BODY, USER_DESCRIBE])
    theirs = apply(BASE, [SIGNATURE, IMPORT_RENAME, GEN_DESCRIBE])
    result = merge_file(PATH, BASE, ours, theirs)
    assert result.status is MergeStatus.CONFLICTED
    assert [c.name for c in result.conflicts] == ["ArchiveItemHandler.describe"]
    assert "item = await self.repository.get(request.id)" in result.text


def test_both_sides_change_the_same_body_differently_conflicts() -> None:
    ours, theirs = apply(BASE, [USER_BODY]), apply(BASE, [GEN_BODY])
    result = merge_file(PATH, BASE, ours, theirs)
    assert result.status is MergeStatus.CONFLICTED
    assert [(c.name, c.line) for c in result.conflicts] == [("ArchiveItemHandler.handle", 12)]


def test_non_python_file_changed_on_both_sides_is_a_whole_file_conflict() -> None:
    base = "[project]\nname = 'shop'\n"
    ours = base + "version = '1.0'\n"
    theirs = base + "dependencies = []\n"
    result = merge_file("pyproject.toml", base, ours, theirs)
    assert result.status is MergeStatus.CONFLICTED
    [conflict] = result.conflicts
    assert "pyproject.toml" in conflict.name and conflict.line == 1
    assert conflict.ours == ours and conflict.theirs == theirs
    assert result.text == f"<<<<<<< yours\n{ours}=======\n{theirs}>>>>>>> potter-gen\n"


@pytest.mark.parametrize(
    ("ours", "theirs", "status", "text"),
    [
        ("a\nb\n", "a\n", MergeStatus.UNCHANGED, "a\nb\n"),  # only the user changed it
        ("a\n", "a\nc\n", MergeStatus.MERGED, "a\nc\n"),  # only the generator changed it
        ("a\nc\n", "a\nc\n", MergeStatus.UNCHANGED, "a\nc\n"),  # the same change on both sides
    ],
)
def test_non_python_file_changed_on_one_side(ours: str, theirs: str, status: MergeStatus, text: str) -> None:
    result = merge_file("Makefile", "a\n", ours, theirs)
    assert (result.status, result.text, result.conflicts) == (status, text, ())


def test_user_file_that_does_not_parse_is_a_conflict_not_a_crash() -> None:
    ours = BASE + "\ndef broken(:\n"
    theirs = apply(BASE, [GEN_ROUTE])
    result = merge_file(PATH, BASE, ours, theirs)
    assert result.status is MergeStatus.CONFLICTED
    [conflict] = result.conflicts
    assert PATH in conflict.name and conflict.line == 1
    assert result.text.startswith("<<<<<<< yours\n") and result.text.endswith(">>>>>>> potter-gen\n")
    assert "def broken(:" in result.text and "/api/v2/items/archive_item" in result.text


def test_unparsable_user_file_unchanged_by_the_generator_stays() -> None:
    ours = BASE + "\ndef broken(:\n"
    result = merge_file(PATH, BASE, ours, BASE)
    assert (result.status, result.text) == (MergeStatus.UNCHANGED, ours)


def test_unknown_base_keeps_user_additions_to_an_identical_rendering() -> None:
    ours = apply(BASE, [("\n\nclass ArchiveItemHandler", "\n\ndef reason_text(reason: str) -> str:\n    return reason.strip()\n\n\nclass ArchiveItemHandler")])
    result = merge_file(PATH, None, ours, BASE)
    assert result.status is MergeStatus.UNCHANGED
    assert result.text == ours


def test_unknown_base_and_a_changed_definition_is_a_conflict() -> None:
    ours = apply(BASE, [USER_BODY])
    result = merge_file(PATH, None, ours, apply(BASE, [SIGNATURE, IMPORT_RENAME]))
    assert result.status is MergeStatus.CONFLICTED
    assert "ArchiveItemHandler.handle" in [c.name for c in result.conflicts]
