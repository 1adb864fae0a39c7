"""Real servers as subprocesses for the process-level tests and the load benchmark (not a test).

``start_serve`` runs ``invoice-extractor serve``, ``start_gunicorn`` the original
``gunicorn ... app:app`` command line from the repository root. Each gets its own free loopback
port, its own ``DATA_DIR`` and a log file, and runs in its own process group so that ``stop``
(SIGTERM, then SIGKILL) and ``kill`` (SIGKILL at once: a crash) reach the gunicorn master and its
workers alike. ``Api`` is a small ``requests`` client of ``/api/v1`` using the owner token.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from invoice_extractor.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
SECRET = "test-secret-key-for-subprocess-servers"
RUNNING_STATES = frozenset({"queued", "reading", "extracting"})
# Every setting the app reads: cleared from the inherited environment so only ours apply.
_CLEARED = frozenset({name.upper() for name in Settings.model_fields} | {"GUNICORN_CMD_ARGS"})


def executable(name: str) -> str:
    """A console script of the running venv (``/work/venv/bin/NAME``), else from PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed in {Path(sys.executable).parent}")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(
    data_dir: Path, port: int, *, secret_key: str | None = SECRET, **extra: str
) -> dict[str, str]:
    """The inherited environment minus every app setting, plus this server's settings."""
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update(
        DATA_DIR=str(data_dir),
        PORT=str(port),
        WORKERS="2",
        JOB_LEASE_SECONDS="5",
        MIN_FREE_DISK_MB="0",
    )
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    # gunicorn's control socket defaults to one path per user: give each server its own.
    runtime = data_dir.parent / f"run-{port}"
    runtime.mkdir(parents=True, exist_ok=True)
    env["XDG_RUNTIME_DIR"] = str(runtime)
    env.update(extra)
    return env


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    log_path: Path
    pids_seen: set[int] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self, tail: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def wait_healthy(self, timeout: float = 60.0) -> None:
        """Until ``/healthz`` answers 200; RuntimeError (with the log) on exit or timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not answer /healthz within {timeout:.0f}s:\n{self.log()}")

    def group_pids(self) -> list[int]:
        """The pids of the server's process group (the gunicorn master and its workers)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[2]) == self.proc.pid:
                    pids.append(int(entry.name))
        self.pids_seen.update(pids)
        return pids

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signum)

    def kill(self) -> None:
        """SIGKILL the whole group at once: the crash (power cut, OOM killer) case."""
        self._signal_group(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._wait_group_gone(10)

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit code."""
        if self.proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.proc.wait(timeout=30)
        # Workers left behind by a master that died first: never leak them.
        if not self._wait_group_gone(timeout):
            self._signal_group(signal.SIGKILL)
            self._wait_group_gone(10)
        return self.proc.returncode

    def _wait_group_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.05)
        return False

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def _spawn(
    cmd: Sequence[str], env: Mapping[str, str], cwd: Path, log_path: Path, port: int, data: Path
) -> Server:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            list(cmd),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: signals reach the workers too
        )
    return Server(proc, port, data, log_path)


def start_serve(
    data_dir: Path, *, port: int | None = None, wait: bool = True, timeout: float = 60.0, **env: str
) -> Server:
    """``invoice-extractor serve --host 127.0.0.1 --port PORT`` on ``data_dir``."""
    port = port or free_port()
    cmd = [executable("invoice-extractor"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    cwd = data_dir.parent  # never the repository: no stray .env is read
    log_path = data_dir.parent / f"serve-{port}.log"
    server = _spawn(cmd, server_env(data_dir, port, **env), cwd, log_path, port, data_dir)
    if wait:
        server.wait_healthy(timeout)
    return server


def gunicorn_command(port: int, workers: int = 4) -> list[str]:
    """The original command line, on loopback: ``gunicorn -w 4 -b ... app:app``."""
    return [
        executable("gunicorn"),
        *("-w", str(workers), "-b", f"127.0.0.1:{port}"),
        *("--timeout", "300", "--graceful-timeout", "300"),
        "app:app",
    ]


def start_gunicorn(
    data_dir: Path,
    *,
    workers: int = 4,
    wait: bool = True,
    timeout: float = 90.0,
    secret_key: str | None = SECRET,
    **env: str,
) -> Server:
    """The original ``gunicorn ... app:app``, run from the repository root like production."""
    port = free_port()
    log_path = data_dir.parent / f"gunicorn-{port}.log"
    environ = server_env(data_dir, port, secret_key=secret_key, **env)
    server = _spawn(gunicorn_command(port, workers), environ, REPO_ROOT, log_path, port, data_dir)
    if wait:
        server.wait_healthy(timeout)
    return server


def peak_rss_kib(pids: Iterable[int]) -> dict[int, int]:
    """``VmHWM`` (peak resident set) in KiB per live pid, where /proc has it."""
    peaks: dict[int, int] = {}
    for pid in pids:
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[pid] = int(line.split()[1])
    return peaks


class Api:
    """The JSON API of one server, authenticated with a session's owner token."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.timeout = timeout
        self.http = requests.Session()

    def _call(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.http.request(
            method, self.base + path, headers=headers, timeout=self.timeout, **kw
        )
        if response.status_code >= 300:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response

    def create_session(self) -> tuple[str, str]:
        body = self._call("POST", "/sessions").json()
        return body["id"], body["token"]

    def upload(
        self, session_id: str, token: str, files: Iterable[Path | tuple[str, bytes]]
    ) -> list[dict[str, Any]]:
        """One multipart request with every file; the accepted entries (rejections fail)."""
        parts = []
        for item in files:
            name, data = (item.name, item.read_bytes()) if isinstance(item, Path) else item
            parts.append(("files", (name, data, "application/pdf")))
        body = self._call("POST", f"/sessions/{session_id}/files", token, files=parts).json()
        assert not body["rejected"], body["rejected"]
        accepted: list[dict[str, Any]] = body["accepted"]
        return accepted

    def jobs(self, session_id: str, token: str) -> list[dict[str, Any]]:
        path = f"/sessions/{session_id}/jobs"
        jobs: list[dict[str, Any]] = self._call("GET", path, token).json()["jobs"]
        return jobs

    def wait_done(
        self, session_id: str, token: str, timeout: float = 120.0, poll: float = 0.2
    ) -> list[dict[str, Any]]:
        """The jobs once none is queued or running; AssertionError with their states on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            jobs = self.jobs(session_id, token)
            if not any(j["state"] in RUNNING_STATES for j in jobs):
                return jobs
            if time.monotonic() > deadline:
                states = {j["name"]: (j["state"], j["attempts"]) for j in jobs}
                raise AssertionError(f"jobs not done within {timeout:.0f}s: {states}")
            time.sleep(poll)

    def invoices(self, session_id: str, token: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call(
            "GET", f"/sessions/{session_id}/invoices", token
        ).json()["invoices"]
        return found

    def invoice(self, session_id: str, token: str, invoice_id: int) -> dict[str, Any]:
        found: dict[str, Any] = self._call(
            "GET", f"/sessions/{session_id}/invoices/{invoice_id}", token
        ).json()
        return found

    def patch(
        self, session_id: str, token: str, invoice_id: int, fields: Mapping[str, str | None]
    ) -> dict[str, Any]:
        path = f"/sessions/{session_id}/invoices/{invoice_id}"
        body: dict[str, Any] = self._call("PATCH", path, token, json={"fields": fields}).json()
        return body

    def edits(self, session_id: str, token: str, invoice_id: int) -> list[dict[str, Any]]:
        path = f"/sessions/{session_id}/invoices/{invoice_id}/edits"
        found: list[dict[str, Any]] = self._call("GET", path, token).json()["edits"]
        return found

    def export(self, session_id: str, token: str, fmt: str = "csv") -> str:
        path = f"/sessions/{session_id}/export"
        text: str = self._call("GET", path, token, params={"format": fmt}).text
        return text
