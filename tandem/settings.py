"""Every ``TANDEM_*`` environment setting, declared once (pydantic-settings).

:func:`settings` reads the environment each time it is called (a command, a test or a worker may change it);
nothing is read at import. The README's settings table lists these fields; a test keeps the two in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

#: the default results database: a file in the working directory
DEFAULT_DB_URL = "sqlite:///tandem.db"


class TandemSettings(BaseSettings):
    """Tandem's settings from the environment (``TANDEM_`` + the field name in capitals)."""

    model_config = SettingsConfigDict(env_prefix="TANDEM_", extra="ignore")

    db_url: str = Field(DEFAULT_DB_URL, description="SQLAlchemy URL of the results database (`--db` wins)")
    db_password: SecretStr | None = Field(
        None, description="password for a `--db` URL written with `***` (set for its workers by `tandem run`)")
    models_dir: Path = Field(Path("models"), description="folder of trained artifacts (`--models-dir` wins)")
    llm: str = Field("embedded", description="LLM backend: `embedded`, `openai:<model>@<url>`, "
                     "`ollama:<model>[@<url>]` (`--llm` wins)")
    llm_timeout: float = Field(120.0, gt=0, description="seconds an LLM server may take per call")
    llm_concurrency: int = Field(4, ge=1, description="calls in flight per process to an LLM server")
    llm_shared: bool = Field(True, description="the embedded LLM takes turns machine-wide (`0`: each process "
                             "runs its own llama.cpp threads at once)")
    llm_threads: int | None = Field(None, ge=1, description="llama.cpp threads (default: the cores not busy)")
    gguf: Path | None = Field(None, description="a GGUF file instead of the bundled SmolLM2")
    encoder: Path | None = Field(None, description="a MiniLM folder instead of the bundled one")
    vector_index: Literal["auto", "always", "never"] = Field(
        "auto", description="`tandem search` on SQLite: a sqlite-vec index from 20,000 vectors of one model (`auto`), "
        "`always` or `never` (exact scan)")
    home: Path = Field(default_factory=lambda: Path.home() / ".tandem", description="where `tandem server` keeps its state and logs")


def settings() -> TandemSettings:
    """The settings as the environment has them now (a ValueError naming each bad variable otherwise)."""
    try:
        return TandemSettings()  # type: ignore[call-arg]  # every field has a default or comes from the env
    except ValidationError as exc:
        problems = "; ".join(f"TANDEM_{'_'.join(map(str, error['loc'])).upper()}: {error['msg']}"
                             for error in exc.errors())
        raise ValueError(f"bad Tandem setting in the environment: {problems}") from None
