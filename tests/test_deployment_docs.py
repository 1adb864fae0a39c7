"""docs/deployment.md says what the code accepts: its ``.env`` examples are valid settings, its
systemd units run commands that exist, and nginx takes the uploads the app takes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from invoice_extractor.cli import build_parser
from invoice_extractor.settings import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "deployment.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("number", range(len(_blocks("env"))))
def test_every_env_example_is_valid(number: int, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(_blocks("env")[number], encoding="utf-8")
    Settings.from_env(environ={}, env_file=env_file)  # ConfigurationError on any bad line


def test_the_several_machines_env_sets_the_shared_services(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(_blocks("env")[-1], encoding="utf-8")
    settings = Settings.from_env(environ={}, env_file=env_file)
    assert settings.database_url and settings.database_url.startswith("postgresql+psycopg://")
    assert settings.queue_url and settings.queue_url.startswith("redis://")
    assert settings.redis_url and settings.redis_url != settings.queue_url
    assert settings.secret_key and not settings.flask_debug and settings.secure_cookies


def test_the_systemd_units_run_existing_commands() -> None:
    commands = [
        shlex.split(line.split("=", 1)[1])
        for unit in _blocks("ini")
        for line in unit.splitlines()
        if line.startswith("ExecStart=")
    ]
    workers = [c for c in commands if Path(c[0]).name == "invoice-extractor"]
    assert [c[1:] for c in workers] == [["worker"]]
    build_parser().parse_args(workers[0][1:])
    assert any(Path(c[0]).name == "gunicorn" and c[-1] == "app:app" for c in commands)


def test_nginx_takes_50_mb_and_waits_300_s() -> None:
    (nginx,) = _blocks("nginx")
    assert "client_max_body_size 50M;" in nginx
    for timeout in ("proxy_connect_timeout", "proxy_send_timeout", "proxy_read_timeout"):
        assert f"{timeout} 300s;" in nginx
    assert Settings().max_upload_mb == 50
