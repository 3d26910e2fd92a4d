"""Settings, mode selection and secret masking."""

from __future__ import annotations

import logging

import pytest

from vidrec_helpers.config import (
    Settings,
    VidrecError,
    install_log_masking,
    mask_secrets,
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
    monkeypatch.delenv("MARENGO_MODEL")
    assert Settings(_env_file=None).marengo_model == "marengo3.0"


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
