"""The demo's printed sign-up address names the port Grove is served on (`make run PORT=5200`)."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_make_run_passes_its_address_to_seed_demo():
    plan = subprocess.run(["make", "-n", "run", "PORT=5200", "HOST=127.0.0.1"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout
    seed = next(line for line in plan.splitlines() if "seed-demo" in line)
    assert "GROVE_BASE_URL=http://127.0.0.1:5200" in seed


def test_seed_demo_prints_the_sign_up_address_with_the_given_port(runner, monkeypatch):
    monkeypatch.setenv("GROVE_BASE_URL", "http://127.0.0.1:5200/")
    first = runner.invoke(args=["seed-demo"]).output
    again = runner.invoke(args=["seed-demo", "--if-empty"]).output  # a second `make run`

    for output in (first, again):
        assert re.search(r"Open seminar sign-up page: http://127\.0\.0\.1:5200/s/\w+", output), output
        assert ":5000" not in output
