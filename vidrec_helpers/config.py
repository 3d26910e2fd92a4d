"""Settings from the environment and `.env`, the live/offline mode, and secret masking.

The mode is decided here and nowhere else: `live` when a TwelveLabs key is set (or
`VIDREC_MODE=live`), `offline` otherwise (or `VIDREC_MODE=offline`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, AliasGenerator, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Mode = Literal["offline", "live"]
MarengoModel = Literal["marengo3.0", "marengo3.5"]

#: Dimension of Marengo 3.x embeddings.
MARENGO_DIMENSION = 512

#: The settings that hold a secret (`SecretStr`: `repr` and `str` show `**********`).
SECRET_FIELDS = ("twelvelabs_api_key", "qdrant_api_key", "aws_access_key_id")
SECRET_FIELDS += ("aws_secret_access_key", "aws_session_token")
#: The settings that hold a service URL (a password in one is a secret too).
URL_FIELDS = ("twelvelabs_base_url", "qdrant_url", "aws_endpoint_url")
#: Variables that point vidrec at real services or a developer's credentials; tests and
#: benchmarks blank them so they only ever touch local servers.
SERVICE_VARIABLES = tuple(name.upper() for name in SECRET_FIELDS + URL_FIELDS)


def project_root() -> Path:
    """The repository root (the folder holding `data/`), or the working directory."""
    here = Path(__file__).resolve().parent.parent
    return here if (here / "data").is_dir() else Path.cwd()


class VidrecError(RuntimeError):
    """An error meant for a learner: what went wrong and what to do. Secrets are masked."""

    def __init__(self, message: str) -> None:
        super().__init__(mask_secrets(message))


class Settings(BaseSettings):
    """Everything vidrec reads from the environment or `.env`; secrets never print."""

    model_config = SettingsConfigDict(
        env_file=(str(project_root() / ".env"), ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        # Each field reads the variable of its name in capitals (`qdrant_url` <- QDRANT_URL).
        alias_generator=AliasGenerator(validation_alias=str.upper),
    )

    twelvelabs_api_key: SecretStr | None = None
    twelvelabs_base_url: str | None = None
    #: marengo3.0, the model TwelveLabs' own indexes and search accept today, so one model
    #: serves both; marengo3.5 (opt-in) also allows shorter vectors.
    marengo_model: MarengoModel = "marengo3.0"
    aws_access_key_id: SecretStr | None = None
    aws_secret_access_key: SecretStr | None = None
    aws_session_token: SecretStr | None = None
    aws_region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )
    s3_bucket: str | None = None
    aws_endpoint_url: str | None = None
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    qdrant_path: str = ".vidrec/qdrant"
    #: Seconds a Qdrant server request may take (qdrant-client's own default is 5 s).
    qdrant_timeout: int | None = Field(default=None, gt=0)
    cache_dir: str = Field(default=".vidrec/cache", validation_alias="VIDREC_CACHE_DIR")
    forced_mode: Mode | None = Field(default=None, validation_alias="VIDREC_MODE")

    @field_validator(
        *SECRET_FIELDS, *URL_FIELDS, "s3_bucket", "forced_mode", "qdrant_timeout", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        """A blank variable (`QDRANT_URL=` in .env) counts as unset."""
        return (value.strip() or None) if isinstance(value, str) else value

    def __repr_args__(self) -> Any:
        """What `repr` and `str` show: URL passwords and credential parameters masked."""
        for name, value in super().__repr_args__():
            yield name, mask_url(value) if isinstance(value, str) else value

    @property
    def mode(self) -> Mode:
        """`live` with a TwelveLabs key, `offline` without; `VIDREC_MODE` overrides."""
        return self.forced_mode or ("live" if self.twelvelabs_api_key else "offline")

    def secret_values(self) -> list[str]:
        """The secret strings currently configured (for masking)."""
        fields = [getattr(self, name) for name in SECRET_FIELDS]
        values = [f.get_secret_value() for f in fields if f and f.get_secret_value()]
        urls = [getattr(self, name) for name in URL_FIELDS]
        return values + [password for url in urls if url and (password := urlsplit(url).password)]

    def require_live(self) -> None:
        """Raise a clear error when live mode lacks the TwelveLabs key."""
        if not self.twelvelabs_api_key:
            raise VidrecError(
                "TWELVELABS_API_KEY is not set: add it to .env, "
                "or run offline with VIDREC_MODE=offline"
            )

    def summary(self) -> str:
        """One line for the top of a notebook or CLI run (no secrets)."""
        store = mask_url(self.qdrant_url or "") or f"embedded Qdrant at {self.qdrant_path}"
        s3 = mask_url(self.aws_endpoint_url or "") or f"AWS S3 ({self.aws_region})"
        s3 = s3 if self.mode == "live" else "local S3 server"
        model = self.marengo_model if self.mode == "live" else "sample vectors (all-MiniLM-L6-v2)"
        return f"vidrec mode={self.mode} | embeddings: {model} | storage: {s3} | index: {store}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once. Call `reload_settings()` after changing env."""
    settings = Settings()
    register_secrets(settings.secret_values())
    return settings


def reload_settings() -> Settings:
    """Forget the cached settings and read them again from the environment and `.env`."""
    get_settings.cache_clear()
    return get_settings()


_SECRETS: set[str] = set()
#: Key-shaped text masked even when not configured: AWS access key ids, TwelveLabs keys.
_KEY_SHAPES = re.compile(r"AKIA[0-9A-Z]{16}|tlk_[0-9A-Za-z]{8,}")
#: `scheme://user:password@`: the password part of a URL's userinfo.
_URL_PASSWORD = re.compile(
    r"(?P<keep>\b[a-z][a-z0-9+.-]*://[^\s/@:]*:)[^\s/]+(?=@[^\s/@]*(?:$|[\s/?#]))", re.IGNORECASE
)
#: Query parameters that carry a credential (`api_key=`, `X-Amz-Signature=`, `token=`...).
_URL_SECRET_PARAMETER = re.compile(
    r"(?P<keep>[?&][^=&\s#]*(?:key|token|secret|password|signature|credential)[^=&\s#]*=)[^&\s#]+",
    re.IGNORECASE,
)


def mask_url(url: str) -> str:
    """`url` with its userinfo password and credential query values replaced by `****`."""
    url = _URL_PASSWORD.sub(r"\g<keep>****", url)
    return _URL_SECRET_PARAMETER.sub(r"\g<keep>****", url)


def register_secrets(values: Iterable[str | None]) -> None:
    """Mask these values (4 characters or more) in every VidrecError and `mask_secrets` text."""
    _SECRETS.update(value for value in values if value and len(value) >= 4)


def mask_secrets(text: str) -> str:
    """Replace every configured secret and anything key-shaped in `text` with `****`."""
    register_secrets(os.environ.get(name.upper()) for name in SECRET_FIELDS)  # set since read
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "****")
    return mask_url(_KEY_SHAPES.sub("****", text))


def resolve_path(path: str | os.PathLike[str]) -> Path:
    """A configured relative path, taken from the project root."""
    p = Path(path)
    return p if p.is_absolute() else project_root() / p
