"""Property-based: whatever a client sends to any endpoint, the server answers, it never fails.

schemathesis generates requests from our own OpenAPI document (valid and nearly valid ones),
derandomized so that every run sends the same requests; each request is sent by one user of
each role, since most endpoints turn a wrong role away before looking at the input.
"""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from app.auth.models import Role
from tests.factories import auth_headers, make_user
from tests.mapdata import COMMUNITY, DISTRICT, load_small_map

# The stream holds a connection open; logout would revoke the token the rest of the run uses.
SKIPPED_PATHS = r"/notifications/stream|/auth/logout"
ROLES = (Role.ADMIN, Role.RIDER, Role.GRID_WORKER, Role.SECRETARY, Role.DISPATCHER)
FUZZ = settings(max_examples=20, derandomize=True, deadline=None, database=None,
                phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def test_no_request_makes_the_server_fail(app):
    load_small_map(app)
    home = {Role.DISPATCHER: DISTRICT, Role.ADMIN: None}
    bearers = [auth_headers(app, make_user(app, role, area_code=home.get(role, COMMUNITY))) for role in ROLES]
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app).exclude(path_regex=SKIPPED_PATHS)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) > 35

    for operation in operations:
        @FUZZ
        @given(case=operation.as_strategy())
        def no_server_error(case):  # type: ignore[no-untyped-def]
            for bearer in bearers:
                case.validate_response(case.call(headers=bearer), checks=[not_a_server_error])

        no_server_error()
