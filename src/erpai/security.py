"""API tokens (stored hashed) and provider secrets (encrypted at rest, shown only masked)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from erpai.config import get_settings

TOKEN_PREFIX = "erp_"


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_match(token: str, token_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), token_hash)


def mask_secret(secret: str) -> str:
    """``sk-…a1b2``: the kind prefix and the last four characters, never more."""
    if len(secret) <= 8:
        return "…" + secret[-2:] if secret else ""
    prefix = secret.split("-", 1)[0] + "-" if "-" in secret[:8] else secret[:2]
    return f"{prefix}…{secret[-4:]}"


def key_file() -> Path:
    return get_settings().data_dir / "secret.key"


def key_from_environment() -> bool:
    """True when ERPAI_SECRET_KEY sets the key; else it lives in the key file."""
    return bool(get_settings().secret_key)


def current_secret_key() -> bytes:
    """The key provider secrets are encrypted with now (ERPAI_SECRET_KEY, else the key file)."""
    return _load_or_create_key()


def fernet_for(key: bytes | str) -> Fernet:
    try:
        return Fernet(key)
    except (ValueError, TypeError):
        raise ValueError("not a Fernet key (32 url-safe base64-encoded bytes)") from None


def new_secret_key() -> bytes:
    return Fernet.generate_key()


def write_key_file(key: bytes, path: Path) -> None:
    """Writes ``key`` to ``path`` (0600) through a temporary file, so the file is whole or unchanged."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _load_or_create_key() -> bytes:
    configured = get_settings().secret_key
    if configured:
        return configured.encode()
    path = key_file()
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


@lru_cache(maxsize=1)
def _fernet() -> Fernet:
    return Fernet(_load_or_create_key())


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("the stored secret cannot be decrypted with this ERPAI_SECRET_KEY") from exc


def reset_secret_cache() -> None:
    _fernet.cache_clear()
