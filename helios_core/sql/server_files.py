"""COPY to and from files on the server: who may, and which files nobody may touch.

As PostgreSQL 15: reading a server file needs superuser or the privileges of
pg_read_server_files, writing one pg_write_server_files, and a program
pg_execute_server_program (HeliosDB runs no programs at all: 0A000 for those who may ask).
On top of that, for everyone including superusers, a path that resolves (symlinks
followed) inside the data directory, the server's configuration file or the Python
installation (sys.prefix, site-packages, the helios packages) is refused: writing there
would let SQL plant code the server runs at its next start, reading there would hand out
the WAL, the catalog and the configured passwords. The checked path is re-checked on the
opened descriptor, so a symlink swapped in between does not get around it.
"""

from __future__ import annotations

import os
import site
import sys
import sysconfig
from typing import Any, BinaryIO

import helios_core
from helios_core import roles
from helios_core.errors import FeatureNotSupported, HeliosError, InsufficientPrivilege

_HINT = "Anyone can COPY to stdout or from stdin. psql's \\copy command also works for anyone."


def check_role(session: Any, *, writing: bool, program: bool = False) -> None:
    """42501 with PostgreSQL's message unless the current user may use server files this way."""
    graph = roles.role_graph(session.engine)
    user = session.user
    if program:
        if not graph.has_privs_of(user, "pg_execute_server_program"):
            raise InsufficientPrivilege("must be superuser or have privileges of the pg_execute_server_program role "
                                        "to COPY to or from an external program", hint=_HINT)
        raise FeatureNotSupported("COPY TO/FROM PROGRAM is not supported: the server runs no external programs")
    role = "pg_write_server_files" if writing else "pg_read_server_files"
    if not graph.has_privs_of(user, role):
        what = "COPY to a file" if writing else "COPY from a file"
        raise InsufficientPrivilege(f"must be superuser or have privileges of the {role} role to {what}",
                                    hint=_HINT)


def protected_roots(engine: Any) -> list[str]:
    """Directories and files no SQL statement may read or write."""
    roots = [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix]
    for key in ("stdlib", "platstdlib", "purelib", "platlib", "scripts", "data"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.append(path)
    try:
        roots += site.getsitepackages()
    except AttributeError:  # pragma: no cover - virtualenvs without getsitepackages
        pass
    user_site = site.getusersitepackages() if hasattr(site, "getusersitepackages") else None
    if user_site:
        roots.append(user_site)
    # editable installs put their source on sys.path (the first entry is the script's own directory)
    roots += [p for p in sys.path[1:] if p and os.path.isdir(p) and os.path.realpath(p) != os.sep]
    roots.append(os.path.dirname(os.path.dirname(os.path.abspath(helios_core.__file__))))
    if getattr(engine, "data_dir", None):
        roots.append(str(engine.data_dir))
    roots += list(getattr(engine, "protected_paths", ()) or ())
    return [os.path.realpath(r) for r in roots if r]


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _check_path(engine: Any, real: str, shown: str) -> None:
    for root in protected_roots(engine):
        if _inside(real, root):
            raise InsufficientPrivilege(
                f'could not access file "{shown}": files inside the server\'s data directory, configuration or '
                f"Python installation cannot be read or written by SQL")


def _resolve(path: str, *, writing: bool) -> str:
    if not os.path.isabs(path):
        raise HeliosError(f"relative path not allowed for COPY {'to' if writing else 'from'} file",
                          sqlstate="42602")
    return os.path.realpath(path)  # a symlink (even to a file not yet there) is judged by its target


def open_for_copy(session: Any, path: str, *, writing: bool) -> BinaryIO:
    """Open a server file for COPY after every check; the caller closes it."""
    check_role(session, writing=writing)
    engine = session.engine
    real = _resolve(path, writing=writing)
    _check_path(engine, real, path)
    flags = os.O_NOFOLLOW | os.O_CLOEXEC | (os.O_WRONLY | os.O_CREAT | os.O_TRUNC if writing else os.O_RDONLY)
    try:
        fd = os.open(real, flags, 0o644)
    except OSError as e:
        action = "writing" if writing else "reading"
        raise HeliosError(f'could not open file "{path}" for {action}: {e.strerror}', sqlstate="58P01") from None
    try:
        opened = os.path.realpath(f"/proc/self/fd/{fd}") if os.path.exists("/proc/self/fd") else real
        _check_path(engine, opened, path)
        if not writing and not os.path.isfile(opened):
            raise HeliosError(f'"{path}" is a directory' if os.path.isdir(opened) else
                              f'could not open file "{path}" for reading: not a regular file', sqlstate="42809")
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "wb" if writing else "rb")
