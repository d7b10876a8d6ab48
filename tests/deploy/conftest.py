"""The deployment tests' figures, printed in the summary at the end of the run (shown without -s)."""
FIGURES: list[str] = []


def report(line: str) -> None:
    """Keep a figure for the summary, and print it (seen at once with -s)."""
    FIGURES.append(line)
    print(line)


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.write_sep("=", "two Grove hosts behind nginx")
        for line in FIGURES:
            terminalreporter.write_line(line)
