"""Settings, mode selection and secret masking."""

from __future__ import annotations

import logging

import pytest

from vidrec_cli.cli import install_log_masking
from vidrec_helpers.config import (
    Settings,
    VidrecError,
    mask_secrets,
    mask_url,
    reload_settings,
)

FAKE_TL_KEY = "tlk_" + "A1b2C3d4E5f6G7h8I9j0K1l2"
FAKE_AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzzzzzzzzzz"


def test_offline_is_default_without_key(monkeypatch):
    monkeypatch.delenv("VIDREC_MODE", raising=False)
    settings = Settings(_env_file=None)
    assert settings.twelvelabs_api_key is None
    assert settings.mode == "offline"


def test_live_when_key_is_set(monkeypatch):
    monkeypatch.delenv("VIDREC_MODE", raising=False)
    monkeypatch.setenv("TWELVELABS_API_KEY", FAKE_TL_KEY)
    assert Settings(_env_file=None).mode == "live"


def test_forced_mode_wins(monkeypatch):
    monkeypatch.setenv("TWELVELABS_API_KEY", FAKE_TL_KEY)
    monkeypatch.setenv("VIDREC_MODE", "offline")
    assert Settings(_env_file=None).mode == "offline"


def test_invalid_mode_and_model_are_rejected(monkeypatch):
    monkeypatch.setenv("VIDREC_MODE", "sometimes")
    with pytest.raises(ValueError, match="offline"):
        Settings(_env_file=None)
    monkeypatch.setenv("VIDREC_MODE", "offline")
    monkeypatch.setenv("MARENGO_MODEL", "marengo2.7")
    with pytest.raises(ValueError, match="marengo3.0"):
        Settings(_env_file=None)


def test_both_marengo_models_accepted(monkeypatch):
    for model in ("marengo3.0", "marengo3.5"):
        monkeypatch.setenv("MARENGO_MODEL", model)
        assert Settings(_env_file=None).marengo_model == model


def test_dotenv_file_is_read(tmp_path, monkeypatch):
    for name in ("TWELVELABS_API_KEY", "VIDREC_MODE", "S3_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    env = tmp_path / ".env"
    env.write_text(f"TWELVELABS_API_KEY={FAKE_TL_KEY}\nS3_BUCKET=my-bucket\n", encoding="utf-8")
    settings = Settings(_env_file=str(env))
    assert settings.mode == "live"
    assert settings.s3_bucket == "my-bucket"


def test_secrets_masked_in_repr_and_summary(monkeypatch):
    monkeypatch.setenv("TWELVELABS_API_KEY", FAKE_TL_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_AWS_SECRET)
    monkeypatch.setenv("QDRANT_API_KEY", "qdrant-secret-value-123")
    settings = Settings(_env_file=None)
    for text in (repr(settings), str(settings), settings.summary(), str(settings.model_dump())):
        assert FAKE_TL_KEY not in text
        assert FAKE_AWS_SECRET not in text
        assert "qdrant-secret-value-123" not in text
    assert settings.twelvelabs_api_key.get_secret_value() == FAKE_TL_KEY


def test_secrets_masked_in_exceptions(monkeypatch):
    monkeypatch.setenv("TWELVELABS_API_KEY", FAKE_TL_KEY)
    reload_settings()
    error = VidrecError(f"request failed with header x-api-key: {FAKE_TL_KEY}")
    assert FAKE_TL_KEY not in str(error)
    assert "****" in str(error)


def test_a_key_set_after_the_settings_were_read_is_masked(monkeypatch):
    reload_settings()
    late = "late-qdrant-key-" + "0123456789"
    monkeypatch.setenv("QDRANT_API_KEY", late)
    assert late not in str(VidrecError(f"refused with api-key {late}"))


def test_key_shaped_strings_masked_even_when_not_configured():
    aws_like = "AKIA" + "ABCDEFGHIJKLMNOP"
    assert aws_like not in mask_secrets(f"key {aws_like} leaked")


def test_secrets_masked_in_logs(monkeypatch, caplog):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_AWS_SECRET)
    reload_settings()
    logger = logging.getLogger("vidrec.test")
    install_log_masking(logger)
    with caplog.at_level(logging.INFO, logger="vidrec.test"):
        logger.info("connecting with secret %s", FAKE_AWS_SECRET)
    assert FAKE_AWS_SECRET not in caplog.text
    assert "****" in caplog.text


def test_require_live_message_says_what_to_do(monkeypatch):
    settings = Settings(_env_file=None)
    with pytest.raises(VidrecError, match="TWELVELABS_API_KEY is not set.*VIDREC_MODE=offline"):
        settings.require_live()


def test_blank_values_are_unset(monkeypatch):
    monkeypatch.setenv("TWELVELABS_API_KEY", "   ")
    monkeypatch.setenv("QDRANT_URL", "")
    monkeypatch.delenv("VIDREC_MODE", raising=False)
    settings = Settings(_env_file=None)
    assert settings.twelvelabs_api_key is None
    assert settings.qdrant_url is None
    assert settings.mode == "offline"


def test_url_passwords_never_print(monkeypatch, caplog):
    monkeypatch.setenv("QDRANT_URL", "https://admin:hunter2-secret@qdrant.example:6333")
    settings = reload_settings()
    for text in (settings.summary(), repr(settings), str(settings)):
        assert "hunter2-secret" not in text
    assert "https://admin:****@qdrant.example:6333" in settings.summary()
    error = VidrecError("cannot reach hunter2-secret")  # the password alone, as a library prints it
    assert "hunter2-secret" not in str(error)
    logger = logging.getLogger("vidrec.test.url")
    install_log_masking(logger)
    with caplog.at_level(logging.INFO, logger="vidrec.test.url"):
        logger.info("GET %s/collections", settings.qdrant_url)
    assert "hunter2-secret" not in caplog.text


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("http://user:p%40ss@host:6333/x", "http://user:****@host:6333/x"),
        (
            "https://h/v.mp4?X-Amz-Signature=abc&response-content-type=video/mp4",
            "https://h/v.mp4?X-Amz-Signature=****&response-content-type=video/mp4",
        ),
        (
            "https://h/v.mp4?X-Amz-Security-Token=t0k&X-Amz-Credential=AK%2F1",
            "https://h/v.mp4?X-Amz-Security-Token=****&X-Amz-Credential=****",
        ),
        ("http://q:6333/?api_key=k3y", "http://q:6333/?api_key=****"),
        ("http://localhost:6333", "http://localhost:6333"),
    ],
)
def test_mask_url_hides_userinfo_passwords_and_credential_parameters(url, masked):
    assert mask_url(url) == masked
    assert mask_secrets(f"failed: {url} (retrying)") == f"failed: {masked} (retrying)"


def test_qdrant_timeout_is_a_positive_number_of_seconds(monkeypatch):
    monkeypatch.setenv("QDRANT_TIMEOUT", "0")
    with pytest.raises(ValueError, match="greater than 0"):
        Settings(_env_file=None)
    monkeypatch.setenv("QDRANT_TIMEOUT", "")
    assert Settings(_env_file=None).qdrant_timeout is None
