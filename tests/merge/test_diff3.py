"""The line-level three-way merge (diff3) and the review's marker and field checks."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from potter_gen.markers import marker_lines
from potter_gen.merge.diff3 import has_conflicts, merge_lines, merged_text, with_markers
from potter_gen.review import find_stale_reads, message_fields

lines = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "d\n", "e\n"]), max_size=8)
# The machine is shared: no deadline, no complaint about slow generation.
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150)


@SETTINGS
@given(base=lines, theirs=lines)
def test_unchanged_ours_takes_theirs(base: list[str], theirs: list[str]) -> None:
    assert merged_text(merge_lines(base, base, theirs)) == "".join(theirs)


@SETTINGS
@given(base=lines, ours=lines)
def test_unchanged_theirs_keeps_ours(base: list[str], ours: list[str]) -> None:
    assert merged_text(merge_lines(base, ours, base)) == "".join(ours)


@SETTINGS
@given(base=lines, both=lines)
def test_the_same_change_on_both_sides_is_taken_once(base: list[str], both: list[str]) -> None:
    assert merged_text(merge_lines(base, both, both)) == "".join(both)


@SETTINGS
@given(base=lines, ours=lines, theirs=lines)
def test_markers_hold_each_side_and_the_rest_is_merged(base: list[str], ours: list[str], theirs: list[str]) -> None:
    chunks = merge_lines(base, ours, theirs)
    text = with_markers(chunks)
    # Taking "yours" in every conflict gives back the user's lines when the generator changed nothing else.
    yours = "".join(line for c in chunks for line in (c.ours if c.conflict else c.lines))
    if theirs == base:
        assert yours == "".join(ours)
    assert (marker_lines(text) != []) == has_conflicts(chunks)
    assert len(marker_lines(text)) == 4 * sum(c.conflict for c in chunks)


def test_edits_on_separate_lines_merge() -> None:
    base = [f"line {n}\n" for n in range(6)]
    ours, theirs = list(base), list(base)
    ours[1] = "user's line 1\n"
    theirs[4] = "generator's line 4\n"
    theirs.append("generator's new line\n")
    assert merged_text(merge_lines(base, ours, theirs)) == "".join([base[0], ours[1], *base[2:4], theirs[4], base[5], theirs[6]])


def test_markers_are_at_column_0_and_content_indented() -> None:
    chunks = merge_lines(["x = 1\n"], ["x = 2\n"], ["x = 3\n"])
    assert with_markers(chunks, "    ") == "<<<<<<< yours\n    x = 2\n||||||| base\n    x = 1\n=======\n    x = 3\n>>>>>>> potter-gen\n"


def test_indented_or_embedded_markers_are_not_markers() -> None:
    assert marker_lines("    <<<<<<< yours\nx = '======='\n=======\n>>>>>>> potter-gen\n<<<<<<<<\n") == [3, 4]


MESSAGES = '''
class LendingPolicy(enum.StrEnum):
    LENDING_POLICY_LOAN = "LENDING_POLICY_LOAN"


class BookBorrowed(DomainEvent):
    event_type: ClassVar[str] = "library.book.borrowed"
    book_id: str = ""


class BorrowBookRequest(Message):
    book_id: str = ""
    borrower_id: str = ""


class ExtendedRequest(BorrowBookRequest):
    days: int = 0
'''
HANDLER = '''
class Handler:
    async def handle(self, request: BorrowBookRequest) -> None:
        print(request.book_id, request.member_id, request.model_dump())

    def other(self, request: ExtendedRequest, raw: object) -> None:
        request.member_id = raw.member_id  # a store, and a read of an unannotated name
        return request.days + len(request.book_id)

    def on_borrowed(self, event: BookBorrowed, policy: LendingPolicy) -> str:
        # A DomainEvent class variable, a pydantic method, an enum member: none is a missing field.
        return event.aggregate_type + event.json() + policy.value + event.event_type
'''


def test_a_read_of_a_missing_field_is_found_with_its_line_and_closest_field() -> None:
    fields = message_fields({"messages.py": MESSAGES})
    assert fields["ExtendedRequest"] == {"book_id", "borrower_id", "days"}
    assert "LendingPolicy" not in fields  # an enum is not a message
    [read] = find_stale_reads({"handler.py": HANDLER, "broken.py": "def f(:\n"}, fields)
    assert (read.path, read.line, read.expression, read.message, read.suggestion) == (
        "handler.py",
        4,
        "request.member_id",
        "BorrowBookRequest",
        "borrower_id",
    )
    assert read.describe() == "request.member_id: BorrowBookRequest has no field member_id (field removed or renamed; did you mean borrower_id?)"
