"""The case list and the case page: state, timeline, deadlines, actions, attachments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue

from caseflow.casework.attachments import (
    UploadRejected,
    add_attachment,
    attachment_in_scope,
    path_for,
    store_file,
)
from caseflow.casework.personal_data import reveal
from caseflow.engine.fire import fire
from caseflow.kernel.errors import (
    CaseflowError,
    CaseNotFound,
    ConcurrencyConflict,
    PayloadInvalid,
)
from caseflow.kernel.roles import PERSONAL_DATA_ROLES
from caseflow.read.case_page import build_page, load_case
from caseflow.read.cases_list import STATUS_LABELS, STATUSES, find_cases
from caseflow.read.queue import QueueFilters, queue_page
from caseflow.read.registry_status import registry_status
from caseflow.workflow.registry import registry
from caseflow_web import db
from caseflow_web.forms import parse_row_id, payload_from_form
from caseflow_web.security import CASEWORK_ROLES, current_actor, roles_required

bp = Blueprint("cases", __name__, url_prefix="/cases")
MINE_SHOWN = 20
PER_PAGE = 50


@bp.get("/")
@roles_required(CASEWORK_ROLES)
def queue() -> ResponseReturnValue:
    """待我处理 (the work queue's first cases and its total, the same query as /queue) and the
    cases of the jurisdiction, searchable by case number or head of household, open / closed /
    all."""
    session, actor = db.session(), current_actor()
    q = request.args.get("q", "")[:40].strip()
    status = request.args.get("status", "open")
    status = status if status in STATUSES else "open"
    page_no = min(parse_row_id(request.args.get("page", "1")[:9]) or 1, 100_000)
    mine = queue_page(session, actor, db.now(), QueueFilters(), 1, MINE_SHOWN)
    found = find_cases(session, actor, q=q, status=status, page=page_no, per_page=PER_PAGE)
    reg = registry()
    return render_template(
        "cases/queue.html",
        mine=mine,
        mine_states={r.id: reg.workflow(r.workflow_key).states[r.state].label for r in mine.rows},
        found=found,
        q=q,
        status=status,
        statuses=STATUS_LABELS,
    )


def _render(case_id: int, status: int = 200, **extra: Any) -> ResponseReturnValue:
    session, actor, now = db.session(), current_actor(), db.now()
    case = load_case(session, actor, case_id)
    if case.household_id is None:  # a township case (the payment roll) has its own page
        return redirect(url_for("payments.roll_by_case", case_id=case.id), 303)
    page = build_page(session, actor, case, now)
    extra.setdefault("open_form", None)
    extra.setdefault("errors", {})
    extra.setdefault("values", {})
    extra.setdefault("revealed", {})
    rs = registry_status(session, case.household_id)
    return render_template("cases/case.html", page=page, rs=rs, **extra), status


@bp.get("/<int:case_id>")
@roles_required(CASEWORK_ROLES)
def show(case_id: int) -> ResponseReturnValue:
    """The case page."""
    return _render(case_id)


def _payload(workflow_key: str, state: str, trigger: str) -> dict[str, Any]:
    t = registry().workflow(workflow_key).transition_for(state, trigger)
    if t is None:
        return {}
    return payload_from_form(t)


@bp.post("/<int:case_id>/fire/<trigger>")
@roles_required(CASEWORK_ROLES)
def fire_view(case_id: int, trigger: str) -> ResponseReturnValue:
    """Fire one transition through the engine; a stale page gets the conflict message."""
    session, actor = db.session(), current_actor()
    case = load_case(session, actor, case_id)
    raw_version = request.form.get("expected_version", "")
    if parse_row_id(raw_version) is None:
        flash("页面已过期，请刷新后重试", "error")
        return redirect(url_for("cases.show", case_id=case_id), 303)
    t = registry().workflow(case.workflow_key).transition_for(case.state, trigger[:40])
    if t is not None and any(f.type == "records" for f in t.payload):
        # Lines are posted by their own form; a bare post would record an empty household.
        return redirect(url_for("means.form", case_id=case_id), 303)
    payload = _payload(case.workflow_key, case.state, trigger[:40])
    label = registry().workflow(case.workflow_key).label_of(trigger)
    try:
        fire(
            session,
            case_id,
            trigger[:40],
            actor,
            db.now(),
            payload,
            expected_version=int(raw_version),
        )
    except PayloadInvalid as exc:
        flash("未提交：请按提示修改", "error")
        values = {k: request.form.getlist(k) for k in request.form}
        return _render(case_id, 400, open_form=trigger, errors=exc.fields, values=values)
    except CaseNotFound:
        abort(404)
    except ConcurrencyConflict as exc:
        flash(exc.message_zh, "error")
        return redirect(url_for("cases.show", case_id=case_id), 303)
    except CaseflowError as exc:
        flash(exc.message_zh, "error")
        return redirect(url_for("cases.show", case_id=case_id), 303)
    flash(f"已完成：{label}", "success")
    return redirect(url_for("cases.show", case_id=case_id), 303)


@bp.post("/<int:case_id>/reveal")
@roles_required(frozenset(r.value for r in PERSONAL_DATA_ROLES))
def reveal_view(case_id: int) -> ResponseReturnValue:
    """Show one full ID number or bank account after an explicit click; the view is logged."""
    session, actor = db.session(), current_actor()
    case = load_case(session, actor, case_id)
    if case.household_id is None:
        abort(404)
    field = request.form.get("field", "")
    member = request.form.get("member_id", "")
    value = reveal(
        session,
        actor,
        field=field,
        household_id=case.household_id,
        member_id=parse_row_id(member),
        case_id=case.id,
        purpose=f"办理案件 {case.case_no}",
        now=db.now(),
    )
    key = f"{field}:{member}" if field == "id_number" else field
    # Rendered into this response only: a flash would put the value into the session cookie.
    return _render(case_id, revealed={key: value})


@bp.post("/<int:case_id>/attachments")
@roles_required(CASEWORK_ROLES)
def upload(case_id: int) -> ResponseReturnValue:
    """Attach a scanned material (PDF/JPG/PNG, size-limited, stored by checksum)."""
    session, actor = db.session(), current_actor()
    load_case(session, actor, case_id)
    file = request.files.get("file")
    if file is None or not file.filename:
        flash("请选择要上传的文件", "error")
        return redirect(url_for("cases.show", case_id=case_id), 303)
    folder = Path(current_app.config["ATTACHMENT_DIR"])
    try:
        stored = store_file(
            file.stream, file.filename, folder, int(current_app.config["UPLOAD_MAX_BYTES"])
        )
    except UploadRejected as exc:
        flash(f"上传失败：{exc}", "error")
        return redirect(url_for("cases.show", case_id=case_id), 303)
    add_attachment(
        session, actor, case_id, stored, file.filename, request.form.get("material", ""), db.now()
    )
    flash("材料已上传", "success")
    return redirect(url_for("cases.show", case_id=case_id), 303)


@bp.get("/<int:case_id>/attachments/<int:att_id>")
@roles_required(CASEWORK_ROLES)
def attachment(case_id: int, att_id: int) -> ResponseReturnValue:
    """Download an attachment (only inside the user's jurisdiction)."""
    row = attachment_in_scope(db.session(), current_actor(), case_id, att_id)
    path = path_for(Path(current_app.config["ATTACHMENT_DIR"]), row.sha256)
    if not path.is_file():
        abort(404)
    return send_file(
        path, mimetype=row.content_type, as_attachment=True, download_name=row.filename
    )
