"""The key of the keyed hash that links a person's records without storing the ID number.

Created on first use outside git (PBI_SECRET_KEY_FILE, default data/secrets/member-key).
Losing it means new loads can no longer be linked to earlier ones: back it up with the
database, and never put it beside a database you hand out.
"""

from __future__ import annotations

import os
import secrets

from pipelines import settings


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
