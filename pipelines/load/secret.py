"""The key of the keyed hash that links a person's records without storing the ID number.

Created on first use outside git (PBI_SECRET_KEY_FILE, default data/secrets/member-key).
Losing it means new loads can no longer be linked to earlier ones: back it up with the
database, and never put it beside a database you hand out. The warehouse records the key's
fingerprint (an HMAC of a constant under the key, never the key), so a load with another
key is refused instead of quarantining every known member as unknown.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from pipelines import settings

FINGERPRINT_TEXT = b"pbi member key fingerprint v1"


def member_key_secret() -> str:
    path = settings.secret_key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    text = path.read_text().strip()
    if len(text) < 32:
        raise SystemExit(f"{path}: the member-key secret is too short or empty")
    return text


def fingerprint(key: str) -> str:
    """What the warehouse keeps of the key: it tells keys apart and cannot give the key back."""
    return hmac.new(key.encode(), FINGERPRINT_TEXT, hashlib.sha256).hexdigest()


def restore_hint() -> str:
    """How to get the right key back (the message of a refused load)."""
    return (
        f"请从备份恢复原密钥文件到 {settings.secret_key_path()}，或用 {settings.SECRET_KEY_FILE.name} 指向它 "
        f"(restore the key file from your backup to that path, or point {settings.SECRET_KEY_FILE.name} at it)"
    )
