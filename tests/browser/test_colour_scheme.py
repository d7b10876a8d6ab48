"""Grove is a light theme, also for a browser whose system asks for dark: Pico would switch its text
to light grey while Grove keeps its light backgrounds (1.7:1 on the manager's home)."""
import pytest

COLOURS = """() => [document.body, document.querySelector('main h1'), document.querySelector('.site-header a')]
  .filter(Boolean).map(e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor])"""


@pytest.mark.parametrize("role, path", [(None, "/login"), ("manager", "/")])
def test_a_dark_system_gets_the_same_colours_as_a_light_one(new_page, login, make_user, role, path):
    user = make_user(role) if role else None
    seen = {}
    for scheme in ("light", "dark"):
        page = new_page()
        page.emulate_media(color_scheme=scheme)
        if user:
            login(page, user)
        page.goto(path)
        seen[scheme] = page.evaluate(COLOURS)
    assert seen["light"], "nothing measured"
    assert seen["dark"] == seen["light"]
