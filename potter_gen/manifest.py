"""The project state under `.potter/`: manifest and merge bases (meant to be committed).

`.potter/manifest.json` records the generator version, the proto
fingerprint, the stamp of the proto files read (`sources.py`), the invocation (protos, include dirs, module; paths relative
to the project directory) and every written file's ownership and SHA-256.
`.potter/base/<path>` holds, for every SCAFFOLD file, the text potter-gen
last rendered for it: the base of the next three-way merge. Reading only;
`write.py` writes these files as part of each transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

from potter_gen.errors import UsageError, error
from potter_gen.targets import FileKind, Layer

STATE_DIR = ".potter"
MANIFEST = f"{STATE_DIR}/manifest.json"
BASE_DIR = f"{STATE_DIR}/base"
SCHEMA_VERSION = 1


def is_project_path(relative: str) -> bool:
    """Tell whether `relative` names a file inside the project: a normalised POSIX path, not absolute, no `..`.

    Manifest entries and write targets must pass: a tampered manifest listing
    `../outside.py` must never make a run delete or write outside the project.
    """
    return (
        isinstance(relative, str)  # from JSON: anything
        and relative not in ("", ".")
        and not relative.startswith("/")
        and "\\" not in relative
        and posixpath.normpath(relative) == relative
        and ".." not in relative.split("/")
    )


def sha256(data: bytes) -> str:
    """Return the hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Invocation:
    """How the project is generated; paths are POSIX, relative to the project directory.

    Attributes:
        protos: the `--proto` files.
        include_dirs: the `-I` directories (empty: each proto's directory).
        module: the `--module` override, or None.
        layer: what the directory holds: the service project (`init`) or the
            client SDK (`sdk`).
    """

    protos: tuple[str, ...]
    include_dirs: tuple[str, ...] = ()
    module: str | None = None
    layer: Layer = Layer.SERVICE

    def resolve(self, project_dir: Path) -> tuple[list[Path], list[Path]]:
        """Return (proto files, include dirs) as paths usable from the current directory."""
        def here(relative: str) -> Path:
            return Path(os.path.normpath(project_dir / relative))

        return [here(p) for p in self.protos], [here(i) for i in self.include_dirs]

    @staticmethod
    def relative_to(
        project_dir: Path, protos: list[Path], include_dirs: list[Path], module: str | None, layer: Layer = Layer.SERVICE
    ) -> Invocation:
        """Record `protos` and `include_dirs` relative to `project_dir`."""
        def rel(path: Path) -> str:
            return Path(os.path.relpath(path.resolve(), project_dir.resolve())).as_posix()

        return Invocation(tuple(rel(p) for p in protos), tuple(rel(i) for i in include_dirs), module, layer)


@dataclass(frozen=True)
class FileRecord:
    """One written file: who owns it and the SHA-256 of what was written."""

    kind: FileKind
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """The content of `.potter/manifest.json`."""

    generator_version: str
    proto_fingerprint: str
    invocation: Invocation
    files: dict[str, FileRecord] = field(default_factory=dict)
    pending_merge: tuple[str, ...] = ()
    """SCAFFOLD files `generate` left for `update` to merge (the protos changed them)."""
    proto_sources: dict[str, str] = field(default_factory=dict)
    """The stamp of the protos the run compiled (`sources.stamp_sources`); empty when unknown."""

    def to_json(self) -> str:
        """Return the manifest as stable, sorted JSON text (ends with a newline)."""
        document = {
            "schema_version": SCHEMA_VERSION,
            "generator_version": self.generator_version,
            "proto_fingerprint": self.proto_fingerprint,
            "invocation": {
                "protos": list(self.invocation.protos),
                "include_dirs": list(self.invocation.include_dirs),
                "module": self.invocation.module,
                "layer": self.invocation.layer.value,
            },
            "files": {p: {"kind": r.kind.value, "sha256": r.sha256} for p, r in sorted(self.files.items())},
            "pending_merge": sorted(self.pending_merge),
            "proto_sources": dict(sorted(self.proto_sources.items())),
        }
        return json.dumps(document, indent=2, sort_keys=True) + "\n"

    @staticmethod
    def from_json(text: str, where: str) -> Manifest:
        """Parse manifest text.

        Raises:
            UsageError: the text is not a manifest this version understands,
                or it lists a file outside the project (`is_project_path`).
        """
        try:
            document = json.loads(text)
            invocation = document["invocation"]
            manifest = Manifest(
                generator_version=document["generator_version"],
                proto_fingerprint=document["proto_fingerprint"],
                invocation=Invocation(
                    tuple(invocation["protos"]),
                    tuple(invocation["include_dirs"]),
                    invocation["module"],
                    Layer(invocation.get("layer", Layer.SERVICE.value)),
                ),
                files={p: FileRecord(FileKind(r["kind"]), r["sha256"]) for p, r in document["files"].items()},
                pending_merge=tuple(document.get("pending_merge", ())),
                proto_sources={str(k): str(v) for k, v in document.get("proto_sources", {}).items()},
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError([error(f"{where} is not a valid potter-gen manifest ({exc})", "Restore it from version control", file=where)]) from exc
        outside = [p for p in (*manifest.files, *manifest.pending_merge) if not is_project_path(p)]
        if outside:
            raise UsageError(
                [
                    error(f"{where} lists {p!r}, which is not a path inside the project", "Restore it from version control", file=where)
                    for p in outside
                ]
            )
        return manifest


def read_manifest(project_dir: Path) -> Manifest | None:
    """Return the project's manifest, or None when the directory has none."""
    path = project_dir / MANIFEST
    if not path.is_file():
        return None
    return Manifest.from_json(path.read_text(encoding="utf-8"), str(path))


def read_base(project_dir: Path, relative: str) -> str | None:
    """Return the merge base of SCAFFOLD file `relative`, or None when unknown."""
    path = project_dir / BASE_DIR / relative
    return path.read_text(encoding="utf-8") if path.is_file() else None


def require_manifest(project_dir: Path) -> Manifest:
    """Return the manifest of `project_dir`.

    Raises:
        UsageError: there is none (not a potter-gen project, or not its root).
    """
    manifest = read_manifest(project_dir)
    if manifest is None:
        raise UsageError(
            [
                error(
                    f"{project_dir} has no {MANIFEST}",
                    "Run this in a project made by `potter-gen init`, or pass its directory",
                    file=str(project_dir),
                )
            ]
        )
    return manifest
