"""Generated values posted to every form of Grove (Hypothesis): no answer is a 5xx, and a
refused form (4xx) has changed nothing.

Each write route of the URL map gets its own form fields (as tests/test_robustness.py finds
them) filled with values drawn from text, numbers as people and programs write them (NaN,
Infinity, 1e999, 1,50), dates, CR/LF header injections, formula leads and markup.
GROVE_FUZZ_EXAMPLES sets the examples per form: 50 in the test command, 500 for a slower run
(see README, Tests).
"""
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from tests.test_robustness import (
    RULES,
    _audit_count,
    _fields_of,
    open_rule,
    worlds,
)

EXAMPLES = int(os.environ.get("GROVE_FUZZ_EXAMPLES", "50"))
# Signing out would leave the remaining examples at the sign-in page.
SKIP = {"auth.logout"}
POST_RULES = [rule for rule in RULES if rule.values[1] == "POST" and rule.values[0] not in SKIP]

TRICKY = ["NaN", "nan", "Infinity", "-Infinity", "1e999", "1,50", "1,5000", "1,500.00", "1 500", "¥1500", "-1", "0",
          "00", str(2**31), str(2**63), "9" * 40, "2026-02-30", "2026-12-01T14:00", "2026-12-01", "25:61", "\r\n",
          "x\r\nBcc: victim@example.com", "=1+1", "＝HYPERLINK(\"http://x\")", "@SUM(A1)", "None", "null", "true",
          "on", "<script>alert(1)</script>", "' OR 1=1 --", "{{ 7*7 }}", "🌲" * 30, " ", "\t", "\u202e", "y", "1"]
VALUES = st.one_of(
    st.sampled_from(TRICKY),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


@pytest.mark.parametrize("endpoint, method, arguments, choices", POST_RULES)
def test_generated_forms_never_answer_500(app, client, login_as, worlds, endpoint, method, arguments, choices):
    home, _other = worlds
    url = open_rule(app, client, login_as, home, endpoint, arguments, choices)
    fields = _fields_of(app, endpoint)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({}, optional=dict.fromkeys(fields, VALUES)))
    def post(data):
        before = _audit_count()
        response = client.post(url, data=data)
        assert response.status_code < 500, (endpoint, data, response.status_code)
        if 400 <= response.status_code < 500:
            assert _audit_count() == before, (endpoint, "refused but wrote", data)
        db.session.rollback()

    post()
