"""Nothing is ever stranded, as a property: random sequences of what people and the system do,
through HTTP on the real database, and after every step every open report has an active person
or queue that can move it (docs/ARCHITECTURE.md, section 5, step 7).

The check below is written apart from app/dispatch/stranded.py on purpose: it is the oracle.
"""
from __future__ import annotations

import io

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from app.auth.models import Role, User, UserStatus
from app.dispatch.models import WorkerPresence
from app.extensions import db
from app.geo.models import AreaWorker
from app.geo.service import set_area_workers
from app.reports.models import Report, ReportEvent
from tests.conftest import reset_state
from tests.factories import auth_headers, make_user
from tests.images import jpeg_bytes
from tests.mapdata import COMMUNITY, DISTRICT, GRID_WEST, IN_EAST, IN_WEST, OUTSIDE, load_small_map
from tests.reports.conftest import phone_photo

SEQUENCES = 20  # examples hypothesis runs (derandomized: the same ones every run)
STEPS = 15  # steps in each

# Two points 20 m apart (the second duplicates the first), one 400 m east, one off the map.
POINTS = [IN_WEST, (IN_WEST[0] + 0.00018, IN_WEST[1]), (IN_WEST[0], IN_WEST[1] + 0.0046), IN_EAST, OUTSIDE]
CATEGORIES = ["flying_lead_charging", "flying_lead_charging", "garbage"]  # duplicates come often
WORKER_POSTS = [(IN_WEST[0] + 0.0005, IN_WEST[1]), (IN_WEST[0] + 0.002, IN_WEST[1]), IN_EAST]
OPEN = {"submitted", "assigned", "accepted", "escalated", "dispatched"}
CARRYING = OPEN - {"submitted"} | {"resolved"}  # an original in these carries its followers


def stranded(app) -> list[tuple[int, str]]:
    """Open reports nobody can move, with what is wrong with each (empty: the invariant holds)."""
    with app.app_context():
        reports = {r.id: r for r in db.session.scalars(select(Report))}
        users = {u.id: u for u in db.session.scalars(select(User))}
        on_duty = set(db.session.scalars(select(WorkerPresence.user_id).where(WorkerPresence.on_duty)))
        responsible = {(code, user_id) for code, user_id in db.session.execute(
            select(AreaWorker.area_code, AreaWorker.user_id))}
        last_action = {report_id: action for report_id, action in db.session.execute(
            select(ReportEvent.report_id, ReportEvent.action).order_by(ReportEvent.id))}
        dispatchers = {u.area_code for u in users.values()
                       if u.role == Role.DISPATCHER and u.status == UserStatus.ACTIVE}

        def active(user_id: int | None, role: str) -> bool:
            user = users.get(user_id) if user_id is not None else None
            return user is not None and user.role == role and user.status == UserStatus.ACTIVE

        wrong = []
        for report in reports.values():
            status = report.status
            if status in ("assigned", "accepted") and not active(report.assigned_to_id, Role.GRID_WORKER):
                wrong.append((report.id, f"{status} held by an inactive worker"))
            elif status == "assigned" and not (
                    report.assigned_to_id in on_duty  # routed to the nearest on duty
                    or (report.area_code, report.assigned_to_id) in responsible  # queued with the grid's own
                    or last_action[report.id] == "reassign"):  # a person's choice
                wrong.append((report.id, "assigned to a worker who went off duty"))
            elif status == "dispatched" and not active(report.department_id, Role.DEPARTMENT):
                wrong.append((report.id, "dispatched to an inactive department"))
            elif status == "escalated" and report.district_code and report.district_code not in dispatchers:
                wrong.append((report.id, "escalated to a district with no dispatcher"))
            elif status == "submitted":
                original = reports.get(report.duplicate_of_id) if report.duplicate_of_id else None
                if original is None or original.status not in CARRYING or original.duplicate_of_id:
                    wrong.append((report.id, "submitted and carried by nothing"))
        return wrong


class Dispatching(RuleBasedStateMachine):
    """People and the sweep acting on reports in one community, in any order."""

    app = None  # set by the test

    @initialize()
    def world(self) -> None:
        app = self.app
        reset_state(app)
        load_small_map(app)
        self.riders = [make_user(app, Role.RIDER, area_code=COMMUNITY) for _ in range(2)]
        self.workers = [make_user(app, Role.GRID_WORKER, area_code=COMMUNITY) for _ in WORKER_POSTS]
        self.departments = [make_user(app, Role.DEPARTMENT, area_code=DISTRICT) for _ in range(2)]
        self.secretary = make_user(app, Role.SECRETARY, area_code=COMMUNITY)
        self.dispatcher = make_user(app, Role.DISPATCHER, area_code=DISTRICT)
        self.admin = make_user(app, Role.ADMIN)
        people = [*self.riders, *self.workers, *self.departments, self.secretary, self.dispatcher, self.admin]
        self.headers = {user.id: auth_headers(app, user) for user in people}
        with app.app_context():  # the last worker looks after the west grid (the fallback of step 4)
            set_area_workers(actor=db.session.get(User, self.admin.id), code=GRID_WEST,
                             user_ids=[self.workers[-1].id])
        self.client = app.test_client()
        self.reports: list[int] = []
        self.seed = 0
        for worker, post in zip(self.workers, WORKER_POSTS, strict=True):
            self._call(worker.id, "PUT", "/api/v1/me/duty", json={"on_duty": True, "lat": post[0], "lon": post[1]})

    # --- helpers ---------------------------------------------------------------------------

    def _call(self, user_id: int, method: str, path: str, **kwargs) -> int:  # type: ignore[no-untyped-def]
        response = self.client.open(path, method=method, headers=self.headers[user_id], **kwargs)
        assert response.status_code < 500, (path, response.get_json())
        return response.status_code

    def _report(self, pick: int) -> Report:
        with self.app.app_context():
            report = db.session.get(Report, self.reports[pick % len(self.reports)])
            db.session.expunge(report)
            return report

    def _act(self, user_id: int | None, report: Report, action: str, body=None) -> None:  # type: ignore[no-untyped-def]
        if user_id is not None:
            self._call(user_id, "POST", f"/api/v1/reports/{report.id}/{action}", json=body)

    def _photo(self) -> dict:
        self.seed += 1
        return {"note": "好了", "photo": [(io.BytesIO(jpeg_bytes(48, 36, seed=self.seed)), "after.jpg")]}

    # --- what people do --------------------------------------------------------------------

    @rule(point=st.sampled_from(POINTS), rider=st.integers(0, 1), category=st.sampled_from(CATEGORIES))
    def submit(self, point, rider, category) -> None:  # type: ignore[no-untyped-def]
        self.seed += 1
        form = {"category": category, "lat": str(point[0]), "lon": str(point[1]),
                "photos": [(io.BytesIO(phone_photo(seed=self.seed, at=point)), "p.jpg")]}
        response = self.client.post("/api/v1/reports", headers=self.headers[self.riders[rider].id], data=form,
                                    content_type="multipart/form-data")
        assert response.status_code == 201, response.get_json()
        self.reports.append(response.get_json()["id"])

    @precondition(lambda self: self.reports)
    @rule(pick=st.integers(0, 50), action=st.sampled_from(["reject", "accept", "decline", "escalate"]))
    def worker_acts(self, pick, action) -> None:  # type: ignore[no-untyped-def]
        report = self._report(pick)
        body = {"reason": "invalid"} if action == "reject" else None if action == "accept" else {"reason": "忙"}
        self._act(report.assigned_to_id, report, action, body)

    @precondition(lambda self: len(self.reports) > 1)
    @rule(pick=st.integers(0, 50), other=st.integers(0, 50))
    def reject_as_duplicate(self, pick, other) -> None:  # type: ignore[no-untyped-def]
        report, original = self._report(pick), self._report(other)
        actor = self.dispatcher.id if report.status == "escalated" else report.assigned_to_id
        self._act(actor, report, "reject", {"reason": "duplicate", "duplicate_of": original.id})

    @precondition(lambda self: self.reports)
    @rule(pick=st.integers(0, 50), department=st.integers(0, 1))
    def dispatch(self, pick, department) -> None:  # type: ignore[no-untyped-def]
        report = self._report(pick)
        self._act(self.dispatcher.id, report, "dispatch", {"department_id": self.departments[department].id})

    @precondition(lambda self: self.reports)
    @rule(pick=st.integers(0, 50))
    def resolve(self, pick) -> None:  # type: ignore[no-untyped-def]
        report = self._report(pick)
        actor = report.department_id if report.status == "dispatched" else report.assigned_to_id
        if actor is not None:
            self.client.post(f"/api/v1/reports/{report.id}/resolve", headers=self.headers[actor],
                             data=self._photo(), content_type="multipart/form-data")

    @precondition(lambda self: self.reports)
    @rule(pick=st.integers(0, 50))
    def evaluate(self, pick) -> None:  # type: ignore[no-untyped-def]
        report = self._report(pick)
        self._act(report.reporter_id, report, "evaluate", {"rating": 4})

    @precondition(lambda self: self.reports)
    @rule(pick=st.integers(0, 50), worker=st.integers(0, len(WORKER_POSTS) - 1), by_dispatcher=st.booleans())
    def reassign(self, pick, worker, by_dispatcher) -> None:  # type: ignore[no-untyped-def]
        report = self._report(pick)
        actor = self.dispatcher if by_dispatcher else self.secretary
        self._act(actor.id, report, "reassign", {"worker_id": self.workers[worker].id, "reason": "就近"})

    @rule(worker=st.integers(0, len(WORKER_POSTS) - 1), on=st.booleans())
    def duty(self, worker, on) -> None:  # type: ignore[no-untyped-def]
        lat, lon = WORKER_POSTS[worker]
        body = {"on_duty": True, "lat": lat, "lon": lon} if on else {"on_duty": False}
        self._call(self.workers[worker].id, "PUT", "/api/v1/me/duty", json=body)

    @rule(person=st.integers(0, len(WORKER_POSTS) + 1), enable=st.booleans())
    def account(self, person, enable) -> None:  # type: ignore[no-untyped-def]
        user = [*self.workers, *self.departments][person]
        self._call(self.admin.id, "POST", f"/api/v1/users/{user.id}/{'enable' if enable else 'disable'}")

    @rule()
    def sweep(self) -> None:
        result = self.app.test_cli_runner().invoke(args=["sla", "sweep"])
        assert result.exit_code == 0, result.output
        # Every step keeps the invariant, so the sweep never finds anything to repair.
        assert result.output.strip().endswith("repaired 0"), result.output

    @invariant()
    def nothing_is_stranded(self) -> None:
        assert stranded(self.app) == []


def test_nothing_is_ever_stranded(app):
    machine = type("DispatchingHere", (Dispatching,), {"app": app})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=SEQUENCES, stateful_step_count=STEPS, derandomize=True, deadline=None,
        database=None, suppress_health_check=list(HealthCheck), print_blob=False))
