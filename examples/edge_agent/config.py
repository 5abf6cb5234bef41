"""The agent's one configuration file (TOML), read into plain dataclasses; a mistake is
reported with the place it is in, before anything starts."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ADAPTER_NAMES = ("opcua", "octoprint", "moonraker", "mqtt")
STATUSES = ("available", "down", "maintenance")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class PlatformConfig:
    broker: str
    workshop: str
    key_id: str
    secret: str
    buffer: str = "edge-agent-buffer.sqlite3"


@dataclass(frozen=True)
class MachineConfig:
    machine_id: int
    adapter: str
    url: str
    poll_s: float = 5.0
    down_when_unreachable: bool = False
    nodes: dict[str, str] = field(default_factory=dict)
    status_map: dict[str, str] = field(default_factory=dict)
    progress_scale: float = 1.0
    api_key: str = ""
    topic: str = ""
    paths: dict[str, str] = field(default_factory=dict)
    tls_insecure: bool = False


@dataclass(frozen=True)
class AgentConfig:
    platform: PlatformConfig
    machines: tuple[MachineConfig, ...]


def _need(table: dict, name: str, kind: type, where: str):
    value = table.get(name)
    if not isinstance(value, kind) or (isinstance(value, str) and not value):
        raise ConfigError(f"{where}: '{name}' is missing or not a {kind.__name__}.")
    return value


def _machine(table: dict, index: int) -> MachineConfig:
    where = f"[[machines]] #{index + 1}"
    adapter = _need(table, "adapter", str, where)
    if adapter not in ADAPTER_NAMES:
        raise ConfigError(f"{where}: adapter must be one of {', '.join(ADAPTER_NAMES)}.")
    status_map = {str(k): str(v) for k, v in table.get("status_map", {}).items()}
    wrong = sorted(v for v in status_map.values() if v not in STATUSES)
    if wrong:
        raise ConfigError(f"{where}: status_map may only name {', '.join(STATUSES)}: {wrong}.")
    machine = MachineConfig(
        machine_id=_need(table, "id", int, where),
        adapter=adapter,
        url=_need(table, "url", str, where),
        poll_s=float(table.get("poll_s", 5.0)),
        down_when_unreachable=bool(table.get("down_when_unreachable", False)),
        nodes={str(k): str(v) for k, v in table.get("nodes", {}).items()},
        status_map=status_map,
        progress_scale=float(table.get("progress_scale", 1.0)),
        api_key=str(table.get("api_key", "")),
        topic=str(table.get("topic", "")),
        paths={str(k): str(v) for k, v in table.get("paths", {}).items()},
        tls_insecure=bool(table.get("tls_insecure", False)),
    )
    if machine.poll_s < 0.05:
        raise ConfigError(f"{where}: poll_s must be at least 0.05 seconds.")
    if adapter == "opcua" and not machine.nodes:
        raise ConfigError(f"{where}: an OPC UA machine needs a [machines.nodes] map.")
    if adapter == "mqtt" and not machine.topic:
        raise ConfigError(f"{where}: an MQTT printer needs the 'topic' it reports on.")
    return machine


def config_parse(data: dict) -> AgentConfig:
    platform = data.get("platform")
    if not isinstance(platform, dict):
        raise ConfigError("The [platform] table is missing.")
    machines = data.get("machines")
    if not isinstance(machines, list) or not machines:
        raise ConfigError("Configure at least one [[machines]] entry.")
    parsed = tuple(_machine(m, i) for i, m in enumerate(machines))
    ids = [m.machine_id for m in parsed]
    if len(set(ids)) != len(ids):
        raise ConfigError("Each machine id may appear once.")
    return AgentConfig(
        platform=PlatformConfig(
            broker=_need(platform, "broker", str, "[platform]"),
            workshop=_need(platform, "workshop", str, "[platform]"),
            key_id=_need(platform, "key_id", str, "[platform]"),
            secret=_need(platform, "secret", str, "[platform]"),
            buffer=str(platform.get("buffer", "edge-agent-buffer.sqlite3")),
        ),
        machines=parsed,
    )


def config_load(path: str | Path) -> AgentConfig:
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from error
    return config_parse(data)
