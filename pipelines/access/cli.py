"""`python -m pipelines users …` and `python -m pipelines audit …`: manage users and read the
audit log from the command line. Every change is audited with the operating-system account
that made it (os:NAME) as the actor."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import re
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from pipelines import settings
from pipelines.access import audit, users


def actor() -> str:
    """Who runs this command: the operating-system account."""
    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):
        return "os:unknown"


def host() -> str:
    return socket.gethostname()


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise SystemExit("密码请用 --password-stdin 传入 (no terminal: pass the password with --password-stdin)")
    first = getpass.getpass("密码 (password): ")
    if getpass.getpass("再输一次 (again): ") != first:
        raise SystemExit("两次输入的密码不一致 (the passwords differ)")
    return first


def _refused(e: users.UserError) -> int:
    print(str(e), file=sys.stderr)
    return 2


def _changed(event: str, change: Callable[[], users.User], said: Callable[[users.User], str], rights: bool) -> int:
    """Make a change to the users, audit it (with the user's rights where `rights`) and say
    so; a refused change (UserError) is printed and exits 2, with nothing audited."""
    try:
        user = change()
    except users.UserError as e:
        return _refused(e)
    where = {"scope": user.scope, "detail": _rights(user)} if rights else {}
    audit.record(actor(), event, subject=user.name, **where, client=host())
    print(said(user))
    return 0


def add(args: argparse.Namespace) -> int:
    def change() -> users.User:
        return users.add(
            args.name,
            args.role,
            args.unit or "",
            _password(args),
            pii=args.pii,
            admin=args.admin,
            approve=args.approve,
            known_units=_known_units(Path(args.db)),
        )

    return _changed("user_added", change, lambda u: f"已添加用户 (added) {u.name}: {u.role} {u.unit or '全市'}", True)


def _known_units(db: Path) -> set[str] | None:
    from pipelines.access.units import known_units  # pandas and the serving layer: only when a unit is checked

    return known_units(db)


def _rights(user: users.User) -> dict:
    return {"role": user.role, "unit": user.unit, "pii": user.pii, "admin": user.admin, "approve": user.approve}


def remove(args: argparse.Namespace) -> int:
    return _changed("user_removed", lambda: users.remove(args.name), lambda u: f"已删除用户 (removed) {u.name}", True)


def passwd(args: argparse.Namespace) -> int:
    return _changed(
        "password_changed",
        lambda: users.set_password(args.name, _password(args)),
        lambda u: f"已修改密码 (password changed) {u.name}",
        False,
    )


def unlock(args: argparse.Namespace) -> int:
    user = users.find(users.load(), args.name)
    if user is None:
        return _refused(users.UserError(f"没有这个用户 (no such user): {args.name}"))
    audit.record(actor(), "user_unlocked", subject=user.name, client=host())  # the name sign-ins count under
    print(f"已解除锁定 (unlocked) {user.name}")
    return 0


def listing(args: argparse.Namespace) -> int:
    logins = audit.last_logins()
    print("用户名\t角色\t单位\t姓名权限\t管理员\t审批\t最近登录 (name, role, unit, pii, admin, approve, last sign-in)")
    for user in sorted(users.load().values(), key=lambda u: (users.ROLES[u.role], u.unit, u.name)):
        last = logins.get(user.name)
        shown = last.astimezone(audit.CHINA).strftime("%Y-%m-%d %H:%M") if last else "—"
        rights = "\t".join(_yes(flag) for flag in (user.pii, user.admin, user.approve))
        print(f"{user.name}\t{user.role}\t{user.unit or '全市'}\t{rights}\t{shown}")
    return 0


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def create_demo(args: argparse.Namespace) -> int:
    """Demo users of each role (`make run`), created once; their credentials printed."""
    db = Path(args.db)
    if not db.exists():
        raise SystemExit(f"{db}: 数据库不存在，请先加载数据 (no such database: load data first)")
    from pipelines.access import demo  # pandas and the serving layer: only for the commands that need them

    added = demo.create(db)
    for name in added:
        user = users.load()[name]
        audit.record(actor(), "user_added", subject=name, scope=user.scope, detail=_rights(user), client=host())
    shown = demo.saved()
    if shown:
        print(f"演示账号 (demo users; kept in {demo.credentials_path()}):")
        present = users.load()
        for name, password in shown.items():
            user = present[name]
            flags = (("姓名", user.pii), ("管理", user.admin), ("审批", user.approve))
            rights = "、".join(x for x, on in flags if on) or "—"
            print(f"  {name:<10} {password:<16} {user.role} {user.unit or '全市'}（{rights}）")
    return 0


def audit_show(args: argparse.Namespace) -> int:
    import pandas as pd

    since = dt.datetime.fromisoformat(args.since).replace(tzinfo=audit.CHINA) if args.since else None
    rows = audit.read(since=since, actors=args.user or None, events=args.event or None, limit=args.limit)
    for row in rows.itertuples():
        when = row.logged_at.tz_convert(audit.CHINA).strftime("%Y-%m-%d %H:%M:%S")
        parts = [when, row.actor, row.event, row.subject or "", row.what or "", row.scope or "", row.row_count]
        print("\t".join("" if pd.isna(p) else _printable(str(p)) for p in parts))
    return 0


CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _printable(text: str) -> str:
    """A logged value on one line, as text: a name typed at sign-in may hold new lines, tabs or
    terminal escapes that would otherwise forge lines of this listing."""
    return CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def _said(result: audit.Check) -> None:
    if result.legacy:
        print(
            f"其中前 {result.legacy} 条写于密钥链之前，仅以 SHA-256 校验，由标记行封存 "
            f"(the first {result.legacy} rows predate the keyed chain: plain SHA-256, sealed by the marker row)"
        )


def audit_verify(args: argparse.Namespace) -> int:
    result = audit.check()
    if not result.intact:
        if result.broken:
            print(
                f"审计日志共 {result.rows} 条，校验链在这些序号处断开 (chain broken at): {result.broken[:20]}",
                file=sys.stderr,
            )
        for problem in result.problems:
            print(f"审计日志共 {result.rows} 条：{problem}", file=sys.stderr)
        return 1
    print(f"审计日志共 {result.rows} 条，校验链完整 (audit log intact)")
    _said(result)
    return 0


def audit_reseal(args: argparse.Namespace) -> int:
    """After restoring the log from a backup on purpose: record it as it is now as the head."""
    result = audit.reseal()
    if not result.intact:
        return audit_verify(args)
    print(f"已按当前 {result.rows} 条记录重新记下链头 (head recorded afresh at {result.rows} rows)")
    return 0


def register(sub: argparse._SubParsersAction, default_db: Path) -> None:
    """The `users` and `audit` commands."""
    u = sub.add_parser(
        "users", help=f"manage dashboard users (file: {settings.USERS.name}, default {settings.USERS.default})"
    )
    usub = u.add_subparsers(dest="users_command", required=True)
    a = usub.add_parser("add", help="add a user bound to a role and unit")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=list(users.ROLES))
    a.add_argument("--unit", help="区县, 区县/街道 or 区县/街道/社区 (none for 市级)")
    a.add_argument("--pii", action="store_true", help="may see members' names")
    a.add_argument("--admin", action="store_true", help="may read the audit log, manage users and enter adjustments")
    a.add_argument("--approve", action="store_true", help="may approve or reject adjustments within the unit")
    a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    a.add_argument("--db", default=str(default_db), help="warehouse whose units are checked")
    a.set_defaults(func=add)
    r = usub.add_parser("remove", help="remove a user (their sessions end at their next click)")
    r.add_argument("name")
    r.set_defaults(func=remove)
    p = usub.add_parser("passwd", help="set a user's password (their sessions end)")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(func=passwd)
    k = usub.add_parser("unlock", help="lift a lockout after failed sign-ins")
    k.add_argument("name")
    k.set_defaults(func=unlock)
    usub.add_parser("list", help="list users, their rights and last sign-in").set_defaults(func=listing)
    d = usub.add_parser("demo", help="create demo users of each role (if missing) and print their credentials")
    d.add_argument("--db", default=str(default_db))
    d.set_defaults(func=create_demo)

    au = sub.add_parser(
        "audit", help=f"read or verify the audit log ({settings.AUDIT.name}, default {settings.AUDIT.default})"
    )
    asub = au.add_subparsers(dest="audit_command", required=True)
    s = asub.add_parser("show", help="events, newest first")
    s.add_argument("--since", help="YYYY-MM-DD[THH:MM] (China time)")
    s.add_argument("--user", action="append", help="actor or subject (repeatable)")
    s.add_argument("--event", action="append", choices=list(audit.EVENTS))
    s.add_argument("--limit", type=int, default=100)
    s.set_defaults(func=audit_show)
    asub.add_parser(
        "verify", help="check the keyed hash chain and its recorded head: exit 1 if a row was changed or removed"
    ).set_defaults(func=audit_verify)
    asub.add_parser(
        "reseal", help="after restoring the log from a backup on purpose: record its present head (rows must verify)"
    ).set_defaults(func=audit_reseal)
