"""The pieces of a distributed setup as processes the tests and the scale benchmark control.

``RedisServer`` is a throwaway ``redis-server`` on a free loopback port (no persistence), which a
test may SIGKILL and start again: never the machine's own Redis. ``postgres_schema`` is a fresh
schema in the local PostgreSQL (dropped afterwards), as in ``conftest.web_settings``.
``start_worker`` runs ``invoice-extractor worker`` as a subprocess in its own process group (a
``helpers_server.Server``: ``kill`` SIGKILLs the Celery main process and its pool at once).
``TcpProxy`` forwards a loopback port to another and can be switched on late: a database that
is "not there yet".
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from helpers_server import Server, _spawn, executable, free_port, server_env

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
POSTGRES_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"


def postgres_problem() -> str | None:
    """Why the local PostgreSQL cannot be used, or None when it answers."""
    try:
        import psycopg

        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return " ".join(f"{type(exc).__name__}: {exc}".split())
    return None


def schema_url(schema: str, base: str = POSTGRES_URL) -> str:
    return f"{base}?options=-csearch_path%3D{schema}"


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema; yields its name (``schema_url(name)`` is the DATABASE_URL)."""
    import psycopg

    schema = f"t_{secrets.token_hex(8)}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema
    finally:
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '10s'")
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


class RedisServer:
    """``redis-server`` on ``port`` without persistence: a restart starts empty."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.directory = directory
        self.proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        cmd = [
            "redis-server",
            *("--port", str(self.port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            *("--dir", str(self.directory)),
        ]
        log = (self.directory / f"redis-{self.port}.log").open("ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while not self.ping():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)
        return self

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: everything it held (queued and unacknowledged messages) is gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.kill()


def start_worker(data_dir: Path, *, wait: bool = True, timeout: float = 60.0, **env: str) -> Server:
    """``invoice-extractor worker`` with these settings (QUEUE_URL, DATABASE_URL, ...)."""
    port = free_port()  # unused by a worker; names its log and runtime folder
    log_path = data_dir.parent / f"worker-{port}.log"
    environ = server_env(data_dir, port, **env)
    cmd = [executable("invoice-extractor"), "worker"]
    worker = _spawn(cmd, environ, data_dir.parent, log_path, port, data_dir)
    if wait:
        wait_for_log(worker, " ready.", timeout)
    return worker


def wait_for_log(server: Server, text: str, timeout: float) -> None:
    """Until ``text`` is in the process's log; RuntimeError (with the log) on exit or timeout."""
    deadline = time.monotonic() + timeout
    while text not in server.log(tail=1_000_000):
        if server.proc.poll() is not None:
            raise RuntimeError(f"exited with {server.proc.returncode}:\n{server.log()}")
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"{text!r} not logged within {timeout:.0f}s:\n{server.log()}")
        time.sleep(0.1)


class TcpProxy:
    """Forwards ``127.0.0.1:port`` to ``127.0.0.1:target``; nothing listens until ``start``."""

    def __init__(self, target: int, port: int | None = None) -> None:
        self.target = target
        self.port = port or free_port()
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.2)
        self._listener = listener
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def stop(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()
            self._sockets.clear()


def heavy_invoice(number: str, pages: int = 30, items: int = 45) -> bytes:
    """One invoice over ``pages`` dense pages (its total on the last): a few tenths of a second of
    real extraction, so that a worker can be killed while it runs."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    unit = 1000 + sum(map(ord, number)) % 900
    for page in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.text(50, 60, "Acme Trading Ltd")
        pdf.set_font("Helvetica", size=10)
        for y, (label, value) in ((110, ("Invoice No:", number)), (125, ("Date:", "31.03.2024"))):
            pdf.text(330, y, label)
            pdf.text(450, y, value)
        pdf.set_font("Helvetica", size=9)
        for row in range(items):
            y = 170 + row * 13
            line = (page - 1) * items + row + 1
            pdf.text(50, y, f"Item {line}: spare part {number}-{line:03d}")
            pdf.text(400, y, "1")
            pdf.text(470, y, f"{unit // 100}.{unit % 100:02d}")
        if page == pages:
            total = unit * items * pages
            pdf.set_font("Helvetica", size=10)
            pdf.text(330, 780, "Total")
            pdf.text(450, 780, f"{total // 100}.{total % 100:02d}")
        pdf.set_font("Helvetica", size=8)
        pdf.text(450, 810, f"Page {page} of {pages}")
    return bytes(pdf.output())


class Cluster:
    """One deployment on this machine: a web server, Celery workers, a throwaway Redis and a fresh
    PostgreSQL schema, all sharing one DATA_DIR. ``close`` stops every process it started."""

    def __init__(self, root: Path, redis: RedisServer, schema: str, **settings: str) -> None:
        self.root = root
        self.redis = redis
        self.schema = schema
        self.data_dir = root / "shared-data"
        self.env = {
            "QUEUE_URL": redis.url,
            "DATABASE_URL": schema_url(schema),
            "JOB_SWEEP_SECONDS": "2",
            **settings,
        }
        self.processes: list[Server] = []
        self._engine: Any = None

    def web(self, *, gunicorn_workers: int = 0, **env: str) -> Server:
        """``invoice-extractor serve``, or ``gunicorn -w N app:app`` when N > 0."""
        from helpers_server import start_gunicorn, start_serve

        merged = {**self.env, **env}
        if gunicorn_workers:
            server = start_gunicorn(self.data_dir, workers=gunicorn_workers, **merged)
        else:
            server = start_serve(self.data_dir, **merged)
        self.processes.append(server)
        return server

    def worker(self, **env: str) -> Server:
        server = start_worker(self.data_dir, **{**self.env, **env})
        self.processes.append(server)
        return server

    def sql(self, query: str, **params: Any) -> list[Any]:
        """Rows of a query on the cluster's schema."""
        from sqlalchemy import create_engine, text

        if self._engine is None:
            self._engine = create_engine(schema_url(self.schema))
        with self._engine.connect() as conn:
            return list(conn.execute(text(query), params).all())

    def close(self) -> None:
        for server in reversed(self.processes):
            with contextlib.suppress(Exception):
                server.stop(timeout=20)
        if self._engine is not None:
            self._engine.dispose()


@contextlib.contextmanager
def running_cluster(root: Path) -> Iterator[Cluster]:
    """A ``Cluster`` under ``root`` on a throwaway Redis and a fresh PostgreSQL schema; its
    processes stopped, the Redis server stopped and the schema dropped afterwards."""
    with RedisServer(root / "redis") as redis, postgres_schema() as schema:
        cluster = Cluster(root, redis, schema)
        try:
            yield cluster
        finally:
            cluster.close()
