"""`potter-gen check`: drift between the protos and the project, for CI.

Turns a dry-run `Plan` into drift findings and prints them as text (with
optional unified diffs), JSON (schema in `CHECK_JSON_SCHEMA`, also in the
README) or GitHub workflow annotations. Pure: formatting only.
"""

from __future__ import annotations

import difflib
import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass

from potter_gen.manifest import Orphan
from potter_gen.plan import Action, FileChange, Plan
from potter_gen.review import Markers, StaleRead
from potter_gen.targets import FileKind


class DriftKind(enum.Enum):
    """Why a file is out of step with the protos."""

    MISSING = "missing"  # a file the protos need is not on disk
    STALE = "stale"  # a GENERATED file is older than the protos
    HAND_EDITED = "hand-edited"  # a GENERATED file was edited by hand
    ORPHANED = "orphaned"  # a file the protos no longer need (a SCAFFOLD one kept because the user edited it)
    SCAFFOLD_OUTDATED = "scaffold-outdated"  # `update` would merge changes into a SCAFFOLD file
    CONFLICT = "conflict"  # `update` would stop on a merge conflict, or conflict markers are left in a file
    UNKNOWN_FIELD = "unknown-field"  # the user's code reads a message field the protos no longer have


_MESSAGES = {
    DriftKind.MISSING: "missing; run `potter-gen generate` to create it",
    DriftKind.STALE: "generated from older protos; run `potter-gen generate`",
    DriftKind.HAND_EDITED: "generated file edited by hand; move the change into a scaffold file, then run `potter-gen generate`",
    DriftKind.ORPHANED: "generated for something the protos no longer have; run `potter-gen generate` to remove it",
    DriftKind.SCAFFOLD_OUTDATED: "the protos changed it; run `potter-gen update` to merge",
    DriftKind.CONFLICT: "`potter-gen update` would conflict here; run it and resolve",
    DriftKind.UNKNOWN_FIELD: "fix the code, or the proto",
}
_ORPHANED_SCAFFOLD = (
    "no longer generated; kept because you edited {}: delete the file, or run `potter-gen resolve {}` to keep it as your own"
)
_MOVED_AWAY = (
    "your implementation of {} in {} is no longer used; the new stub is {}: move your code there and delete this file"
)
_MARKERS = "conflict markers left (lines {}); resolve each region, delete the markers, then run `potter-gen update`"

CHECK_JSON_SCHEMA: dict[str, object] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "potter-gen check --format json",
    "type": "object",
    "required": ["in_sync", "drift"],
    "additionalProperties": False,
    "properties": {
        "in_sync": {"type": "boolean"},
        "drift": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["file", "kind", "ownership", "line", "message"],
                "additionalProperties": False,
                "properties": {
                    "file": {"type": "string", "description": "path relative to the project"},
                    "kind": {"enum": [k.value for k in DriftKind]},
                    "ownership": {"enum": [k.value for k in FileKind]},
                    "line": {"type": "integer", "minimum": 1},
                    "message": {"type": "string"},
                    "diff": {"type": "string", "description": "unified diff, with --diff"},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Drift:
    """One finding: a file, why it drifted, where, and the diff that would fix it."""

    file: str
    kind: DriftKind
    ownership: FileKind
    line: int
    message: str
    diff: str


def orphan_message(path: str, orphan: Orphan) -> str:
    """Return what to say about a kept orphan scaffold: what was edited, or where its RPC moved."""
    if orphan.replaced_by:
        return _MOVED_AWAY.format(orphan.definition, path, orphan.replaced_by)
    return _ORPHANED_SCAFFOLD.format(", ".join(orphan.edited), path)


def _kind(change: FileChange) -> DriftKind | None:
    if change.action in (Action.CREATE, Action.RECREATE):
        return DriftKind.MISSING
    if change.action is Action.REWRITE:
        return DriftKind.STALE
    if change.action is Action.RESTORE:
        return DriftKind.HAND_EDITED
    if change.action is Action.DELETE:
        return DriftKind.ORPHANED if change.kind is FileKind.GENERATED else DriftKind.SCAFFOLD_OUTDATED
    if change.action in (Action.MERGE, Action.MOVE):
        return DriftKind.SCAFFOLD_OUTDATED
    if change.action is Action.CONFLICT:
        return DriftKind.CONFLICT
    return None  # KEEP: the user's code stays as it is


def _first_changed_line(old: str | None, new: str | None) -> int:
    old_lines, new_lines = (old or "").splitlines(), (new or "").splitlines()
    for number, (a, b) in enumerate(zip(old_lines, new_lines, strict=False), start=1):
        if a != b:
            return number
    return min(len(old_lines), len(new_lines)) + 1 if old_lines else 1


def unified_diff(change: FileChange) -> str:
    """Return the unified diff from the file on disk to what the run would write."""
    return "".join(
        difflib.unified_diff(
            (change.old or "").splitlines(keepends=True),
            (change.new or "").splitlines(keepends=True),
            f"a/{change.path}",
            f"b/{change.path}",
        )
    )


def find_drift(plan: Plan, unresolved: Sequence[Markers] = (), stale_reads: Sequence[StaleRead] = ()) -> list[Drift]:
    """Return every drift finding of a dry-run `update`, sorted by file.

    Args:
        plan: the dry-run plan (its changes and kept orphan scaffolds).
        unresolved: files with conflict markers left (`review.find_markers`).
        stale_reads: reads of missing message fields (`review.find_stale_reads`).
    """
    findings = [
        Drift(m.path, DriftKind.CONFLICT, FileKind.SCAFFOLD, m.lines[0], _MARKERS.format(", ".join(map(str, m.lines))), "")
        for m in unresolved
    ]
    for path, orphan in plan.orphans.items():
        findings.append(Drift(path, DriftKind.ORPHANED, FileKind.SCAFFOLD, 1, orphan_message(path, orphan), ""))
    findings.extend(Drift(r.path, DriftKind.UNKNOWN_FIELD, FileKind.SCAFFOLD, r.line, r.describe(), "") for r in stale_reads)
    for change in plan.changes:
        kind = _kind(change)
        if kind is None:
            continue
        message = _MESSAGES[kind]
        line = _first_changed_line(change.old, change.new)
        if kind is DriftKind.CONFLICT:
            names = ", ".join(f"{c.name} (line {c.line})" for c in change.conflicts)
            message = f"{message}: {names}"
            line = max(1, min((c.line for c in change.conflicts if c.line), default=1))
        findings.append(Drift(change.path, kind, change.kind, max(1, line), message, unified_diff(change)))
    return sorted(findings, key=lambda d: (d.file, d.line))


def format_text(findings: list[Drift], with_diff: bool) -> str:
    """Return `file:line: kind: message` lines, each followed by its diff when asked."""
    if not findings:
        return "potter-gen check: in sync\n"
    lines = []
    for drift in findings:
        lines.append(f"{drift.file}:{drift.line}: {drift.kind.value} ({drift.ownership.value}): {drift.message}\n")
        if with_diff and drift.diff:
            lines.append(drift.diff if drift.diff.endswith("\n") else drift.diff + "\n")
    files = len({drift.file for drift in findings})
    lines.append(f"potter-gen check: {files} file(s) out of step with the protos\n")
    return "".join(lines)


def format_json(findings: list[Drift], with_diff: bool) -> str:
    """Return the findings as JSON matching `CHECK_JSON_SCHEMA`."""
    drift = []
    for finding in findings:
        entry: dict[str, object] = {
            "file": finding.file,
            "kind": finding.kind.value,
            "ownership": finding.ownership.value,
            "line": finding.line,
            "message": finding.message,
        }
        if with_diff:
            entry["diff"] = finding.diff
        drift.append(entry)
    return json.dumps({"in_sync": not findings, "drift": drift}, indent=2) + "\n"


def _escape_annotation(text: str) -> str:
    # GitHub workflow commands: %, CR and LF must be escaped in the message.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def format_github(findings: list[Drift], with_diff: bool) -> str:
    """Return GitHub Actions `::error` annotations, one per finding."""
    lines = []
    for drift in findings:
        message = drift.message + (f"\n{drift.diff}" if with_diff and drift.diff else "")
        lines.append(f"::error file={drift.file},line={drift.line},title=potter-gen {drift.kind.value}::{_escape_annotation(message)}\n")
    return "".join(lines)
