"""A scratch project for merge scenarios: init from proto text, edit, change the proto, run the CLI.

Copier-style scenario helper shared by the scenario, property and check tests.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

from potter_gen.cli import main

PROTO = "api/shop.proto"

# A small annotated proto: one aggregate with created/updated events, CRUD, one custom command.
BASE_PROTO = """\
syntax = "proto3";

package acme.shop.v1;

import "potter/options.proto";

service ShopService {
  option (potter.service) = { module_name: "shop" transport: ["REST"] };

  // Create an item.
  rpc CreateItem(CreateItemRequest) returns (CreateItemResponse) {
    option (potter.command) = { aggregate: "Item" };
  }
  rpc GetItem(GetItemRequest) returns (GetItemResponse) {
    option (potter.query) = {};
  }
  rpc UpdateItem(UpdateItemRequest) returns (UpdateItemResponse) {
    option (potter.command) = { aggregate: "Item" };
  }
  rpc ArchiveItem(ArchiveItemRequest) returns (ArchiveItemResponse) {
    option (potter.command) = { aggregate: "Item" };
  }
}

message Item {
  option (potter.aggregate) = { name: "Item" };
  string id = 1;
  string name = 2;
  int32 quantity = 3;
}

message ItemCreated {
  option (potter.event) = { event_type: "item.created" aggregate: "Item" };
  string item_id = 1;
  string name = 2;
  int32 quantity = 3;
}

message ItemUpdated {
  option (potter.event) = { event_type: "item.updated" aggregate: "Item" };
  string item_id = 1;
  string name = 2;
  int32 quantity = 3;
}

message CreateItemRequest {
  string name = 1;
  int32 quantity = 2;
}
message CreateItemResponse { string item_id = 1; }
message GetItemRequest { string id = 1; }
message GetItemResponse { Item item = 1; }
message UpdateItemRequest {
  string id = 1;
  string name = 2;
  int32 quantity = 3;
}
message UpdateItemResponse { Item item = 1; }
message ArchiveItemRequest { string id = 1; }
message ArchiveItemResponse { bool archived = 1; }
"""

# Paths of some SCAFFOLD files of the generated project.
CREATE = "src/shop/application/commands/create_item.py"
ARCHIVE = "src/shop/application/commands/archive_item.py"
GET = "src/shop/application/queries/get_item.py"
AGGREGATE = "src/shop/domain/aggregates/item.py"
MODELS = "src/shop/domain/models.py"
ROUTES = "src/shop/presentation/rest/routes.py"


@dataclass
class Workspace:
    """A directory holding `api/shop.proto` and the project generated from it in `svc/`."""

    root: Path

    @property
    def project(self) -> Path:
        """Return the generated project's directory."""
        return self.root / "svc"

    @classmethod
    def create(cls, root: Path, proto: str = BASE_PROTO) -> Workspace:
        """Write the proto and run `potter-gen init`; fail if init fails."""
        workspace = cls(root)
        (root / "api").mkdir(parents=True, exist_ok=True)
        workspace.set_proto(proto)
        result = workspace.cli("init", "--proto", str(root / PROTO), "--output", str(workspace.project))
        assert result.exit_code == 0, result.output
        return workspace

    def proto(self) -> str:
        """Return the proto text."""
        return (self.root / PROTO).read_text()

    def set_proto(self, text: str) -> None:
        """Replace the proto text."""
        (self.root / PROTO).write_text(text)

    def edit_proto(self, old: str, new: str) -> None:
        """Replace `old` (which must occur) by `new` in the proto."""
        text = self.proto()
        assert old in text, f"{old!r} not in the proto"
        self.set_proto(text.replace(old, new, 1))

    def read(self, relative: str) -> str:
        """Return a project file's text."""
        return (self.project / relative).read_text()

    def exists(self, relative: str) -> bool:
        """Tell whether a project file exists."""
        return (self.project / relative).is_file()

    def write(self, relative: str, text: str) -> None:
        """Write a project file (as the user would)."""
        (self.project / relative).write_text(text)

    def edit(self, relative: str, old: str, new: str) -> None:
        """Replace `old` (which must occur) by `new` in a project file."""
        text = self.read(relative)
        assert old in text, f"{old!r} not in {relative}"
        self.write(relative, text.replace(old, new, 1))

    def snapshot(self) -> dict[str, bytes]:
        """Return every file of the project, `.potter/` included, and every directory (as `path/` → b"").

        Directories count: a rollback that leaves behind a directory it
        created (empty once its files are gone) changes the project too.
        """
        return {
            p.relative_to(self.project).as_posix() + ("/" if p.is_dir() else ""): b"" if p.is_dir() else p.read_bytes()
            for p in sorted(self.project.rglob("*"))
        }

    def cli(self, *args: str, cwd: Path | None = None) -> Result:
        """Run `potter-gen ARGS` in `cwd` (default: the project directory when it exists)."""
        cwd = cwd or (self.project if self.project.is_dir() else self.root)
        with contextlib.chdir(cwd):
            return CliRunner().invoke(main, list(args), catch_exceptions=False)
