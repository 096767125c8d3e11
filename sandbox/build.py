"""Generate the whole sandbox: the world, its ground truth and the files it drops.

`build_sandbox` is what `oms sandbox generate` runs; `ensure_sandbox` is what the simulators
and the demo run, generating the small preset on first use so a fresh checkout just works.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ichigen.sandbox.drops import write_drops
from ichigen.sandbox.generator import generate
from ichigen.sandbox.world import World

__all__ = ["SandboxSummary", "build_sandbox", "ensure_sandbox"]


@dataclass(frozen=True)
class SandboxSummary:
    root: Path
    manifest: dict[str, object]
    files_dropped: int

    def describe(self) -> str:
        counts = self.manifest.get("counts", {})
        assert isinstance(counts, dict)
        rows = ", ".join(f"{name} {count:,}" for name, count in sorted(counts.items()))
        return (
            f"{self.manifest.get('scale')} sandbox, seed {self.manifest.get('seed')}, "
            f"{self.manifest.get('start_date')} to {self.manifest.get('end_date')}: {rows}; "
            f"{self.files_dropped:,} files dropped"
        )


def build_sandbox(
    root: Path, *, scale: str = "small", days: int | None = None, seed: int = 42
) -> SandboxSummary:
    """Write world/, truth/ and drops/ under `root` (normally $ICHIGEN_DATA_DIR/sandbox)."""
    generate(root, scale=scale, days=days, seed=seed)
    world = World.load(root / "world")
    start = datetime.fromisoformat(str(world.manifest["start"]))
    drops = write_drops(world.tables, root / "drops", start=start, end=world.now, seed=seed)
    return SandboxSummary(root=root, manifest=world.manifest, files_dropped=drops.files_written)


def ensure_sandbox(root: Path) -> World:
    """Load the sandbox world, generating the small preset first if there is none."""
    if not (root / "world" / "manifest.json").exists():
        build_sandbox(root)
    return World.load(root / "world")


def read_manifest(root: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((root / "world" / "manifest.json").read_text("utf-8"))
    return data
