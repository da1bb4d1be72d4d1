"""Secret-key rotation: every stored provider key re-encrypted under a new Fernet key, in one transaction.

Where the new key comes from and goes to:

- key file mode (ERPAI_SECRET_KEY empty): the new key is ERPAI_NEW_SECRET_KEY if set, else generated; it is
  written first to ``secret.key.new``, the rows are re-encrypted and committed, then it replaces
  ``secret.key``. A crash in between leaves the new key in ``secret.key.new`` (never a lost key).
- environment mode (ERPAI_SECRET_KEY set): erpai cannot change the environment, so the new key must be
  given in ERPAI_NEW_SECRET_KEY; afterwards the operator sets ERPAI_SECRET_KEY to it.

The key itself is never printed or logged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.audit.service import record_change
from erpai.errors import InvalidInput
from erpai.providers.models import Provider
from erpai.security import (
    current_secret_key,
    fernet_for,
    key_file,
    key_from_environment,
    new_secret_key,
    reset_secret_cache,
    write_key_file,
)

NEW_KEY_VARIABLE = "ERPAI_NEW_SECRET_KEY"


@dataclass(frozen=True)
class RotationResult:
    providers: int
    key_file: Path | None  # where the new key was written; None when the operator must set ERPAI_SECRET_KEY


def rotate_secret_key(session: Session, *, actor_id: int | None) -> RotationResult:
    """Re-encrypts every provider key under the new key; all rows or none."""
    old_key = current_secret_key()
    new_key = _new_key(old_key)
    old, new = fernet_for(old_key), fernet_for(new_key)
    if key_from_environment():
        count = reencrypt_provider_keys(session, old=old, new=new, actor_id=actor_id)
        reset_secret_cache()
        return RotationResult(providers=count, key_file=None)
    path = key_file()
    pending = path.with_name(path.name + ".new")
    write_key_file(new_key, pending)
    try:
        count = reencrypt_provider_keys(session, old=old, new=new, actor_id=actor_id)
    except BaseException:
        pending.unlink(missing_ok=True)  # nothing was changed: the old key stays the key
        raise
    os.replace(pending, path)
    reset_secret_cache()
    return RotationResult(providers=count, key_file=path)


def _new_key(old_key: bytes) -> bytes:
    given = os.environ.get(NEW_KEY_VARIABLE, "").strip()
    if not given:
        if key_from_environment():
            raise InvalidInput(
                f"ERPAI_SECRET_KEY is set, so give the new key in {NEW_KEY_VARIABLE} (erpai cannot change "
                "your environment); generate one with: erpai secrets generate > new.key",
                field=NEW_KEY_VARIABLE,
            )
        return new_secret_key()
    try:
        fernet_for(given)
    except ValueError as exc:
        raise InvalidInput(f"{NEW_KEY_VARIABLE}: {exc}", field=NEW_KEY_VARIABLE) from None
    if given.encode() == old_key:
        message = f"{NEW_KEY_VARIABLE} is the current key; nothing to rotate"
        raise InvalidInput(message, field=NEW_KEY_VARIABLE)
    return given.encode()


def reencrypt_provider_keys(session: Session, *, old: Fernet, new: Fernet, actor_id: int | None) -> int:
    """Decrypts every stored key with ``old`` and encrypts it with ``new``; commits once, or raises
    (changing nothing) when a key cannot be decrypted with ``old``."""
    rows = list(session.scalars(select(Provider).where(Provider.api_key_encrypted.is_not(None))))
    for row in rows:
        assert row.api_key_encrypted is not None
        try:
            plain = old.decrypt(row.api_key_encrypted.encode())
        except InvalidToken:
            session.rollback()
            raise InvalidInput(
                f"provider '{row.name}': its stored key cannot be decrypted with the current secret key; "
                "nothing was changed",
                field="secret_key",
            ) from None
        row.api_key_encrypted = new.encrypt(plain).decode()
        record_change(session, user_id=actor_id, entity="provider", entity_id=row.id, action="rotate_key")
    session.commit()
    return len(rows)
