"""Every hx-trigger in the templates parses as htmx 2 reads it: a `from:` selector with a space in
it is wrapped in parentheses (`from:(.filters select)`), else htmx reads the second word as a
modifier and logs `htmx:syntax:error` on every page load."""
import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MODIFIERS = re.compile(r"^(changed|once|consume|(delay|throttle|queue|target):\S+)$")
RELATIVE = ("closest", "find", "next", "previous")


def _bad_from_clauses(trigger: str) -> list[str]:
    bad = []
    for clause in trigger.split(","):
        words = clause.split()
        for i, word in enumerate(words):
            if not word.startswith("from:") or word.startswith("from:("):
                continue
            rest = words[i + 1:]
            if word[len("from:"):] in RELATIVE:
                rest = rest[1:]  # "from:closest form": the next word is the selector
            if any(not MODIFIERS.match(w) for w in rest):
                bad.append(clause.strip())
    return bad


def test_from_selectors_with_spaces_are_in_parentheses():
    problems = {}
    for path in TEMPLATES.rglob("*.html"):
        for trigger in re.findall(r'hx-trigger="([^"]*)"', path.read_text(encoding="utf-8")):
            if bad := _bad_from_clauses(trigger):
                problems[str(path.relative_to(TEMPLATES))] = bad
    assert problems == {}


def test_the_checker_knows_the_difference():
    assert _bad_from_clauses("change from:.filters select, submit") == ["change from:.filters select"]
    assert _bad_from_clauses("change from:(.filters select), submit") == []
    assert _bad_from_clauses("input changed delay:300ms from:find input[type=search], change") == []
    assert _bad_from_clauses("change from:closest form delay:200ms") == []
