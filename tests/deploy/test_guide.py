"""The deployment guide's files (deploy/) hold together: every variable of the environment file is
one Grove reads, every unit runs a command Grove has, systemd and nginx accept them. The two-host
test (test_hosts.py) runs them; these checks run everywhere, without PostgreSQL or Redis."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.hosts import (
    CHECKOUT,
    DEPLOY,
    ENV_FILE,
    ROOT,
    Nginx,
    command,
    environment_file,
    nginx_binary,
    site,
    unit,
)

UNITS = sorted(p.name for p in (DEPLOY / "systemd").iterdir())
SERVICES = [name for name in UNITS if name.endswith(".service")]


def test_every_variable_of_the_environment_file_is_one_grove_reads():
    config = (ROOT / "app" / "config.py").read_text()
    read = set(re.findall(r"""os\.environ\.get\(\s*["']([A-Z_]+)["']""", config))
    assert set(environment_file()) <= read, set(environment_file()) - read


def test_the_web_server_runs_on_the_socket_systemd_holds():
    service, socket = unit("grove.service"), unit("grove.socket")
    assert service["Unit"]["Requires"] == "grove.socket" and "grove.socket" in service["Unit"]["After"]
    assert "--bind" not in command("grove.service")  # the address is the socket's
    assert socket["Socket"]["ListenStream"].endswith(":8000") and socket["Install"]["WantedBy"] == "sockets.target"
    assert service["Service"]["ExecReload"] == "/bin/kill -s HUP $MAINPID"


def test_a_shell_reads_the_environment_file_as_systemd_does(tmp_path):
    shown = subprocess.run(["sh", "-c", f"set -a; . {DEPLOY / 'grove.env.example'}; set +a; env -0"],
                           env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=True).stdout
    from_shell = dict(item.split("=", 1) for item in shown.split("\0") if "=" in item)
    assert {key: from_shell.get(key) for key in environment_file()} == environment_file()


def test_every_timer_starts_a_service_of_the_guide():
    timers = [name for name in UNITS if name.endswith(".timer")]
    assert {t.removesuffix(".timer") for t in timers} == {"grove-outbox", "grove-reminders"}
    assert "Install" not in unit("grove-migrate.service")  # started by hand, once per upgrade
    for timer in timers:
        assert timer.replace(".timer", ".service") in SERVICES
        assert unit(timer)["Install"]["WantedBy"] == "timers.target"


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_runs_a_command_grove_has_with_the_guides_environment(name, app):
    service = unit(name)["Service"]
    assert service["EnvironmentFile"] == ENV_FILE and service["WorkingDirectory"] == CHECKOUT
    assert service["User"] == "grove" and service["ReadWritePaths"] == environment_file()["GROVE_INSTANCE_PATH"]
    args = command(name)
    assert Path(args[0]).exists(), args[0]
    if Path(args[0]).name == "flask":
        assert args[1:3] == ["--app", "wsgi"]
        assert args[3] in app.cli.commands, args[3]
    else:
        assert args[-1] == "wsgi:app"


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed: `make test` installs Debian's systemd package")
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text().replace(CHECKOUT, str(ROOT))
        text = text.replace(f"{ROOT}/.venv/bin/", f"{Path(command('grove.service')[0]).parent}/")
        (tmp_path / name).write_text(text)
    done = subprocess.run([analyze, "verify", *[str(tmp_path / name) for name in UNITS]],
                          capture_output=True, text=True)
    assert done.returncode == 0 and not (done.stdout + done.stderr).strip(), done.stdout + done.stderr


def test_the_nginx_site_on_loopback_names_only_loopback_addresses():
    text = site(8080, [8001, 8002])
    assert "server 127.0.0.1:8001 max_fails" in text and "server 127.0.0.1:8002 max_fails" in text
    assert "listen 127.0.0.1:8080;" in text and f"alias {ROOT}/static/;" in text


def test_nginx_accepts_the_site(tmp_path):
    if not nginx_binary():
        pytest.skip("nginx is not installed (`make test` installs it when TEST_DATABASE_URL is set)")
    assert "syntax is ok" in Nginx(tmp_path, [8001, 8002]).check()
