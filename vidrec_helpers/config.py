"""Settings from the environment and `.env`, the live/offline mode, and secret masking.

The mode is decided here and nowhere else: `live` when a TwelveLabs key is set (or
`VIDREC_MODE=live`), `offline` otherwise (or `VIDREC_MODE=offline`).
"""

from __future__ import annotations

import logging
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Mode = Literal["offline", "live"]
MarengoModel = Literal["marengo3.0", "marengo3.5"]

#: marengo3.0 is the default: it is the model TwelveLabs' own indexes and search accept
#: today, so one model serves both this tutorial's vectors and the platform's search.
#: marengo3.5 is opt-in (`MARENGO_MODEL=marengo3.5`); it also allows shorter vectors.
DEFAULT_MARENGO_MODEL: MarengoModel = "marengo3.0"

#: Dimension of Marengo 3.x embeddings.
MARENGO_DIMENSION = 512

#: Variables that point vidrec at real services or a developer's credentials; tests and
#: benchmarks blank them so they only ever touch local servers.
SERVICE_VARIABLES = (
    "TWELVELABS_API_KEY",
    "TWELVELABS_BASE_URL",
    "QDRANT_URL",
    "QDRANT_API_KEY",
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
)


def project_root() -> Path:
    """The repository root (the folder holding `data/`), or the working directory."""
    here = Path(__file__).resolve().parent.parent
    if (here / "data").is_dir():
        return here
    return Path.cwd()


class VidrecError(RuntimeError):
    """An error meant for a learner: what went wrong and what to do. Secrets are masked."""

    def __init__(self, message: str) -> None:
        super().__init__(mask_secrets(message))


class Settings(BaseSettings):
    """Everything vidrec reads from the environment or `.env`.

    Secrets are `SecretStr`: their `repr` and `str` show `**********`.
    """

    model_config = SettingsConfigDict(
        env_file=(str(project_root() / ".env"), ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    twelvelabs_api_key: SecretStr | None = Field(
        default=None, validation_alias="TWELVELABS_API_KEY"
    )
    twelvelabs_base_url: str | None = Field(default=None, validation_alias="TWELVELABS_BASE_URL")
    marengo_model: MarengoModel = Field(
        default=DEFAULT_MARENGO_MODEL, validation_alias="MARENGO_MODEL"
    )
    aws_access_key_id: SecretStr | None = Field(default=None, validation_alias="AWS_ACCESS_KEY_ID")
    aws_secret_access_key: SecretStr | None = Field(
        default=None, validation_alias="AWS_SECRET_ACCESS_KEY"
    )
    aws_session_token: SecretStr | None = Field(default=None, validation_alias="AWS_SESSION_TOKEN")
    aws_region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )
    s3_bucket: str = Field(default="vidrec-videos", validation_alias="S3_BUCKET")
    aws_endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")
    qdrant_url: str | None = Field(default=None, validation_alias="QDRANT_URL")
    qdrant_api_key: SecretStr | None = Field(default=None, validation_alias="QDRANT_API_KEY")
    qdrant_path: str = Field(default=".vidrec/qdrant", validation_alias="QDRANT_PATH")
    #: Seconds a Qdrant server request may take (qdrant-client's own default is 5 s).
    qdrant_timeout: int | None = Field(default=None, gt=0, validation_alias="QDRANT_TIMEOUT")
    cache_dir: str = Field(default=".vidrec/cache", validation_alias="VIDREC_CACHE_DIR")
    forced_mode: Mode | None = Field(default=None, validation_alias="VIDREC_MODE")

    @field_validator(
        "twelvelabs_api_key",
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "qdrant_api_key",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(
        "twelvelabs_base_url",
        "aws_endpoint_url",
        "qdrant_url",
        "forced_mode",
        "qdrant_timeout",
        mode="before",
    )
    @classmethod
    def _blank_str_is_none(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def __repr_args__(self) -> Any:
        """What `repr` and `str` show: URL passwords and credential parameters masked."""
        for name, value in super().__repr_args__():
            yield name, mask_url(value) if isinstance(value, str) else value

    @property
    def mode(self) -> Mode:
        """`live` with a TwelveLabs key, `offline` without; `VIDREC_MODE` overrides."""
        if self.forced_mode:
            return self.forced_mode
        return "live" if self.twelvelabs_api_key else "offline"

    def secret_values(self) -> list[str]:
        """The secret strings currently configured (for masking)."""
        fields = (
            self.twelvelabs_api_key,
            self.aws_access_key_id,
            self.aws_secret_access_key,
            self.aws_session_token,
            self.qdrant_api_key,
        )
        values = [f.get_secret_value() for f in fields if f and f.get_secret_value()]
        urls = (self.qdrant_url, self.aws_endpoint_url, self.twelvelabs_base_url)
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
        store = mask_url(self.qdrant_url) if self.qdrant_url else None
        store = store or f"embedded Qdrant at {self.qdrant_path}"
        if self.mode == "live":
            s3 = mask_url(self.aws_endpoint_url or "") or f"AWS S3 ({self.aws_region})"
        else:
            s3 = "local S3 server"
        model = self.marengo_model if self.mode == "live" else "sample vectors (all-MiniLM-L6-v2)"
        return f"vidrec mode={self.mode} | embeddings: {model} | storage: {s3} | index: {store}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once. Call `reload_settings()` after changing env."""
    settings = Settings()
    _register_secrets(settings)
    return settings


def reload_settings() -> Settings:
    """Forget the cached settings and read them again from the environment and `.env`."""
    get_settings.cache_clear()
    return get_settings()


_SECRETS: set[str] = set()
_SECRET_PATTERNS = [
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"tlk_[0-9A-Za-z]{8,}"),
]
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


def _register_secrets(settings: Settings) -> None:
    _SECRETS.update(v for v in settings.secret_values() if len(v) >= 4)


def mask_secrets(text: str) -> str:
    """Replace every configured secret and anything key-shaped in `text` with `****`."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "****")
    for env_name in ("TWELVELABS_API_KEY", "AWS_SECRET_ACCESS_KEY", "QDRANT_API_KEY"):
        value = os.environ.get(env_name, "")
        if len(value) >= 4:
            text = text.replace(value, "****")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub("****", text)
    return mask_url(text)


class SecretMaskingFilter(logging.Filter):
    """A logging filter that masks secrets in every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install_log_masking(logger: logging.Logger | None = None) -> None:
    """Attach the masking filter to the root logger's handlers (idempotent)."""
    target = logger or logging.getLogger()
    handlers = target.handlers or []
    for handler in handlers:
        if not any(isinstance(f, SecretMaskingFilter) for f in handler.filters):
            handler.addFilter(SecretMaskingFilter())
    if not any(isinstance(f, SecretMaskingFilter) for f in target.filters):
        target.addFilter(SecretMaskingFilter())


def resolve_path(path: str | os.PathLike[str]) -> Path:
    """A configured relative path, taken from the project root."""
    p = Path(path)
    return p if p.is_absolute() else project_root() / p
