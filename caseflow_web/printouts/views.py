"""Printed notices: acceptance, one-time notice of missing materials, decision / refusal with
appeal rights, the village publicity list, and the payment roll for stamping. Each is one
template served two ways: print-ready HTML (print CSS, Ctrl+P) and a PDF download (`.pdf` next
to the HTML route, same checks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from caseflow.kernel.timeutil import to_local
from caseflow.payments.entitlements import granted_entitlement
from caseflow.payments.models import KIND_LABELS
from caseflow.payments.months import month_label, month_of
from caseflow.read.decisions import DECISION_KINDS
from caseflow.read.printouts import CaseNotice, case_notice, publicity_list
from caseflow.read.roll_print import roll_print
from caseflow.read.standing_publicity import standing_list
from caseflow.read.units import units_in_reach
from caseflow.workflow.registry import registry
from caseflow_web import db
from caseflow_web.forms import parse_row_id
from caseflow_web.payments import PAYMENT_ROLES
from caseflow_web.printouts.pdf import PdfUnavailable, pdf_response, render_pdf
from caseflow_web.security import CASEWORK_ROLES, current_actor, roles_required

bp = Blueprint("printouts", __name__, url_prefix="/print")

DECISIONS = DECISION_KINDS  # the decision events a notice is printed for, by kind
PUBLICITY_STATES = ("publicizing",)
# Document titles for the PDF file name, by decision kind.
DECISION_TITLES = {
    None: "决定通知书",
    "approval": "审核确认通知书",
    "refusal": "不予确认通知书",
    "removal": "停止社会救助决定通知书",
    "gradual_exit": "停止社会救助决定通知书",
    "keep": "维持社会救助决定通知书",
}
PDF_UNAVAILABLE = (
    "暂时无法生成PDF：服务器缺少PDF排版组件（WeasyPrint 及系统库 Pango）。"
    "请在网页上按 Ctrl+P 打印，或联系系统管理员安装后再试。"
)


@dataclass(frozen=True)
class Printout:
    """A notice ready to render: its template and context, and how to name its PDF."""

    template: str
    context: dict[str, object]
    title: str  # Chinese document name, the start of the PDF's file name
    slug: str  # ASCII name for clients that cannot read an RFC 5987 file name


def _html(doc: Printout, pdf_url: str) -> ResponseReturnValue:
    return render_template(doc.template, pdf=False, pdf_url=pdf_url, **doc.context)


def _file_part(text: str) -> str:
    # Unit names and case numbers are ours, but a file name must never carry a path.
    return "".join("_" if c in '/\\:*?"<>|' or not c.isprintable() else c for c in text)


def _pdf(doc: Printout) -> ResponseReturnValue:
    html = render_template(doc.template, pdf=True, pdf_url="", **doc.context)
    try:
        pdf = render_pdf(html)
    except PdfUnavailable:
        return render_template("error.html", code=503, message=PDF_UNAVAILABLE), 503
    return pdf_response(pdf, _file_part(doc.title) + ".pdf", doc.slug + ".pdf")


def _notice(case_id: int, triggers: tuple[str, ...]) -> tuple[CaseNotice, dict[str, object]]:
    notice = case_notice(db.session(), current_actor(), case_id, triggers)
    context: dict[str, object] = {
        "case": notice.case,
        "wf": registry().workflow(notice.case.workflow_key),
        "head": notice.head,
        "household": notice.household,
        "township": notice.township,
        "today": to_local(db.now()).date(),
    }
    return notice, context


def _acceptance(case_id: int) -> Printout:
    """受理通知书."""
    notice, ctx = _notice(case_id, ("open",))
    opened = notice.of("open")
    ctx["open_payload"] = opened[0].payload if opened else {}
    case_no = notice.case.case_no
    return Printout("print/acceptance.html", ctx, f"受理通知书-{case_no}", f"acceptance-{case_no}")


@bp.get("/cases/<int:case_id>/acceptance")
@roles_required(CASEWORK_ROLES)
def acceptance(case_id: int) -> ResponseReturnValue:
    return _html(_acceptance(case_id), url_for("printouts.acceptance_pdf", case_id=case_id))


@bp.get("/cases/<int:case_id>/acceptance.pdf")
@roles_required(CASEWORK_ROLES)
def acceptance_pdf(case_id: int) -> ResponseReturnValue:
    return _pdf(_acceptance(case_id))


def _missing_materials(case_id: int) -> Printout:
    """一次性告知书: every missing item of the latest request, listed at once."""
    notice, ctx = _notice(case_id, ("request_materials", "open"))
    requests = notice.of("request_materials")
    items: list[str] = []
    requested_at = None
    if requests:
        items = list(requests[-1].payload.get("missing_items", []))
        requested_at = requests[-1].at
    else:
        opened = notice.of("open")
        items = list(opened[0].payload.get("materials_missing", [])) if opened else []
        requested_at = opened[0].at if opened else None
    ctx.update(items=items, requested_at=requested_at)
    case_no = notice.case.case_no
    return Printout("print/missing.html", ctx, f"一次性告知书-{case_no}", f"missing-{case_no}")


@bp.get("/cases/<int:case_id>/missing-materials")
@roles_required(CASEWORK_ROLES)
def missing_materials(case_id: int) -> ResponseReturnValue:
    url = url_for("printouts.missing_materials_pdf", case_id=case_id)
    return _html(_missing_materials(case_id), url)


@bp.get("/cases/<int:case_id>/missing-materials.pdf")
@roles_required(CASEWORK_ROLES)
def missing_materials_pdf(case_id: int) -> ResponseReturnValue:
    return _pdf(_missing_materials(case_id))


def _payment_start(day: date) -> str:
    # 低保 is paid from the month after approval (DOMAIN.md).
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return f"{year}年{month}月"


def _decision(case_id: int) -> Printout:
    """Decision or refusal notice, with reasons and appeal rights (行政复议 / 行政诉讼)."""
    notice, ctx = _notice(case_id, tuple(DECISIONS))
    event = notice.events[-1] if notice.events else None
    kind = DECISIONS[event.trigger] if event else None
    pay_from = _payment_start(to_local(event.at).date()) if event and kind == "approval" else ""
    granted = granted_entitlement(db.session(), notice.case.id) if kind == "approval" else None
    ctx.update(event=event, kind=kind, pay_from=pay_from, entitlement=granted)
    title, case_no = DECISION_TITLES[kind], notice.case.case_no
    return Printout("print/decision.html", ctx, f"{title}-{case_no}", f"decision-{case_no}")


@bp.get("/cases/<int:case_id>/decision")
@roles_required(CASEWORK_ROLES)
def decision(case_id: int) -> ResponseReturnValue:
    return _html(_decision(case_id), url_for("printouts.decision_pdf", case_id=case_id))


@bp.get("/cases/<int:case_id>/decision.pdf")
@roles_required(CASEWORK_ROLES)
def decision_pdf(case_id: int) -> ResponseReturnValue:
    return _pdf(_decision(case_id))


@bp.get("/publicity")
@roles_required(CASEWORK_ROLES)
def publicity_index() -> ResponseReturnValue:
    """Choose the village or township whose publicity list to print."""
    units = units_in_reach(db.session(), current_actor())
    return render_template("print/publicity_index.html", units=units)


def _publicity(org_code: str) -> tuple[Printout, str]:
    """公示名单: households under publicity in a unit; ID numbers masked. With the unit's code."""
    found = publicity_list(db.session(), current_actor(), org_code, PUBLICITY_STATES)
    unit = found.unit
    today = to_local(db.now()).date()
    ctx: dict[str, object] = {"unit": unit, "rows": found.rows, "today": today}
    stamp = today.strftime("%Y%m%d")
    doc = Printout(
        "print/publicity.html",
        ctx,
        f"公示名单-{unit.name}-{stamp}",
        f"publicity-{unit.code}-{stamp}",
    )
    return doc, unit.code


@bp.get("/publicity/<org_code>")
@roles_required(CASEWORK_ROLES)
def publicity(org_code: str) -> ResponseReturnValue:
    doc, code = _publicity(org_code)
    return _html(doc, url_for("printouts.publicity_pdf", org_code=code))


@bp.get("/publicity/<org_code>.pdf")
@roles_required(CASEWORK_ROLES)
def publicity_pdf(org_code: str) -> ResponseReturnValue:
    return _pdf(_publicity(org_code)[0])


@bp.get("/standing")
@roles_required(CASEWORK_ROLES)
def standing_index() -> ResponseReturnValue:
    """Choose the village or township whose standing publicity (长期公示) to print."""
    units = units_in_reach(db.session(), current_actor(), ("township", "village"))
    return render_template("print/standing_index.html", units=units)


def _standing(org_code: str) -> tuple[Printout, str]:
    """长期公示: 低保 and 特困 recipients in payment this month; names masked. With the code."""
    now = db.now()
    found = standing_list(db.session(), current_actor(), org_code, month_of(now))
    unit, today = found.unit, to_local(now).date()
    ctx: dict[str, object] = {"doc": found, "month": month_label(found.month), "today": today}
    stamp = found.month.replace("-", "")
    title = f"低保特困长期公示-{unit.name}-{stamp}"
    return Printout("print/standing.html", ctx, title, f"standing-{unit.code}-{stamp}"), unit.code


@bp.get("/standing/<org_code>")
@roles_required(CASEWORK_ROLES)
def standing(org_code: str) -> ResponseReturnValue:
    doc, code = _standing(org_code)
    return _html(doc, url_for("printouts.standing_pdf", org_code=code))


@bp.get("/standing/<org_code>.pdf")
@roles_required(CASEWORK_ROLES)
def standing_pdf(org_code: str) -> ResponseReturnValue:
    return _pdf(_standing(org_code)[0])


def _part() -> int:
    return parse_row_id(request.args.get("part", "1")[:9]) or 1


def _roll(roll_id: int, part: int) -> Printout:
    """发放名册 / 补发名单 for stamping: landscape A4, rows 1..N, totals, signers, stamp boxes;
    a large roll in parts (分册)."""
    found = roll_print(db.session(), current_actor(), roll_id, part)
    title = "补发名单" if found.roll.supplement_no else "发放名册"
    ctx: dict[str, object] = {
        "doc": found,
        "title": title,
        "state_label": registry().workflow("roll").states[found.case.state].label,
        "kind_labels": KIND_LABELS,
        "today": to_local(db.now()).date(),
    }
    case_no = found.case.case_no
    suffix = f"-第{part}册" if found.parts > 1 else ""
    slug = f"roll-{case_no}" + (f"-part{part}" if found.parts > 1 else "")
    return Printout("print/roll.html", ctx, f"{title}-{case_no}{suffix}", slug)


@bp.get("/rolls/<int:roll_id>")
@roles_required(PAYMENT_ROLES)
def roll(roll_id: int) -> ResponseReturnValue:
    part = _part()
    pdf_url = url_for("printouts.roll_pdf", roll_id=roll_id, part=part if part > 1 else None)
    return _html(_roll(roll_id, part), pdf_url)


@bp.get("/rolls/<int:roll_id>.pdf")
@roles_required(PAYMENT_ROLES)
def roll_pdf(roll_id: int) -> ResponseReturnValue:
    return _pdf(_roll(roll_id, _part()))
