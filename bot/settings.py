"""Settings: a pydantic-settings model fed by the command line, the environment and an optional YAML file.

Priority: `--db` on the command line, then the environment, then the `--config` file, then the defaults.
Every value is validated by the model: a misspelt key in the file is refused with the closest known key,
a bad value gets one line naming where it came from, and 0 means "off" where the README says so.
Building `Settings(...)` directly (tests, benchmarks) uses only the values given and the defaults.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict
from rapidfuzz import process

from bot.yamldata import safe_load

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "facts.json"
SEED_FILE = PROJECT_ROOT / "data" / "incidents.yaml"

# setting -> environment variable; the YAML file uses the setting's own name
ENVIRONMENT = {"token": "TELEGRAM_BOT_TOKEN", "base_url": "TELEGRAM_BASE_URL", "admins": "BOT_ADMINS",
               "db": "INCIDENT_BOT_DB", "flood_limit": "FLOOD_LIMIT", "flood_window": "FLOOD_WINDOW",
               "rate_limiter": "RATE_LIMITER", "admin_write_rate": "ADMIN_WRITE_RATE"}


class ConfigError(Exception):
    """A setting that cannot be used; the message is shown as one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    db: Path = Field(DEFAULT_DB, description="the database file; created and seeded if missing")
    seed: Path = Field(SEED_FILE, description="the YAML file a new database is seeded from")
    token: str | None = Field(None, description="the bot token from @BotFather")
    base_url: str | None = Field(None, description="Bot API base URL, for a self-hosted Bot API server")
    admins: frozenset[str] = Field(frozenset(), description="Telegram user ids with admin rights")
    flood_limit: int = Field(20, ge=0, description="messages per user in flood_window seconds; 0 turns it off")
    flood_window: float = Field(10.0, ge=0, description="seconds of the per-user flood window")
    rate_limiter: bool = Field(True, description="python-telegram-bot's AIORateLimiter")
    admin_write_rate: float = Field(20.0, ge=0, description="admin commands a second, all admins together, "
                                    "after a burst of 30 at full speed; 0 turns the pacing off")

    @field_validator("admins", mode="before")
    @classmethod
    def _admin_ids(cls, value: Any) -> frozenset[str]:
        # "1,2" from the environment; a list (of ints, as YAML reads them) or one id from the file
        items = str(value).split(",") if isinstance(value, (str, int)) else list(value or [])
        return frozenset(str(a).strip() for a in items if str(a).strip())

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   **_: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)  # load() adds the environment and the file; Settings(...) alone reads neither

    @classmethod
    def load(cls, db: str | None = None, config_file: str | None = None) -> Settings:
        """Settings for a command: `db` (from --db) wins over the environment, which wins over the file."""
        given = {"db": db} if db else {}
        file_source = YamlFileSource(cls, config_file) if config_file else None
        sources: list[PydanticBaseSettingsSource] = [InitSettingsSource(cls, given), EnvironmentSource(cls)]
        if file_source:
            sources.append(file_source)
        try:
            return cls(_build_sources=(tuple(sources), given))
        except ValidationError as e:
            raise ConfigError(_explain(e, config_file)) from None


class EnvironmentSource(PydanticBaseSettingsSource):
    """Our environment variables (ENVIRONMENT); an empty one counts as unset."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return os.environ.get(ENVIRONMENT.get(field_name, "")) or None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return {name: os.environ[var] for name, var in ENVIRONMENT.items() if os.environ.get(var)}


class YamlFileSource(PydanticBaseSettingsSource):
    """The --config file: a mapping of setting names to values."""

    def __init__(self, settings_cls: type[BaseSettings], path: str) -> None:
        super().__init__(settings_cls)
        self.data = _read_yaml(path)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.data)


def _read_yaml(path: str) -> dict[str, Any]:
    try:
        data = safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read config file {path}: {e.strerror}") from None
    except (yaml.YAMLError, UnicodeDecodeError):
        raise ConfigError(f"config file {path} is not valid YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must be a mapping of settings")
    return {str(k): v for k, v in data.items()}


def _explain(error: ValidationError, config_file: str | None) -> str:
    """The first problem, in one line: which setting, where it came from, what is expected."""
    problem = error.errors()[0]
    key = str(problem["loc"][0]) if problem["loc"] else "?"
    known = list(Settings.model_fields)
    if problem["type"] == "extra_forbidden":
        hit = process.extractOne(key, known, score_cutoff=60)
        hint = f" (did you mean {hit[0]}?)" if hit else ""
        return f"config file {config_file}: unknown setting {key!r}{hint}; known settings: {', '.join(known)}"
    var = ENVIRONMENT.get(key)
    where = f"${var}" if var and os.environ.get(var) else f"{key} in {config_file}" if config_file else key
    return f"bad setting {where}: {problem['msg']} (got {str(problem.get('input'))[:60]!r})"
