"""A channel whose new data cannot be built keeps its last good state (DESIGN.md decision 5).

Each build that reads a channel's landing parts leaves the channel *good through* the build's
start: every load it had committed by then was read (`ChannelStates`, kept in
`DataPaths.channel_states`). When a dbt build fails and every model or test that failed is a
channel's (a staging model or test under models/staging/<channel>/, or a test of one of its
landing sources), `build_holding_back` runs it again with those channels *held*: dbt's var
``held_channels`` (dbt_project/macros/held_channels.sql) makes a held channel's staging read
only the parts committed by its good-through point, built whole, so its tables show its last
good state while every other channel's new data goes on to the marts, and the completeness mart
says which channel is held since when and why. Nothing is lost: the held channel's new parts stay
in the landing zone, and the first build that can read them (after a corrected load, or a
corrected model) does.

A failure that is no channel's (an intermediate model, a mart's invariant, a hook) fails the
build as before, and the previous snapshot stays; so does a held channel whose last good state
cannot be built either (a staging model that no longer builds at all).

The second try costs a build of the step again, and dbt parses the project again for it (its
vars changed), once for the hold and once for the next build without it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

from ichigen.atomic import write_text_atomically

__all__ = [
    "ChannelStates",
    "FailedNode",
    "HeldChannel",
    "build_holding_back",
    "channels_to_hold",
    "failed_nodes",
    "holdable_channels",
    "staging_channels",
]

# dbt's statuses of a node that failed: a model or hook ("error"), a test ("fail", or "error"
# when its query could not run)
_FAILED: Final = frozenset({"error", "fail", "runtime error"})
_REASON_CHARS: Final = 400


@dataclass(frozen=True)
class HeldChannel:
    """A channel whose new data this build held back."""

    channel: str
    as_of: datetime | None  # its good-through point: the state shown (None: never built)
    since: datetime  # the start of the first build that held it back, in a row of them
    reason: str  # the first failed model's or test's error, one line

    def var(self) -> dict[str, str | None]:
        """Its entry in dbt's var ``held_channels``."""
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "since": self.since.isoformat(),
            "reason": self.reason,
        }

    def describe(self) -> str:
        state = (
            f"its last good state from {self.as_of:%Y-%m-%d %H:%M:%S} UTC"
            if self.as_of
            else "nothing of it (no build has read it yet)"
        )
        return f"{self.channel}: new data could not be built; showing {state}: {self.reason}"

    @classmethod
    def from_json(cls, channel: str, data: Mapping[str, Any]) -> HeldChannel:
        as_of = data.get("as_of")
        return cls(
            channel=channel,
            as_of=datetime.fromisoformat(as_of) if as_of else None,
            since=datetime.fromisoformat(data["since"]),
            reason=str(data["reason"]),
        )


@dataclass(frozen=True)
class ChannelStates:
    """Each channel's good-through point and the channels held back by the last build of them."""

    good_through: Mapping[str, datetime] = field(default_factory=dict)
    held: Mapping[str, HeldChannel] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> ChannelStates:
        """The states kept at `path` (none before the first build)."""
        try:
            data = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return cls()
        return cls(
            good_through={c: datetime.fromisoformat(t) for c, t in data["good_through"].items()},
            held={c: HeldChannel.from_json(c, h) for c, h in data["held"].items()},
        )

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "good_through": {c: t.isoformat() for c, t in sorted(self.good_through.items())},
            "held": {c: h.var() for c, h in sorted(self.held.items())},
        }
        write_text_atomically(path, json.dumps(data, indent=2, ensure_ascii=False))

    def holding(self, channel: str, *, reason: str, started: datetime) -> HeldChannel:
        """`channel` held back by the build that `started`, for `reason`."""
        before = self.held.get(channel)
        return HeldChannel(
            channel=channel,
            as_of=self.good_through.get(channel),
            since=before.since if before else started,
            reason=reason,
        )

    def after_build(
        self, *, started: datetime, built: Iterable[str], held: Mapping[str, HeldChannel]
    ) -> ChannelStates:
        """The states once the build that `started` has built the staging of `built`, holding
        back `held`: the others are good through its start."""
        good_through, holds = dict(self.good_through), dict(self.held)
        for channel in built:
            if channel in held:
                holds[channel] = held[channel]
            else:
                good_through[channel] = started
                holds.pop(channel, None)
        return ChannelStates(good_through, holds)


@dataclass(frozen=True)
class FailedNode:
    unique_id: str
    status: str
    message: str


def failed_nodes(run_results: Mapping[str, Any]) -> list[FailedNode]:
    """The models, tests and hooks that failed, from dbt's run_results.json."""
    return [
        FailedNode(result["unique_id"], result["status"], result.get("message") or "")
        for result in run_results.get("results", [])
        if result.get("status") in _FAILED
    ]


def holdable_channels(manifest: Mapping[str, Any]) -> frozenset[str]:
    """The channels whose sources are their own landing folders (<data_dir>/landing/<channel>/):
    those the landing macros can hold back."""
    channels = set()
    for source in manifest.get("sources", {}).values():
        name = source["source_name"]
        meta = {**source.get("source_meta", {}), **source.get("meta", {})}
        if f"/landing/{name}/" in str(meta.get("external_location", "")):
            channels.add(name)
    return frozenset(channels)


def _model_channel(node: Mapping[str, Any], channels: frozenset[str]) -> str | None:
    fqn = node.get("fqn", [])
    if node.get("resource_type") == "model" and len(fqn) > 3 and fqn[1] == "staging":
        return fqn[2] if fqn[2] in channels else None
    return None


def staging_channels(manifest: Mapping[str, Any], models: Iterable[str]) -> frozenset[str]:
    """The channels of the staging models named `models` (a step's selection)."""
    channels = holdable_channels(manifest)
    by_name = {node["name"]: node for node in manifest.get("nodes", {}).values() if "name" in node}
    found = {_model_channel(by_name[name], channels) for name in models if name in by_name}
    return frozenset(channel for channel in found if channel is not None)


def _channel_of(
    unique_id: str, manifest: Mapping[str, Any], channels: frozenset[str]
) -> str | None:
    """The channel a node belongs to: a staging model's folder, a landing source's name, or
    the one channel every node a test reads belongs to; None for anything else."""
    source = manifest.get("sources", {}).get(unique_id)
    if source is not None:
        return source["source_name"] if source["source_name"] in channels else None
    node = manifest.get("nodes", {}).get(unique_id) or manifest.get("unit_tests", {}).get(unique_id)
    if node is None:
        return None
    if node.get("resource_type") == "model":
        return _model_channel(node, channels)
    if node.get("resource_type") in ("test", "unit_test"):
        read = node.get("depends_on", {}).get("nodes", [])
        owners = {_channel_of(dep, manifest, channels) for dep in read}
        return owners.pop() if len(owners) == 1 else None
    return None


def _reason(node: FailedNode, manifest: Mapping[str, Any]) -> str:
    """'<model|test> <name>: <the first line of its error>', for one line of a warning."""
    found = manifest.get("nodes", {}).get(node.unique_id, {})
    name = f"{found.get('resource_type', 'node')} {found.get('name', node.unique_id)}"
    lines = [line.strip() for line in node.message.splitlines() if line.strip()]
    # a model's error starts with where it happened ("Runtime Error in model ... (path)")
    lines = [line for line in lines if not line.startswith("Runtime Error in ")] or lines
    why = lines[0] if lines else node.status
    text = f"{name}: {why}"
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 1] + "…"


def channels_to_hold(
    failed: Sequence[FailedNode], manifest: Mapping[str, Any]
) -> dict[str, str] | None:
    """Each channel to hold back, with why (its first failed node's error): when every failed
    node is a channel's; None when any is not, or when nothing failed that dbt names."""
    if not failed:
        return None
    channels = holdable_channels(manifest)
    held: dict[str, str] = {}
    for node in failed:
        channel = _channel_of(node.unique_id, manifest, channels)
        if channel is None:
            return None
        held.setdefault(channel, _reason(node, manifest))
    return held


def build_holding_back(
    run: Callable[[Mapping[str, HeldChannel]], DbtCliInvocation],
    *,
    states_path: Path,
    models: Iterable[str],
    log: logging.Logger,
) -> Iterator[Any]:
    """The Dagster events of a dbt build (`run` with the channels to hold), holding back the
    channels whose new data cannot be built.

    Only the events of the try that succeeded are given (a step outputs each model once); when
    none can, those of the last try and then its error, as a build that fails has always
    done. `models` are the step's selected models: the channels of its staging models are
    recorded as good through the build's start, or held.
    """
    states = ChannelStates.read(states_path)
    started = datetime.now(UTC)
    held: dict[str, HeldChannel] = {}
    while True:
        invocation = run(held)
        events = list(invocation.stream())
        error = invocation.get_error()
        if error is None:
            break
        failed = failed_nodes(invocation.get_artifact("run_results.json"))
        to_hold = channels_to_hold(failed, invocation.manifest)
        if not to_hold or to_hold.keys() & held.keys():
            yield from events
            raise error
        for node in failed:
            log.warning(f"dbt: {node.unique_id} failed: {node.message}")
        for channel, reason in to_hold.items():
            held[channel] = states.holding(channel, reason=reason, started=started)
            log.warning(f"holding back {held[channel].describe()}")
    built = staging_channels(invocation.manifest, models)
    states.after_build(started=started, built=built, held=held).write(states_path)
    yield from events
