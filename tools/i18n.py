"""Refresh the Chinese catalog: extract every string, merge, fill from i18n/*.tsv, compile.

    python tools/i18n.py          # extract + update + fill + compile; lists what is still untranslated
    python tools/i18n.py compile  # only compile the .mo files (what `make` does on set-up)

i18n/<domain>.tsv holds "English<TAB>中文" lines, one per msgid (use \\n for newlines);
the .po stays the catalog that ships, the .tsv files are how several people add to it at once.
"""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "app" / "translations"
PO = CATALOG / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
POT = ROOT / "instance" / "messages.pot"


def run(*args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT,
                            capture_output=True, text=True)
    if result.returncode:
        sys.exit(result.stderr)


def compile_catalog() -> None:
    run("compile", "-d", str(CATALOG), "-D", "messages")


def refresh() -> int:
    POT.parent.mkdir(exist_ok=True)
    run("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location", "-o", str(POT), ".")
    if PO.exists():
        run("update", "-i", str(POT), "-d", str(CATALOG), "-l", "zh_Hans_CN", "--no-fuzzy-matching")
    else:
        run("init", "-i", str(POT), "-d", str(CATALOG), "-l", "zh_Hans_CN")
    known: dict[str, str] = {}
    source: dict[str, str] = {}
    conflicts = 0
    for tsv in sorted((ROOT / "i18n").glob("*.tsv")):
        for line in tsv.read_text(encoding="utf-8").splitlines():
            if "\t" in line and not line.startswith("#"):
                en, zh = line.split("\t", 1)
                en, zh = en.replace("\\n", "\n"), zh.replace("\\n", "\n")
                if en in known and known[en] != zh:
                    conflicts += 1
                    print(f"conflict: {en!r}: {source[en]} says {known[en]!r}, {tsv.name} says {zh!r}")
                    continue
                known[en], source[en] = zh, tsv.name
    with PO.open("rb") as f:
        catalog = read_po(f, locale="zh_Hans_CN")
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in known:
            message.string = known[key] if isinstance(message.id, str) else (known[key],)
        if not message.string or (not isinstance(message.string, str) and not all(message.string)):
            missing.append(key)
        message.flags.discard("fuzzy")
    with PO.open("wb") as f:
        write_po(f, catalog, width=0, omit_header=False, ignore_obsolete=True)
    compile_catalog()
    for key in missing:
        print("untranslated:", key)
    return len(missing) + conflicts


if __name__ == "__main__":
    if sys.argv[1:] == ["compile"]:
        compile_catalog()
    else:
        sys.exit(1 if refresh() else 0)
