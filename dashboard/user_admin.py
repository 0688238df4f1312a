"""User changes made on the admin page: each checked against the viewer's admin right (not
only by hiding the page) and written to the audit log with the administrator as actor."""

from __future__ import annotations

from dashboard import auth, data, sessions
from dashboard.viewer import OutOfScope
from dashboard.viewer import current as viewer
from pipelines.access import users
from pipelines.access.units import known_units


def _admin() -> None:
    if not viewer().admin:
        raise OutOfScope("user administration")


def _rights(user: users.User) -> dict:
    return {"role": user.role, "unit": user.unit, "pii": user.pii, "admin": user.admin, "approve": user.approve}


def add(name: str, role: str, unit: str, password: str, pii: bool, admin: bool, approve: bool = False) -> users.User:
    """Raises users.UserError with the reason when refused."""
    _admin()
    user = users.add(
        name, role, unit, password, pii=pii, admin=admin, approve=approve, known_units=known_units(data.db_path())
    )
    auth.record("user_added", subject=user.name, scope=user.scope, detail=_rights(user))
    return user


def remove(name: str) -> None:
    _admin()
    if name == viewer().name:
        raise users.UserError("不能删除自己 (you cannot remove yourself)")
    user = users.remove(name)
    sessions.end_user(user.name)  # its cookies stop working now, not at their next request
    auth.record("user_removed", subject=user.name, scope=user.scope, detail=_rights(user))


def set_password(name: str, password: str) -> None:
    _admin()
    user = users.set_password(name, password)
    sessions.end_user(user.name)
    auth.record("password_changed", subject=name)


def unlock(name: str) -> None:
    _admin()
    auth.record("user_unlocked", subject=name)
