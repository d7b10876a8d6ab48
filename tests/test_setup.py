"""Setting up Grove as a production host would: the commands work from any environment."""
import os
import subprocess
import sys
from pathlib import Path

from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
FLASK = [str(Path(sys.executable).with_name("flask")), "--app", "wsgi"]


def _run(args, tmp_path, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    environment.update(GROVE_INSTANCE_PATH=str(tmp_path / "instance"), **env)
    return subprocess.run(FLASK + args, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


def test_db_upgrade_with_a_secret_key_set_creates_the_instance_folder(tmp_path):
    result = _run(["db", "upgrade"], tmp_path, SECRET_KEY="set-by-the-operator")

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "instance" / "grove.db").exists()
    assert not (tmp_path / "instance" / "secret_key").exists()  # the operator's key is used


def test_db_upgrade_without_settings_generates_a_private_key(tmp_path):
    result = _run(["db", "upgrade"], tmp_path)

    assert result.returncode == 0, result.stderr
    key = tmp_path / "instance" / "secret_key"
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"


def _pins(path: Path) -> dict[str, Version]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip().rstrip("\\").strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==", 1)
            pins[name.split("[")[0].strip().lower().replace("_", "-")] = Version(version.strip())
    return pins


def test_every_package_is_locked_with_its_hash():
    for source, lock in (("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock")):
        wanted = _pins(ROOT / source)
        if source == "requirements-dev.txt":
            wanted |= _pins(ROOT / "requirements.txt")
        locked = _pins(ROOT / lock)
        assert {name: locked.get(name) for name in wanted} == wanted, f"{lock} is stale: run tools/lock.sh"
        entries = [line for line in (ROOT / lock).read_text().splitlines() if "==" in line and not line.startswith("#")]
        assert entries and all(line.rstrip().endswith("\\") for line in entries), "every locked package has hashes"
