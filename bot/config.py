"""Settings from the command line, the environment and an optional YAML file (environment wins)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "facts.json"
SEED_FILE = PROJECT_ROOT / "data" / "incidents.yaml"


class ConfigError(Exception):
    """A setting that cannot be used; the message is shown as one line."""


@dataclass
class Settings:
    db: Path = DEFAULT_DB
    seed: Path = SEED_FILE
    token: str | None = None
    base_url: str | None = None
    admins: frozenset[str] = field(default_factory=frozenset)
    flood_limit: int = 20  # messages per user ...
    flood_window: float = 10.0  # ... in this many seconds
    rate_limiter: bool = True


def load_settings(db: str | None, config_file: str | None = None) -> Settings:
    """Database: --db, else INCIDENT_BOT_DB, else the config file's db, else data/facts.json."""
    file_values = _read_config(config_file) if config_file else {}
    env = os.environ
    admins = env.get("BOT_ADMINS")
    raw_admins = admins.split(",") if admins is not None else file_values.get("admins") or []
    if isinstance(raw_admins, (str, int)):
        raw_admins = str(raw_admins).split(",")
    try:
        limit = int(env.get("FLOOD_LIMIT") or file_values.get("flood_limit") or 20)
        window = float(env.get("FLOOD_WINDOW") or file_values.get("flood_window") or 10.0)
    except ValueError:
        raise ConfigError("flood_limit must be a whole number and flood_window a number of seconds") from None
    return Settings(
        db=Path(db or env.get("INCIDENT_BOT_DB") or file_values.get("db") or DEFAULT_DB),
        token=env.get("TELEGRAM_BOT_TOKEN") or file_values.get("token"),
        base_url=env.get("TELEGRAM_BASE_URL") or file_values.get("base_url"),
        admins=frozenset(str(a).strip() for a in raw_admins if str(a).strip()),  # YAML gives ints
        flood_limit=limit, flood_window=window,
        rate_limiter=str(env.get("RATE_LIMITER", file_values.get("rate_limiter", True))).lower() not in ("0", "false", "off", "no"),
    )


def _read_config(path: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read config file {path}: {e.strerror}") from None
    except yaml.YAMLError:
        raise ConfigError(f"config file {path} is not valid YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must be a mapping of settings")
    return data
