"""Process-wide settings, read from the environment (prefix ``ERPAI_``) and ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ERPAI_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Where the SQLite file and the key file live.")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite under data_dir.")
    secret_key: str = Field(default="", description="Fernet key for provider secrets; empty: a key file.")
    host: str = "127.0.0.1"
    port: int = 8000
    default_page_size: int = 50
    max_page_size: int = 500
    job_backend: Literal["auto", "table", "inprocess", "procrastinate"] = Field(
        default="auto", description="auto: the jobs table on SQLite, procrastinate on PostgreSQL."
    )
    embedded_worker: bool = Field(default=True, description="'erpai serve' starts job worker processes.")
    embedded_worker_processes: int = Field(default=2, ge=1, le=32, description="How many it starts.")
    warm_up_encoders: bool = Field(
        default=True, description="Workers and the server load the encoders at start (in the background)."
    )
    compile_heartbeat_seconds: float = 5.0
    compile_stale_seconds: float = 60.0
    chat_task_stale_seconds: float = Field(
        default=300.0, gt=0, description="A chat answer running longer is presumed dead at startup."
    )
    job_worker_concurrency: int = Field(default=4, ge=1, le=64, description="Jobs one worker runs at a time.")
    job_poll_seconds: float = Field(default=0.5, gt=0, description="SQLite workers look for jobs this often.")
    job_heartbeat_seconds: float = Field(default=5.0, gt=0, description="SQLite workers stamp their jobs.")
    job_stale_seconds: float = Field(
        default=60.0, gt=0, description="A SQLite job not stamped for this long: its worker is presumed dead."
    )
    web_session_hours: float = Field(default=12.0, gt=0, description="A browser sign-in lasts this long.")
    fine_tune_poll_seconds: float = Field(default=30.0, gt=0, description="Pause between job polls.")
    fine_tune_timeout_seconds: float = Field(default=86_400.0, gt=0, description="A fine-tune job's limit.")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'erpai.db').as_posix()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
