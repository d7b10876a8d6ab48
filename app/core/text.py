"""Text that leaves Grove inside a file format: ICS TEXT values and e-mail header values.

A title, company name or place is typed by people (and by visitors on the public sign-up),
so it may hold line breaks and other control characters. icalendar escapes `, ; \\` and line
breaks, but a one-line property (SUMMARY, LOCATION) should stay one line in every calendar,
and no CONTROL character other than a tab is valid TEXT (RFC 5545 3.3.11). An e-mail header
with a CR or LF would end the header (Python refuses to write it); other controls are junk.
"""
import re

_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")
# C0 and C1 controls and DEL; tab and line breaks are dealt with on their own.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")


def one_line(value) -> str:
    """Line breaks and tabs become one space each run, other control characters go, ends trimmed."""
    text = _CONTROLS.sub("", "" if value is None else str(value))
    return re.sub(r"[ \t]*(?:" + _LINE_BREAKS.pattern + r"|\t)[ \t]*", " ", text).strip()


def ics_text(value, *, multiline: bool = False) -> str:
    """A value for an ICS TEXT property: one line (SUMMARY, LOCATION), or lines joined by LF
    for a DESCRIPTION, which icalendar writes as `\\n`."""
    if not multiline:
        return one_line(value)
    text = _CONTROLS.sub("", "" if value is None else str(value))
    return _LINE_BREAKS.sub("\n", text).strip()


def header_text(value) -> str:
    """A value for an e-mail header (subject, display name, address): one line, no controls."""
    return one_line(value)


def ics_summary(value) -> str:
    """A calendar file as a person reads it in a log: what and when, not its raw lines."""
    text = "" if value is None else str(value)
    found = dict(re.findall(r"^(SUMMARY|DTSTART)(?:;[^:\r\n]*)?:(.*?)\r?$", text, flags=re.MULTILINE)[:2])
    what = found.get("SUMMARY", "").replace("\\,", ",").replace("\\;", ";").strip()
    when = found.get("DTSTART", "").strip()
    if when[:8].isdigit():
        when = f"{when[:4]}-{when[4:6]}-{when[6:8]}" + (f" {when[9:11]}:{when[11:13]}" if len(when) >= 13 else "")
    return " · ".join(p for p in ("ICS", what, when) if p)


def first_line(value, limit: int = 120) -> str:
    """The start of a long text (an e-mail's body in a log), with how long it is."""
    text = "" if value is None else str(value).strip()
    head = one_line(text.splitlines()[0] if text else "")
    if len(head) > limit:
        head = head[:limit]
    return head + (f" … ({len(text)})" if len(head) < len(text) else "")
