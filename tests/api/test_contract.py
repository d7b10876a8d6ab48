"""The API against its own OpenAPI document, by schemathesis through the WSGI app: whatever
filters it generates, no answer is a 500 and every answer conforms to the document (status,
content type, body). Kept small (a few examples per operation) so that it runs in seconds.

Each operation's cases come from schemathesis as a Hypothesis strategy (its pytest plugin's
fixture loader does not run under this pytest). A cursor is opaque: the document cannot say
which strings are cursors a list handed out, so a generated one is rightly a 400 and the check
that every schema-valid request succeeds is left out."""
from itertools import product

import schemathesis
from flask import current_app, g
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.api import tokens
from app.extensions import db

EXAMPLES = 25


def test_the_api_keeps_its_document(world):
    _token, secret = tokens.create_token(world["Wenzhou"]["owner"], "contract test")
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", current_app._get_current_object())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 9

    # Valid filters, then invalid ones (which must be a documented 4xx, never a 500).
    for mode, operation in product(schemathesis.GenerationMode, operations):
        @given(case=operation.as_strategy(mode))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            for key in list(vars(g)):  # each request starts with an empty `g`, as on a real server
                g.pop(key)
            case.call_and_validate(headers={"Authorization": f"Bearer {secret}"},
                                   excluded_checks=[positive_data_acceptance])
        check()
