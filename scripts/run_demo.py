"""Serve the demo: web server, Celery worker and beat; Ctrl-C stops all of them."""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
RUN_DIR = PROJECT_DIR / ".run"
sys.path.insert(0, str(PROJECT_DIR))

from demo.data import DEMO_PASSWORD, DEMO_USERS  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
    args = parser.parse_args()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    RUN_DIR.mkdir(exist_ok=True)
    commands = {
        "web": [str(VENV_BIN / "python"), "manage.py", "runserver", "--noreload",
                f"{args.host}:{args.port}"],
        "worker": [str(VENV_BIN / "celery"), "-A", "config", "worker", "--loglevel=INFO",
                   "--concurrency=2"],
        "beat": [str(VENV_BIN / "celery"), "-A", "config", "beat", "--loglevel=INFO",
                 f"--schedule={RUN_DIR / 'celerybeat-schedule'}"],
    }  # fmt: skip
    processes = {
        name: subprocess.Popen(
            command, cwd=PROJECT_DIR, env=env, start_new_session=True
        )
        for name, command in commands.items()
    }
    time.sleep(2)
    print("\n" + "=" * 72)
    print(
        f"  Hệ thống báo cáo thống kê / Statistical reporting: http://{args.host}:{args.port}/"
    )
    print(
        f"  Mật khẩu mọi tài khoản demo / password of every demo login: {DEMO_PASSWORD}"
    )
    for demo_user in DEMO_USERS:
        print(f"    {demo_user.username:<16} {demo_user.description}")
    print("  Ctrl-C để dừng / to stop")
    print("=" * 72 + "\n", flush=True)

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    try:
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with code {process.returncode}; stopping.")
                    stopping = True
                    exit_code = 1
            time.sleep(0.5)
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if not os.environ.get("DATABASE_URL"):
            subprocess.run([str(VENV_BIN / "python"), "-m", "config.embedded_services",
                            "stop"], cwd=PROJECT_DIR, check=False)  # fmt: skip
        print("Đã dừng / stopped.")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
