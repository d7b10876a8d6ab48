"""Grove hosts and nginx started from the deployment guide's own files (deploy/), on loopback.

The systemd units' ExecStart lines, the example environment file and the nginx site are read from
deploy/ and only the machine-specific parts are put in: this checkout for /srv/grove, free
loopback ports for the hosts' and nginx's addresses, a test database, Redis db and mail sink.
"""
import http.client
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis

from tests.seminars.gunicorn_server import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CHECKOUT = "/srv/grove"           # where the guide's files expect Grove
ENV_FILE = "/etc/grove/grove.env"  # where the units read the environment


def unit(name: str) -> dict[str, dict[str, str]]:
    """A systemd unit file of deploy/systemd as {section: {key: value}} (one value per key)."""
    sections: dict[str, dict[str, str]] = {}
    current = None
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _eq, value = line.partition("=")
        current[key.strip()] = value.strip()
    return sections


EXAMPLE_ENV = DEPLOY / "grove.env.example"


def environment_file(path: Path = EXAMPLE_ENV) -> dict[str, str]:
    """An environment file (deploy/grove.env.example) as systemd's EnvironmentFile= reads it."""
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _eq, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def write_environment_file(path: Path, values: dict[str, str]) -> None:
    """The example environment file with these values in place of its own (each one it names)."""
    text = EXAMPLE_ENV.read_text()
    for key, value in values.items():
        text, found = re.subn(rf"^{key}=.*$", lambda _m, k=key, v=value: f"{k}={v}", text, flags=re.M)
        assert found == 1, f"{key} is not in {EXAMPLE_ENV.name}"
    path.write_text(text)


def command(unit_name: str, **options: str) -> list[str]:
    """A unit's ExecStart as an argument list, run from this checkout's virtual environment;
    `options` replace the values of its --options (``access_logfile="..."`` for --access-logfile)."""
    service = unit(unit_name)["Service"]
    assert service["WorkingDirectory"] == CHECKOUT and service["EnvironmentFile"] == ENV_FILE, service
    args = shlex.split(service["ExecStart"])
    program = Path(args[0])
    assert program.parent == Path(CHECKOUT, ".venv", "bin"), args[0]
    args[0] = str(Path(sys.executable).with_name(program.name))
    for option, value in options.items():
        flag = "--" + option.replace("_", "-")
        assert flag in args, (flag, args)
        args[args.index(flag) + 1] = value
    return args


def site(nginx_port: int, host_ports: list[int]) -> str:
    """deploy/nginx/grove.conf with loopback addresses: nginx on `nginx_port`, the upstream's
    servers on `host_ports` (as many as the site names), static files from this checkout."""
    text = (DEPLOY / "nginx" / "grove.conf").read_text()
    servers = re.findall(r"^(\s*server\s+)(\S+)(.*;)$", text, flags=re.M)
    assert len(servers) == len(host_ports), servers
    for (indent, address, rest), port in zip(servers, host_ports, strict=True):
        text = text.replace(f"{indent}{address}{rest}", f"{indent}127.0.0.1:{port}{rest}", 1)
    text, listens = re.subn(r"^(\s*)listen 80;$", rf"\g<1>listen 127.0.0.1:{nginx_port};", text, count=1, flags=re.M)
    text, listens6 = re.subn(r"^\s*listen \[::\]:80;\n", "", text, count=1, flags=re.M)
    assert listens == listens6 == 1
    text = text.replace(f"{CHECKOUT}/", f"{ROOT}/")
    live = "\n".join(line for line in text.splitlines() if not line.strip().startswith("#"))
    # Nothing but loopback: every address nginx would connect to or listen on is 127.0.0.1.
    assert set(re.findall(r"\b\d+\.\d+\.\d+\.\d+\b", live)) == {"127.0.0.1"}, live
    return text


def wait_for_http(port: int, path: str, proc: subprocess.Popen, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.2)


# What systemd does for a socket-activated service: the listening socket as fd 3, LISTEN_FDS=1 and
# LISTEN_PID set to the pid that then runs gunicorn.
SOCKET_ACTIVATION = ("import os, sys; os.dup2(int(sys.argv[1]), 3); os.environ.update(LISTEN_FDS='1', "
                     "LISTEN_PID=str(os.getpid())); os.execv(sys.argv[2], sys.argv[2:])")


class Host:
    """One Grove host: gunicorn as grove.service starts it, on a socket held as grove.socket holds
    it (here by the test), with its own instance folder."""

    def __init__(self, name: str, folder: Path, values: dict[str, str], workers: int):
        """`values` go into the host's copy of the example environment file, /etc/grove/grove.env."""
        self.name = name
        self.folder = folder
        self.env_file = folder / "grove.env"
        write_environment_file(self.env_file, {**values, "GROVE_INSTANCE_PATH": str(folder / "instance")})
        self.access_log = folder / "access.log"
        address = unit("grove.socket")["Socket"]["ListenStream"]
        assert address.startswith("127.0.0.1:"), address  # the test keeps the host, and its port is free
        self.socket = socket.create_server(("127.0.0.1", 0), backlog=int(unit("grove.socket")["Socket"]["Backlog"]))
        self.port = self.socket.getsockname()[1]
        # systemd starts a unit with a few variables of its own and those of its EnvironmentFile.
        self.env = {**{k: os.environ[k] for k in ("PATH", "LANG", "TMPDIR") if k in os.environ},
                    "HOME": str(folder), **environment_file(self.env_file)}
        self.workers = workers
        self.proc: subprocess.Popen | None = None

    def service(self, unit_name: str) -> subprocess.Popen:
        """Start a one-shot unit's command on this host, as its timer would."""
        return self._popen(command(unit_name))

    def shell(self, command: str) -> subprocess.Popen:
        """A command as the guide has an operator type it in /srv/grove: the environment from the
        host's grove.env read by the shell (`set -a; . /etc/grove/grove.env`)."""
        venv = str(Path(sys.executable).parent)
        script = f"set -a; . {shlex.quote(str(self.env_file))}; set +a; exec {command.replace('.venv/bin', venv)}"
        base = {k: v for k, v in self.env.items() if k in ("PATH", "LANG", "TMPDIR", "HOME")}
        return subprocess.Popen(["sh", "-c", script], cwd=ROOT, env=base, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def _popen(self, args: list[str]) -> subprocess.Popen:
        return subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    def start(self) -> None:
        """`systemctl start grove`."""
        # A test machine has two cores for two hosts: fewer workers than the unit's, same options.
        args = command("grove.service", workers=str(self.workers), access_logfile=str(self.access_log))
        fd = self.socket.fileno()
        with open(self.folder / "gunicorn.log", "a") as log:  # gunicorn keeps its own copy of the file
            self.proc = subprocess.Popen([sys.executable, "-c", SOCKET_ACTIVATION, str(fd), *args], pass_fds=(fd,),
                                         cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def wait(self) -> None:
        wait_for_http(self.port, "/healthz", self.proc, f"host {self.name}")

    def reload(self) -> None:
        """`systemctl reload grove` (ExecReload: HUP): new workers with the code on disk, old ones finish."""
        self.proc.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        """`systemctl stop grove`: SIGTERM to gunicorn, which finishes the requests under way and goes."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(45)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def close(self) -> None:
        """At the end: gunicorn and its workers killed at once (their process group), the socket closed."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.socket.close()

    def requests(self, pattern: str) -> int:
        """How many requests of the access log match `pattern` ("POST /s/abc")."""
        if not self.access_log.exists():
            return 0
        return sum(f'"{pattern} ' in line for line in self.access_log.read_text().splitlines())

    def workers_pids(self) -> set[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True, text=True)
        return {int(pid) for pid in out.stdout.split()}


def claim_redis_db() -> redis.Redis | None:
    """An empty database of the loopback Redis, claimed with a key so that no other test run takes
    it too (pytest-xdist workers, a second run); None when no Redis answers. Flush it at the end."""
    for number in range(15, 0, -1):
        client = redis.Redis(host="127.0.0.1", port=6379, db=number, socket_connect_timeout=2)
        try:
            if client.dbsize() == 0 and client.set("grove-test-claim", os.getpid(), nx=True):
                return client
        except redis.ConnectionError:
            return None
    raise RuntimeError("every database of the loopback Redis holds keys")


def nginx_binary() -> str | None:
    return shutil.which("nginx", path=os.environ.get("PATH", "") + os.pathsep + "/usr/sbin")


class Nginx:
    """Debian's nginx with a configuration of its own: the guide's site in a minimal http block."""

    def __init__(self, folder: Path, host_ports: list[int]):
        self.folder = folder
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "grove.conf").write_text(site(self.port, host_ports))
        user = "user root root;\n" if os.geteuid() == 0 else ""  # workers read the checkout and write here
        mime = "include /etc/nginx/mime.types;\n" if Path("/etc/nginx/mime.types").exists() else ""
        temp = "".join(f"    {kind}_temp_path {folder / kind};\n" for kind in
                       ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (folder / "nginx.conf").write_text(
            f"{user}worker_processes 2;\nerror_log {folder / 'error.log'} warn;\n"
            "events { worker_connections 2048; }\n"
            "http {\n"
            f"    {mime}    default_type application/octet-stream;\n"
            f"    access_log {folder / 'access.log'};\n{temp}"
            f"    include {folder / 'grove.conf'};\n"
            "}\n")
        self.binary = nginx_binary()
        self.args = [self.binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")]
        self.proc: subprocess.Popen | None = None

    def check(self) -> str:
        """`nginx -t` on the generated configuration."""
        done = subprocess.run(self.args + ["-t", "-g", f"pid {self.folder / 'nginx.pid'};"],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stderr

    def start(self) -> None:
        with open(self.folder / "stderr.log", "a") as log:
            self.proc = subprocess.Popen(self.args + ["-g", f"daemon off; pid {self.folder / 'nginx.pid'};"],
                                         stdout=log, stderr=subprocess.STDOUT)
        wait_for_http(self.port, "/static/favicon.svg", self.proc, "nginx", seconds=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: finish the requests under way
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
