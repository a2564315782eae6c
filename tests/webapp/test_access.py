"""Access matrix: every route × every role × own and other township → the expected status.

Also: signed-out users reach nothing but the sign-in page, and no record of another township
is reachable by guessing URLs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from ledger_access import ledger_routes
from oversight_access import oversight_routes
from pdfsupport import PDF_OK
from routine_access import routine_routes
from sqlalchemy import select
from support import T0, World
from websupport import HASH, AuthActions, Scene, Side

from caseflow.campaigns.service import CREATE_ROLES as CAMPAIGN_CREATE_ROLES
from caseflow.casework.corrections import CORRECTION_ROLES
from caseflow.casework.overrides import OVERRIDE_ROLES
from caseflow.casework.transfers import DECIDE_ROLES as TRANSFER_DECIDE_ROLES
from caseflow.casework.transfers import REQUEST_ROLES as TRANSFER_ASK_ROLES
from caseflow.casework.transfers import VIEW_ROLES as TRANSFER_VIEW_ROLES
from caseflow.db.models import Notification, OrgUnit, PolicyRecord
from caseflow.kernel.roles import PERSONAL_DATA_ROLES, Role
from caseflow.payments.adjustments import ADJUST_ROLES
from caseflow.payments.export import FINANCE_ROLES
from caseflow.payments.models import PaymentAdjustment, PaymentRoll
from caseflow.payments.rise import RISE_ROLES
from caseflow.payments.roll import prepare_roll
from caseflow.read.audit_search import AUDIT_ROLES
from caseflow.read.board import BOARD_ROLES
from caseflow.read.orphans import VIEW_ROLES as ORPHAN_VIEW_ROLES
from caseflow_web.campaigns import VIEW_ROLES as CAMPAIGN_VIEW_ROLES
from caseflow_web.desk import INTAKE_ROLES
from caseflow_web.institutions import EDIT_ROLES as INSTITUTION_EDIT_ROLES
from caseflow_web.institutions import PROPOSE_ROLES as ADMISSION_PROPOSE_ROLES
from caseflow_web.institutions import VIEW_ROLES as INSTITUTION_VIEW_ROLES
from caseflow_web.means import MEANS_ROLES
from caseflow_web.payments import PAYMENT_ROLES, PREPARE_ROLES
from caseflow_web.reconcile import RECONCILE_ROLES
from caseflow_web.reviews import REVIEW_PLAN_ROLES
from caseflow_web.security import CASEWORK_ROLES
from caseflow_web.standard_rise import VIEW_ROLES as RISE_VIEW_ROLES
from caseflow_web.supervise import NOTE_ROLES

CASEWORK = set(CASEWORK_ROLES)
ADMIN = {Role.ADMIN.value}
CLERK = {Role.CLERK.value}
EVERYONE = CASEWORK | ADMIN
# An institution's staff (供养机构工作人员): their queue, their institution's page, their password.
INSTITUTION_STAFF = {Role.INSTITUTION_STAFF.value}
SIGNED_IN = EVERYONE | INSTITUTION_STAFF
PERSONAL = {r.value for r in PERSONAL_DATA_ROLES}
INTAKE = {r.value for r in INTAKE_ROLES}
OVERRIDE = set(OVERRIDE_ROLES)
CORRECTIONS = set(CORRECTION_ROLES)
TRANSFER_ASK = set(TRANSFER_ASK_ROLES)
TRANSFER_VIEW = set(TRANSFER_VIEW_ROLES)
TRANSFER_DECIDE = set(TRANSFER_DECIDE_ROLES)
BOARD = set(BOARD_ROLES)
AUDIT = set(AUDIT_ROLES)
REVIEW_PLAN = set(REVIEW_PLAN_ROLES)
PAYMENTS = set(PAYMENT_ROLES)
PREPARE = set(PREPARE_ROLES)
FINANCE = set(FINANCE_ROLES)
ADJUST = set(ADJUST_ROLES)
RISE_VIEW = set(RISE_VIEW_ROLES)
RISE = set(RISE_ROLES)
RECONCILE = set(RECONCILE_ROLES)
_303 = frozenset({303})
CAMPAIGN_VIEW = set(CAMPAIGN_VIEW_ROLES)
NOTE = set(NOTE_ROLES)
CAMPAIGN_CREATE = {r.value for r in CAMPAIGN_CREATE_ROLES}
INSTITUTION_VIEW = set(INSTITUTION_VIEW_ROLES)
INSTITUTION_EDIT = set(INSTITUTION_EDIT_ROLES)
ADMISSION_PROPOSE = set(ADMISSION_PROPOSE_ROLES)
MEANS = set(MEANS_ROLES)
ORPHAN_VIEW = set(ORPHAN_VIEW_ROLES)


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    url: Callable[[World, Side], str]
    roles: set[str]
    scoped: bool = True  # the target belongs to a township (404 outside jurisdiction)
    data: tuple[tuple[str, str], ...] = ()
    ok: frozenset[int] = frozenset()  # expected statuses when allowed (default by method)


def _case(path: str) -> Callable[[World, Side], str]:
    return lambda w, s: f"/cases/{s.case.id}{path}"


def _print(path: str) -> Callable[[World, Side], str]:
    return lambda w, s: f"/print/cases/{s.case.id}{path}"


def _policy_record(w: World, s: Side) -> str:
    record_id = w.session.scalars(select(PolicyRecord.id).order_by(PolicyRecord.id)).first()
    return f"/admin/policy/{record_id}/confirm"


def _user(w: World, s: Side) -> str:
    name = "clerk" if s.household.org_path.startswith(w.township.path) else "other_clerk"
    return f"/admin/users/{w.users[name].id}"


def _code(w: World, s: Side) -> str:
    return s.household.org_path.strip("/").split("/")[1]


def _api_token_revoke(w: World, s: Side) -> str:
    """A fresh API token of the side's clerk (revoking twice would also answer 303)."""
    from caseflow.accounts.api_tokens import create_token

    name = "clerk" if s.household.org_path.startswith(w.township.path) else "other_clerk"
    user = w.users[name]
    w.session.rollback()
    code = s.household.org_path.strip("/").split("/")[1]
    issued = create_token(
        w.session,
        user_id=user.id,
        org_code=code,
        name="矩阵测试",
        days=30,
        now=s.case.opened_at,
        created_by_id=None,
    )
    return f"/admin/api-tokens/{issued.token.id}/revoke"


def _roll(path: str) -> Callable[[World, Side], str]:
    """A URL of the side's township's payment roll (prepared on first use)."""

    def url(w: World, s: Side) -> str:
        w.session.rollback()
        code = _code(w, s)
        stmt = select(PaymentRoll.id, PaymentRoll.case_id).join(
            OrgUnit, OrgUnit.id == PaymentRoll.township_id
        )
        found = w.session.execute(stmt.where(OrgUnit.code == code)).first()
        if found is None:
            who = "reviewer" if code == w.township.code else "other_reviewer"
            roll = prepare_roll(w.session, w.actor(who), code, "2026-04", T0)
            found = (roll.id, roll.case_id)
        return path.format(roll=found[0], case=found[1])

    return url


def _adjustment(w: World, s: Side) -> str:
    """Withdrawing an adjustment of the side's household that waits for a roll (written
    directly: the matrix is about who reaches it, not about the amount)."""
    w.session.rollback()
    found = w.session.scalars(
        select(PaymentAdjustment.id).where(PaymentAdjustment.household_id == s.household.id)
    ).first()
    if found is None:
        township = w.session.scalars(select(OrgUnit.id).where(OrgUnit.code == _code(w, s))).one()
        adj = PaymentAdjustment(
            township_id=township,
            household_id=s.household.id,
            case_id=None,
            for_month="2026-03",
            amount_fen=100,
            reason="矩阵测试",
            source="correction",
            created_at=T0,
            created_by_id=None,
        )
        w.session.add(adj)
        w.session.commit()
        found = adj.id
    return f"/payments/adjustments/{found}/withdraw"


def _notification(w: World, s: Side) -> str:
    """A notification of the side's clerk about the side's case (other users get 404)."""
    owner = w.users["clerk" if s.household.org_path.startswith(w.township.path) else "other_clerk"]
    w.session.rollback()  # a fresh snapshot: the app has written since (SQLite WAL)
    found = w.session.scalars(
        select(Notification.id).where(
            Notification.user_id == owner.id, Notification.case_id == s.case.id
        )
    ).first()
    if found is None:
        note = Notification(
            user_id=owner.id,
            case_id=s.case.id,
            kind="returned",
            title="退回",
            created_at=s.case.opened_at,
        )
        w.session.add(note)
        w.session.commit()
        found = note.id
    return f"/inbox/{found}/read"


def _case_notifications(w: World, s: Side) -> str:
    """The side's case, about which the side's clerk has a notification (see `_notification`)."""
    _notification(w, s)
    return f"/inbox/cases/{s.case.id}/read"


def _household(path: str) -> Callable[[World, Side], str]:
    """A URL under the side's household; {member} is its second (current) member."""
    return lambda w, s: (
        f"/desk/households/{s.household.id}" + path.format(member=s.household.members[-1].id)
    )


def _institution(path: str) -> Callable[[World, Side], str]:
    """A URL of the side's township's 敬老院 (entered by the admin on first use)."""

    def url(w: World, s: Side) -> str:
        from institution_support import institution_form

        from caseflow.institutions.models import Institution
        from caseflow.institutions.records import save_institution

        w.session.rollback()
        code = _code(w, s)
        name = f"{code}敬老院"
        found = w.session.scalar(select(Institution.id).where(Institution.name == name))
        if found is None:
            form = institution_form(w, name=name, township=code, account_name=name)
            found = save_institution(w.session, w.actor("admin"), form, T0).id
        return f"/institutions/{found}{path}"

    return url


def _admission(w: World, s: Side) -> str:
    """The confirm-bed URL of an admission proposed for the side's township's 敬老院 (a 特困
    person of 滨河镇, proposed by its reviewer on first use: any institution may take them)."""
    from institution_support import tekun_person
    from payments_support import at

    from caseflow.institutions.admission import propose_admission
    from caseflow.institutions.models import Admission

    inst_url = _institution("")(w, s)
    inst_id = int(inst_url.rsplit("/", 1)[1])
    found = w.session.scalar(select(Admission.case_id).where(Admission.institution_id == inst_id))
    if found is None:
        _, person = tekun_person(w, at(2026, 3, 20))
        reviewer = w.actor("reviewer")
        found = propose_admission(
            w.session, reviewer, person.id, inst_id, "chosen", at(2026, 4, 1)
        ).id
    return f"{inst_url}/admissions/{found}/confirm-bed"


def institution_staff(w: World) -> None:
    """ "inst_staff": staff of 滨河镇's 敬老院 (the own side's), created by the admin."""
    from caseflow.accounts.staff import UserForm, create_user
    from caseflow.institutions.models import Institution

    if "inst_staff" in w.users:
        return
    w.session.rollback()
    code = w.township.code
    name = f"{code}敬老院"
    inst_id = w.session.scalar(select(Institution.id).where(Institution.name == name))
    if inst_id is None:
        from institution_support import institution_form

        from caseflow.institutions.records import save_institution

        form = institution_form(w, name=name, township=code, account_name=name)
        inst_id = save_institution(w.session, w.actor("admin"), form, T0).id
    typed = UserForm(
        username="inst_staff",
        display_name="敬老院职工",
        roles=("institution_staff",),
        password="Caseflow-Inst-2026!",
        institution_id=str(inst_id),
    )
    user = create_user(w.session, w.actor("admin"), typed, T0)
    user.password_hash = HASH  # the password every test user signs in with
    w.session.commit()
    w.users["inst_staff"] = user


def _institution_routes() -> list[Route]:
    """集中供养: pages read, forms read and posted empty (refused field by field, 400)."""
    return [
        Route(
            "institutions.index",
            "GET",
            lambda w, s: "/institutions",
            INSTITUTION_VIEW | INSTITUTION_STAFF,
            False,
        ),
        Route("institutions.show", "GET", _institution(""), INSTITUTION_VIEW | INSTITUTION_STAFF),
        # Posted empty: the institution's own staff are refused field by field (400), nothing
        # confirmed; another institution's admission is not found (404); everyone else 403.
        Route("institutions.confirm_bed", "POST", _admission, INSTITUTION_STAFF),
        Route("institutions.edit", "GET", _institution("/edit"), INSTITUTION_EDIT),
        Route("institutions.edit", "POST", _institution("/edit"), INSTITUTION_EDIT),
        *(
            Route(f"institutions.{name}", method, lambda w, s, u=url: u, roles, False)
            for name, url, roles in (
                ("new", "/institutions/new", INSTITUTION_EDIT),
                ("propose", "/institutions/admissions/new", ADMISSION_PROPOSE),
            )
            for method in ("GET", "POST")
        ),
        Route(
            "institutions.priority",
            "GET",
            lambda w, s: "/institutions/priority",
            INSTITUTION_VIEW,
            False,
        ),
    ]


def _correction_routes() -> list[Route]:
    """家庭信息更正: every form read and posted empty (refused field by field, nothing saved)."""
    paths = ("/edit", "/members/new", "/members/{member}/edit", "/members/{member}/remove")
    endpoints = ("edit", "add", "edit_member_view", "remove")
    return [
        Route(f"corrections.{name}", method, _household(path), CORRECTIONS)
        for name, path in zip(endpoints, paths, strict=True)
        for method in ("GET", "POST")
    ]


def _transfer_decide(w: World, s: Side) -> str:
    """A fresh transfer request into the side's household of a person registered in the other
    township (posted empty: a refusal without its reason, 400, nothing decided)."""
    from caseflow.casework.transfers import TransferAsk, request_transfer

    own = s.household.org_path.startswith(w.township.path)
    w.session.rollback()
    away = w.household(unit=w.other_township if own else w.village)
    clerk = w.actor("clerk" if own else "other_clerk")
    ask = TransferAsk(away.members[1].id_number, "子女", "投亲")
    row = request_transfer(w.session, clerk, s.household.id, ask, s.case.opened_at)
    return f"/desk/transfers/{row.id}/decide"


def _transfer_routes() -> list[Route]:
    """迁移: the request form (window), the list (window and district), the decision."""
    ask = _household("/transfer")
    return [
        Route("transfers.request_form", "GET", ask, TRANSFER_ASK),
        Route("transfers.request_form", "POST", ask, TRANSFER_ASK),
        Route(
            "transfers.index", "GET", lambda w, s: "/desk/transfers", TRANSFER_VIEW, scoped=False
        ),
        Route("transfers.decide", "POST", _transfer_decide, TRANSFER_DECIDE),
    ]


ROUTES = [
    Route("index", "GET", lambda w, s: "/", SIGNED_IN, scoped=False, ok=frozenset({302})),
    Route("auth.password", "GET", lambda w, s: "/password", SIGNED_IN, scoped=False),
    Route("auth.password", "POST", lambda w, s: "/password", SIGNED_IN, scoped=False),
    Route("desk.search", "GET", lambda w, s: "/desk/?q=王", CASEWORK, scoped=False),
    Route("desk.register", "GET", lambda w, s: "/desk/households/new", CLERK, scoped=False),
    Route("desk.register", "POST", lambda w, s: "/desk/households/new", CLERK, scoped=False),
    Route("desk.household", "GET", lambda w, s: f"/desk/households/{s.household.id}", CASEWORK),
    Route(
        "desk.relatives", "POST", lambda w, s: f"/desk/households/{s.household.id}/relatives", CLERK
    ),
    Route(
        "desk.intake",
        "GET",
        lambda w, s: f"/desk/households/{s.household.id}/intake?case_type=temporary",
        INTAKE,
    ),
    Route(
        "desk.intake",
        "POST",
        lambda w, s: f"/desk/households/{s.household.id}/intake",
        INTAKE,
        data=(("case_type", "nonsense"),),
    ),
    Route(
        "desk.override",
        "GET",
        lambda w, s: f"/desk/households/{s.household.id}/override?case_type=dibao",
        OVERRIDE,
    ),
    Route(
        "desk.override",
        "POST",
        lambda w, s: f"/desk/households/{s.household.id}/override",
        OVERRIDE,
        data=(("case_type", "dibao"),),
    ),
    *_correction_routes(),
    *_transfer_routes(),
    Route("cases.queue", "GET", lambda w, s: "/cases/", CASEWORK, scoped=False),
    Route("cases.show", "GET", _case(""), CASEWORK),
    Route("cases.fire_view", "POST", _case("/fire/start_investigation"), CASEWORK),
    Route(
        "cases.reveal_view", "POST", _case("/reveal"), PERSONAL, data=(("field", "bank_account"),)
    ),
    Route("cases.upload", "POST", _case("/attachments"), CASEWORK),
    # The means form: a case not in an investigation sends the investigator back (303).
    Route("means.form", "GET", _case("/means"), MEANS, ok=frozenset({200, 303})),
    Route("means.save", "POST", _case("/means"), MEANS, ok=frozenset({200, 303, 400})),
    Route(
        "cases.attachment",
        "GET",
        lambda w, s: f"/cases/{s.case.id}/attachments/{s.attachment.id}",
        CASEWORK,
    ),
    Route("printouts.acceptance", "GET", _print("/acceptance"), CASEWORK),
    Route("printouts.missing_materials", "GET", _print("/missing-materials"), CASEWORK),
    Route("printouts.decision", "GET", _print("/decision"), CASEWORK),
    Route("printouts.acceptance_pdf", "GET", _print("/acceptance.pdf"), CASEWORK, ok=PDF_OK),
    Route(
        "printouts.missing_materials_pdf",
        "GET",
        _print("/missing-materials.pdf"),
        CASEWORK,
        ok=PDF_OK,
    ),
    Route("printouts.decision_pdf", "GET", _print("/decision.pdf"), CASEWORK, ok=PDF_OK),
    Route("printouts.publicity_index", "GET", lambda w, s: "/print/publicity", CASEWORK, False),
    Route(
        "printouts.publicity",
        "GET",
        lambda w, s: f"/print/publicity/{_code(w, s)}",
        CASEWORK,
    ),
    Route(
        "printouts.publicity_pdf",
        "GET",
        lambda w, s: f"/print/publicity/{_code(w, s)}.pdf",
        CASEWORK,
        ok=PDF_OK,
    ),
    Route("admin.index", "GET", lambda w, s: "/admin", ADMIN, scoped=False),
    Route("admin.office_phones", "POST", lambda w, s: "/admin/offices", ADMIN, scoped=False),
    Route("admin.users", "GET", lambda w, s: "/admin/users", ADMIN, scoped=False),
    Route("admin.new_user", "GET", lambda w, s: "/admin/users/new", ADMIN, scoped=False),
    Route("admin.new_user", "POST", lambda w, s: "/admin/users/new", ADMIN, scoped=False),
    Route("admin.edit_user", "GET", _user, ADMIN),
    Route("admin.edit_user", "POST", _user, ADMIN, data=(("display_name", ""),)),
    Route("admin.policy", "GET", lambda w, s: "/admin/policy", ADMIN, scoped=False),
    Route("admin.enter_policy_view", "POST", lambda w, s: "/admin/policy", ADMIN, scoped=False),
    Route("admin.confirm_policy_view", "POST", _policy_record, ADMIN, scoped=False),
    Route("api_tokens.index", "GET", lambda w, s: "/admin/api-tokens", ADMIN, scoped=False),
    Route("api_tokens.create", "POST", lambda w, s: "/admin/api-tokens", ADMIN, scoped=False),
    Route("api_tokens.revoke", "POST", _api_token_revoke, ADMIN),
    Route(
        "queue.index",
        "GET",
        lambda w, s: "/queue/?tab=overdue&page=2",
        CASEWORK | INSTITUTION_STAFF,
        False,
    ),
    Route("queue.claim_view", "POST", lambda w, s: f"/queue/{s.case.id}/claim", CASEWORK),
    Route("queue.release_view", "POST", lambda w, s: f"/queue/{s.case.id}/release", CASEWORK),
    Route("queue.batch_plan", "GET", lambda w, s: "/queue/batch?op=dibao:approve", CASEWORK, False),
    Route(
        "queue.batch",
        "POST",
        lambda w, s: "/queue/batch",
        CASEWORK,
        scoped=False,
        data=(("op", "dibao:start_investigation"),),
    ),
    Route("supervise.index", "GET", lambda w, s: "/board", BOARD, scoped=False),
    Route(
        "supervise.cases",
        "GET",
        lambda w, s: f"/board/cases?measure=overdue&township={_code(w, s)}&page=2",
        BOARD,
    ),
    # Not overdue in the matrix's world: the writer is sent back with the reason (303).
    Route(
        "supervise.note",
        "POST",
        lambda w, s: f"/board/cases/{s.case.id}/note",
        NOTE,
        data=(("note", "请加快办理"),),
        ok=_303,
    ),
    Route("campaigns.index", "GET", lambda w, s: "/campaigns", CAMPAIGN_VIEW, scoped=False),
    Route("campaigns.new", "GET", lambda w, s: "/campaigns/new", CAMPAIGN_CREATE, scoped=False),
    Route("campaigns.new", "POST", lambda w, s: "/campaigns/new", CAMPAIGN_CREATE, scoped=False),
    Route("inbox.index", "GET", lambda w, s: "/inbox?unread=1", EVERYONE, scoped=False),
    # Only the owner may mark a notification read; everybody else gets 404 (tested in detail in
    # test_supervise_web).
    Route("inbox.read", "POST", _notification, EVERYONE, False, ok=frozenset({303, 404})),
    # Only a user with notifications about the case may mark them; everybody else gets 404.
    Route(
        "inbox.read_case",
        "POST",
        _case_notifications,
        EVERYONE,
        False,
        ok=frozenset({303, 404}),
    ),
    Route("inbox.read_all", "POST", lambda w, s: "/inbox/read-all", EVERYONE, scoped=False),
    Route("reviews.index", "GET", lambda w, s: "/reviews?show=overdue", REVIEW_PLAN, False),
    Route("audit.index", "GET", lambda w, s: "/audit?kind=case_events", AUDIT, scoped=False),
    Route(
        "audit.export",
        "GET",
        lambda w, s: "/audit/export.csv?kind=personal_views",
        AUDIT,
        scoped=False,
    ),
    Route("payments.index", "GET", lambda w, s: "/payments/", PAYMENTS, scoped=False),
    Route(
        "payments.prepare",
        "POST",
        lambda w, s: "/payments/prepare",
        PREPARE,
        scoped=False,
        data=(("township", "640502100"), ("month", "2026-05")),
    ),
    Route("payments.show", "GET", _roll("/payments/{roll}"), PAYMENTS),
    Route("payments.roll_by_case", "GET", _roll("/payments/case/{case}"), PAYMENTS, ok=_303),
    Route("payments.fire_view", "POST", _roll("/payments/{roll}/fire/check"), PAYMENTS),
    Route("payments.adjust", "POST", _roll("/payments/{roll}/adjust"), ADJUST, ok=_303),
    Route("payments.withdraw", "POST", _adjustment, PREPARE, data=(("reason", "x"),), ok=_303),
    # Not signed yet: finance is sent back to the roll page with the reason.
    Route("payments.export", "GET", _roll("/payments/{roll}/export.csv"), FINANCE, ok=_303),
    Route("printouts.roll", "GET", _roll("/print/rolls/{roll}"), PAYMENTS),
    Route("printouts.roll_pdf", "GET", _roll("/print/rolls/{roll}.pdf"), PAYMENTS, ok=PDF_OK),
    Route(
        "standard_rise.show",
        "GET",
        lambda w, s: "/payments/rise?effective_from=2026-01-01",
        RISE_VIEW,
        scoped=False,
    ),
    Route(
        "reconcile.show",
        "GET",
        lambda w, s: "/payments/reconcile?month=2026-04",
        RECONCILE,
        scoped=False,
    ),
    # A stale fingerprint: the approver is shown the list again (409), nothing approved.
    Route(
        "standard_rise.approve",
        "POST",
        lambda w, s: "/payments/rise",
        RISE,
        scoped=False,
        data=(("effective_from", "2026-01-01"), ("fingerprint", "stale")),
    ),
]
ROUTES += ledger_routes(Route)  # 台账比对 (tests/webapp/ledger_access.py)
ROUTES += _institution_routes()  # 集中供养
# 孤儿名册: the whole list in reach, and one township's (404 for another township's staff).
ROUTES += [
    Route("orphans.index", "GET", lambda w, s: "/orphans", ORPHAN_VIEW, scoped=False),
    Route("orphans.index", "GET", lambda w, s: f"/orphans?township={_code(w, s)}", ORPHAN_VIEW),
    Route(
        "orphans.export",
        "GET",
        lambda w, s: f"/orphans/export.xlsx?township={_code(w, s)}&state=approved",
        ORPHAN_VIEW,
    ),
]
ROUTES += routine_routes(Route)  # 长期公示, 统计报表 (tests/webapp/routine_access.py)
ROUTES += oversight_routes(Route)  # 抽查, 投诉举报 (tests/webapp/oversight_access.py)
# Users of the world: township staff of 滨河镇, district staff (see both townships), admin.
USERS = [
    "clerk",
    "inv1",
    "reviewer",
    "leader",
    "liaison",
    "approver",
    "finance",
    "supervisor",
    "admin",
    "other_clerk",
    "inst_staff",  # 滨河镇敬老院's staff (created by the admin in the test)
]
OK_POST = {200, 302, 303, 400, 409}


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    covered = {(r.endpoint, r.method) for r in ROUTES}
    exempt = {("static", "GET"), ("auth.login", "GET"), ("auth.login", "POST")}
    exempt.add(("auth.logout", "POST"))  # tested on its own: it would end the matrix's session
    # The load balancer's probes answer everyone, signed in or not: tests/webapp/test_health.py.
    exempt |= {("health.healthz", "GET"), ("health.readyz", "GET")}
    # The JSON API takes bearer tokens, not sessions: its own matrix is tests/webapp/test_api.py.
    exempt |= {
        (r.endpoint, m)
        for r in app.url_map.iter_rules()
        for m in r.methods or ()
        if r.endpoint.startswith("api.")
    }
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (rule.endpoint, method) in covered | exempt, (rule.endpoint, method)


@pytest.mark.parametrize("username", USERS)
def test_access_matrix(
    world: World, scene: Scene, client: FlaskClient, auth: AuthActions, username: str
) -> None:
    if username == "inst_staff":
        institution_staff(world)
    user = world.users[username]
    roles = set(user.role_names)
    auth.login(username)
    failures = []
    for route in ROUTES:
        for side_name, side in (("own", scene.own), ("other", scene.other)):
            url = route.url(world, side)
            if route.method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data=dict(route.data))
            visible = side.household.org_path.startswith(user.org_unit.path)
            if not roles & route.roles:
                expected: set[int] = {403}
            elif route.scoped and not visible:
                expected = {404}
            else:
                expected = set(route.ok) or ({200} if route.method == "GET" else OK_POST)
            if username == "inst_staff" and route.endpoint == "institutions.index":
                expected = {302}  # straight to their own institution's page
            if response.status_code not in expected:
                failures.append((route.method, url, side_name, response.status_code, expected))
    assert not failures, f"{username}: {failures}"


def test_signed_out_reaches_only_the_sign_in_page(
    app: Flask, world: World, scene: Scene, client: FlaskClient
) -> None:
    for route in ROUTES:
        url = route.url(world, scene.own)
        response = client.get(url) if route.method == "GET" else client.post(url)
        assert response.status_code == 302, (route.method, url)
        assert "/login" in response.headers["Location"]
    assert client.get("/login").status_code == 200


def test_no_other_township_record_by_url_guessing(
    world: World, scene: Scene, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("clerk")
    own, other = scene.own, scene.other
    guesses = [
        f"/cases/{other.case.id}",
        f"/cases/{own.case.id}/attachments/{other.attachment.id}",  # own case, foreign file
        f"/cases/{other.case.id}/attachments/{other.attachment.id}",
        f"/desk/households/{other.household.id}",
        f"/print/cases/{other.case.id}/acceptance",
        f"/print/cases/{other.case.id}/decision",
        f"/print/cases/{other.case.id}/missing-materials",
        f"/print/cases/{other.case.id}/acceptance.pdf",
        f"/print/cases/{other.case.id}/decision.pdf",
        f"/print/cases/{other.case.id}/missing-materials.pdf",
        "/print/publicity/640502101.pdf",
        "/print/publicity/640502101",
        "/cases/999999",
        "/print/cases/999999/decision",
        "/desk/households/999999",
    ]
    for url in guesses:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "王大明" not in response.get_data(as_text=True)
    # Nor through lists and search.
    for url in ("/cases/", "/desk/?q=王大明", "/desk/?q=wdm", "/print/publicity/640502100"):
        body = client.get(url).get_data(as_text=True)
        assert other.case.case_no not in body
        assert f'/desk/households/{other.household.id}"' not in body
    # A foreign case cannot be acted on either.
    response = client.post(
        f"/cases/{other.case.id}/fire/start_investigation", data={"expected_version": "1"}
    )
    assert response.status_code == 404
