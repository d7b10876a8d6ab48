"""Every benchmark of `make bench` in one run, on SQLite and PostgreSQL, as one table.

    .venv/bin/python benchmarks/bench_all.py                          # what `make bench` runs
    .venv/bin/python benchmarks/bench_all.py --postgres postgresql://postgres@127.0.0.1/postgres
    .venv/bin/python benchmarks/bench_all.py --no-postgres --no-signup --only visits --runs 10

Runs, each in its own process:

1. benchmarks/bench_signup.py --json on SQLite and on PostgreSQL: the public sign-up page against
   a bare Flask route (rates, their ratio, server CPU per request), whole sign-ups one after the
   other, and a burst of sign-ups for a few seats.
2. benchmarks/bench_pages.py --json on SQLite (with --compare, the query counts at a small size
   too) and on PostgreSQL: every staff page at the size of a large region (20,000 companies),
   median and p95 wall time, CPU and SQL queries.

PostgreSQL is the server of --postgres, else of $TEST_DATABASE_URL, else postgresql://postgres@
127.0.0.1/postgres; each benchmark makes a throwaway database there and drops it. If the server
does not answer, the PostgreSQL columns say so and the rest runs. The table is printed and written
as Markdown to benchmarks/results/bench.md (for the README); a page over its limit (p95 over 50 ms,
the printable week schedule over 100 ms) is flagged, as is a page whose query count differs between
the two sizes. Wall times move with whatever else the machine runs: compare CPU ("cpu ms" in the
JSON files beside bench.md) when it is busy.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1/postgres"
LIMIT_MS = 50
# Pages allowed more than LIMIT_MS at p95: the printable schedule of a busy week (480 visits).
LIMITS_MS = {"visits.schedule": 100}
BACKENDS = (("sqlite", "SQLite"), ("postgresql", "PostgreSQL"))
MISSING = "—"


def server_of(args) -> str | None:
    """The PostgreSQL server to use, or None (and why) when none answers."""
    if args.no_postgres:
        return None
    url = args.postgres or os.environ.get("TEST_DATABASE_URL") or DEFAULT_SERVER
    import sqlalchemy as sa
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                              connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return url
    except Exception as error:  # any failure to connect means: skip PostgreSQL, say why
        print(f"PostgreSQL skipped: {url} does not answer ({type(error).__name__})", file=sys.stderr)
        return None
    finally:
        engine.dispose()


def run(label: str, command: list[str]) -> bool:
    print(f"\n== {label}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT)
    print(f"== {label}: {'done' if done.returncode == 0 else f'exit status {done.returncode}'} "
          f"in {time.perf_counter() - started:.0f} s", flush=True)
    return done.returncode == 0


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def number(value, fmt: str = ",.1f") -> str:
    return MISSING if not isinstance(value, int | float) else format(value, fmt)


def signup_rows(signup: dict) -> list[tuple[str, dict]]:
    """The public page's figures as table rows: {backend: (median cell, p95 cell, queries cell)}."""
    def cells(build):
        return {backend: build(signup.get(backend) or {}) for backend, _ in BACKENDS}

    def rate(s):
        ratio = number(s.get("ratio"), ".2f")
        return (f"{number(s.get('page_rate'), ',.0f')} / {number(s.get('bare_rate'), ',.0f')} req/s = {ratio}", "", "")

    def cpu(s):
        return (f"{number(s.get('page_cpu_ms'), '.2f')} / {number(s.get('bare_cpu_ms'), '.2f')}", "",
                number(s.get("page_queries"), "d"))

    def times(s):
        if not s.get("page_cpu_ms") or not s.get("bare_cpu_ms"):
            return ("", "", "")
        return (f"{s['page_cpu_ms'] / s['bare_cpu_ms']:.1f} ×", "", "")

    def signup_ms(s):
        return (number(s.get("signup_median_ms")), number(s.get("signup_p95_ms")), "")

    def burst(s):
        seats = number(s.get("burst_capacity"), "d")
        runs = ", ".join(f"{r:.0f}" for r in s.get("burst_rates", ()))
        return (f"{number(s.get('burst_per_s'), ',.0f')} sign-ups/s (median of {runs}): "
                f"{number(s.get('burst_confirmed'), 'd')} confirmed of {seats} seats, "
                f"{number(s.get('burst_waiting'), 'd')} waiting, each time", "", "")

    return [("Public sign-up page / bare Flask route: rate, ratio", cells(rate)),
            ("Public sign-up page / bare route: server CPU ms per request; page queries", cells(cpu)),
            ("… the page's server CPU against the bare route's", cells(times)),
            ("Whole sign-up (page, POST, registration page), ms", cells(signup_ms)),
            ("Burst of sign-ups at once", cells(burst))]


def page_rows(pages: dict) -> tuple[list[tuple[str, dict]], list[str]]:
    """Every page as a table row, flagged when over its limit or when its query count grows with the data."""
    labels: list[str] = []
    by_backend = {}
    for backend, _ in BACKENDS:
        figures = pages.get(backend) or {}
        small = {p["page"]: p.get("queries") for p in (figures.get("compared_with") or {}).get("pages", [])}
        by_backend[backend] = ({p["page"]: p for p in figures.get("pages", [])}, small)
        labels += [p["page"] for p in figures.get("pages", []) if p["page"] not in labels]
    rows, over = [], []
    for label in labels:
        cells = {}
        for backend, name in BACKENDS:
            found, small = by_backend[backend]
            page = found.get(label)
            if page is None:
                cells[backend] = (MISSING, MISSING, MISSING)
            elif "skipped" in page:
                cells[backend] = (f"answered {page['skipped']}", "", "")
            else:
                p95 = page["p95_ms"]
                flag = ""
                if p95 > LIMITS_MS.get(label, LIMIT_MS):
                    flag = " ⚠"
                    over.append(f"{label} ({name} p95 {p95:.1f} ms)")
                queries = f"{page['queries']}"
                if small.get(label) not in (None, page["queries"]):
                    queries += f" ⚠ ({small[label]} when small)"
                cells[backend] = (number(page["median_ms"]), number(p95) + flag, queries)
        rows.append((label, cells))
    return rows, over


def load_average() -> str:
    """The machine's load (1, 5, 15 minutes) against its cores: a run on a busy machine shows it."""
    return f"{', '.join(f'{value:.2f}' for value in os.getloadavg())} on {os.cpu_count()} cores"


def table(signup: dict, pages: dict, server: str | None, load: str = "") -> tuple[str, list[str]]:
    """The Markdown table (it reads as plain text too) and the pages over their limit."""
    sizes = next((pages[b].get("sizes") for b, _ in BACKENDS if pages.get(b)), {}) or {}
    runs = next((pages[b].get("runs") for b, _ in BACKENDS if pages.get(b)), None)
    rows, over = page_rows(pages)
    pg = "PostgreSQL" if server else "PostgreSQL (skipped: no server answered)"
    lines = [f"| | SQLite median ms | p95 ms | queries | {pg} median ms | p95 ms | queries |",
             "|---|--:|--:|--:|--:|--:|--:|"]
    for label, cells in signup_rows(signup) + [("**Staff pages**", {})] + rows:
        values = [v for backend, _ in BACKENDS for v in cells.get(backend, ("", "", ""))]
        lines.append("| " + " | ".join([label.replace("|", "/"), *values]) + " |")
    heading = (f"Grove `make bench`, {time.strftime('%Y-%m-%d %H:%M')}: staff pages at "
               f"{number(sizes.get('companies'), ',d')} companies, {number(runs, 'd')} requests a page "
               f"(⚠ p95 over {LIMIT_MS} ms, the printable week schedule over {LIMITS_MS['visits.schedule']} ms; "
               f"a query count that differs at a small size). Public page: gunicorn sync workers, "
               f"server CPU per request from /proc.{' ' + load if load else ''}")
    return heading + "\n\n" + "\n".join(lines) + "\n", over


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="URL", help=f"PostgreSQL server (default $TEST_DATABASE_URL, "
                        f"else {DEFAULT_SERVER} if it answers)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--runs", type=int, default=30, help="requests per staff page (default 30)")
    parser.add_argument("--companies", type=int, default=20_000, help="size of the region (default 20,000)")
    parser.add_argument("--compare", type=int, default=1000, metavar="N",
                        help="also count each page's queries at N companies (default 1,000; 0: no)")
    parser.add_argument("--only", metavar="TEXT", help="only the staff pages whose label contains TEXT")
    parser.add_argument("--no-signup", action="store_true", help="skip the public page's benchmark")
    parser.add_argument("--no-pages", action="store_true", help="skip the staff pages' benchmark")
    parser.add_argument("--signup-seconds", type=float, default=10, help="seconds of each rate phase (default 10)")
    args = parser.parse_args()

    RESULTS.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    server = server_of(args)
    started, load_before = time.perf_counter(), load_average()
    signup: dict = {}
    if not args.no_signup:
        for backend, name in BACKENDS:
            if backend == "postgresql" and not server:
                continue
            path = RESULTS / f"signup-{backend}.json"
            path.unlink(missing_ok=True)
            command = [python, "benchmarks/bench_signup.py", "--seconds", f"{args.signup_seconds:g}", "--json", str(path)]
            if backend == "postgresql":
                command += ["--postgres", server]
            run(f"public sign-up page, {name}", command)
            signup[backend] = read_json(path)
    pages: dict = {}
    if not args.no_pages:
        common = ["--runs", str(args.runs), "--companies", str(args.companies)]
        if args.only:
            common += ["--only", args.only]
        for backend, name in BACKENDS:
            if backend == "postgresql" and not server:
                continue
            path = RESULTS / f"pages-{backend}.json"
            path.unlink(missing_ok=True)
            command = [python, "benchmarks/bench_pages.py", *common, "--json", str(path)]
            if backend == "sqlite" and args.compare:
                command += ["--compare", str(args.compare)]
            if backend == "postgresql":
                command += ["--no-sqlite", "--postgres", server]
            run(f"staff pages, {name}", command)
            pages.update(read_json(path))
    # Wall times and CPU move with whatever else runs (the bare route's CPU says how fast the machine
    # is): the load before the run says whether something else did (after it, it is the run's own).
    load = f"Load average (1, 5, 15 min) before the run: {load_before}."
    text, over = table(signup, pages, server, load)
    (RESULTS / "bench.md").write_text(text)
    print("\n" + text)
    print(f"Written to {(RESULTS / 'bench.md').relative_to(ROOT)} in {time.perf_counter() - started:.0f} s.")
    print(f"Over the limit ({len(over)}):\n  " + "\n  ".join(over) if over else "Every page within its limit.")


if __name__ == "__main__":
    main()
