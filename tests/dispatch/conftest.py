from tests.geo.conftest import demo_map  # noqa: F401
from tests.reports.conftest import mapped, put_on_duty, rider, rider_headers, staff, submit  # noqa: F401
