"""台账比对 pages: upload a roster with column mapping, validate and import it in the background
with a progress bar, start a comparison run (also in the background: a district's takes tens of
seconds), work through its results per township and village, act on a row, export to Excel.

Who: importing rosters and starting runs is district work (the files cover the whole district):
district approvers and supervisors whose unit is the district. Working the results is for township
staff (clerk, investigator, reviewer, leader, poverty liaison) on their township's rows and for the
district roles on every row. District finance and the admin have no business here (deny by default).
"""

from __future__ import annotations

import logging
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from caseflow.casework.attachments import clean_filename
from caseflow.db.logsafe import safe_text
from caseflow.kernel.errors import CaseflowError, CaseNotFound, PermissionDenied
from caseflow.kernel.idnumber import mask_id_number
from caseflow.kernel.roles import Role
from caseflow.ledger import worklist
from caseflow.ledger.actions import ACTION_LABELS, available_actions, take_action
from caseflow.ledger.background import COMPARISON_TASK, IMPORT_TASK, VALIDATION_TASK
from caseflow.ledger.classify import CATEGORIES, CATEGORY_LABELS
from caseflow.ledger.columns import FIELD_LABELS, IGNORE
from caseflow.ledger.compare import CompareError, check_comparison
from caseflow.ledger.dryrun import read_report, sniff_header
from caseflow.ledger.export import export_run
from caseflow.ledger.jobs import (
    CANCELLED,
    COMPARED,
    COMPARING,
    COMPARISON_JOB,
    FAILED,
    IMPORTING,
    PHASE_LABELS,
    UPLOADED,
    VALIDATED,
    VALIDATING,
    Job,
    JobNotFound,
    JobStore,
    job_engine,
)
from caseflow.ledger.kinds import ASSISTANCE_KINDS, KIND_LABELS, KINDS, OTHER_LISTS, REGISTRY
from caseflow.ledger.reader import EmptyFile, UnreadableFile
from caseflow.ledger.report_view import full_report_allowed, log_full_report
from caseflow.ledger.saved_presets import (
    PresetInvalid,
    check_mapping,
    preset_for,
    save_preset,
    saved_presets,
)
from caseflow.ledger.validate import ERROR, NOTICE, ReportEntry, write_report_xlsx
from caseflow.timer.worker import Worker
from caseflow_web import db
from caseflow_web.forms import parse_row_id
from caseflow_web.security import current_actor, roles_required

bp = Blueprint("ledger", __name__, url_prefix="/ledger")
log = logging.getLogger("caseflow.ledger")

MANAGE_ROLES = frozenset({Role.DISTRICT_APPROVER.value, Role.SUPERVISOR.value})
WORK_ROLES = MANAGE_ROLES | {
    Role.CLERK.value,
    Role.INVESTIGATOR.value,
    Role.TOWNSHIP_REVIEWER.value,
    Role.TOWNSHIP_LEADER.value,
    Role.POVERTY_LIAISON.value,
}
SUFFIXES = (".xlsx", ".csv")
DEFAULT_MAX_BYTES = 200 * 1024 * 1024  # a district's registry export is tens of MB as .csv
PER_PAGE = 50
REPORT_SHOWN = 200  # findings listed on the page; the download has all of them
_SOURCE_LABELS = {"registry": "建档立卡", "dibao_roster": "低保台账", "tekun_roster": "特困台账"}


@bp.url_value_preprocessor
def _roster_size_limit(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    # Rosters are far bigger than scanned materials. This is the earliest hook a blueprint has
    # (it runs before the app's before_request, where CSRFProtect parses the body), so the
    # upload's own limit is in place before anything reads it.
    if endpoint == "ledger.upload":
        request.max_content_length = int(
            current_app.config.get("LEDGER_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)
        )


def _max_mb() -> int:
    return int(current_app.config.get("LEDGER_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)) // (
        1024 * 1024
    )


@bp.errorhandler(413)
def _too_large(_exc: Exception) -> ResponseReturnValue:
    message = f"上传的名单文件过大（上限 {_max_mb()} MB），请拆分后上传，或在服务器上使用命令行导入"
    return render_template("error.html", code=413, message=message), 413


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    roles = current_user.roles if current_user.is_authenticated else frozenset()
    return {"nav_ledger": bool(roles & WORK_ROLES)}


def _may_manage() -> bool:
    return bool(current_user.roles & MANAGE_ROLES) and worklist.district_wide(current_actor())


def _require_manager() -> None:
    if not _may_manage():
        abort(403)


def job_store(app: Flask) -> JobStore:
    """The app's job store: the jobs in the database, their files cached beside the attachments
    folder (the instance folder by default; a temp folder in tests)."""
    store: JobStore | None = app.extensions.get("ledger_jobs")
    if store is None:
        root = app.config.get("LEDGER_JOB_DIR") or (
            Path(app.config["ATTACHMENT_DIR"]).parent / "ledger_jobs"
        )
        store = JobStore(Path(root), job_engine(app.extensions["caseflow_engine"]))
        app.extensions["ledger_jobs"] = store
    return store


def _store() -> JobStore:
    return job_store(current_app._get_current_object())  # type: ignore[attr-defined]


@bp.record_once
def _clean_up_jobs(state: BlueprintSetupState) -> None:
    # On start: jobs whose worker died with the last process are marked interrupted, and no
    # upload outlives its job.
    # Housekeeping never keeps the app from starting: with the database down or not yet
    # migrated the next start does it (the pages report a dead job either way).
    app: Flask = state.app  # type: ignore[assignment]
    try:
        job_store(app).clean_up(app.config["NOW"]())
    except Exception as exc:
        log.warning("ledger jobs not cleaned up at start: %s", safe_text(exc))


def _any_job(token: str) -> Job:
    """The signed-in user's job of either kind, or 404 (someone else's job is "not found")."""
    try:
        return _store().load(token, current_user.user_id)
    except JobNotFound:
        abort(404)


def _job(token: str) -> Job:
    """The signed-in user's upload, or 404."""
    found = _any_job(token)
    if found.kind == COMPARISON_JOB:
        abort(404)
    return found


def _comparison_job(token: str) -> Job:
    """The signed-in user's comparison job, or 404."""
    found = _any_job(token)
    if found.kind != COMPARISON_JOB:
        abort(404)
    return found


def _start(store: JobStore, token: str, task: str, now: datetime, **args: Any) -> None:
    """Queue a long step of caseflow.ledger.background for a worker (`caseflow worker`). A
    server that runs its own work (`in_process_worker`, the default of a single server) also
    starts a thread that claims exactly this job; tests join it through app.extensions."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    store.enqueue(token, task, {"now": now.isoformat(), "user_id": current_user.user_id, **args})
    if not app.config.get("IN_PROCESS_WORKER", True):
        return
    worker = Worker(app.extensions["caseflow_sessions"], store, clock=app.config["NOW"])
    thread = threading.Thread(
        target=worker.run_once, args=(token,), daemon=True, name=f"ledger-{token[:8]}"
    )
    app.extensions.setdefault("ledger_threads", {})[token] = thread
    thread.start()


# ---------------------------------------------------------------- overview


@bp.get("/")
@roles_required(WORK_ROLES)
def index() -> ResponseReturnValue:
    """Recent runs (everyone here), imports and the user's uploads (district managers)."""
    session = db.session()
    manage = _may_manage()
    jobs = _store().recent(current_user.user_id, limit=20) if manage else []
    return render_template(
        "ledger/index.html",
        runs=worklist.recent_runs(session),
        imports=worklist.recent_imports(session) if manage else [],
        jobs=[j for j in jobs if j.kind != COMPARISON_JOB][:10],
        # Finished comparisons are listed as runs; these are running or failed.
        comparisons=[j for j in jobs if j.kind == COMPARISON_JOB and j.phase != COMPARED],
        manage=manage,
        kind_labels=KIND_LABELS,
        phase_labels=PHASE_LABELS,
        category_labels=CATEGORY_LABELS,
        categories=CATEGORIES,
    )


# ---------------------------------------------------------------- upload, mapping


def _upload_form(errors: dict[str, str], form: dict[str, str], status: int) -> ResponseReturnValue:
    return (
        render_template(
            "ledger/upload.html",
            errors=errors,
            form=form,
            kinds=KINDS,
            kind_labels=KIND_LABELS,
            presets=sorted(saved_presets(db.session()).values(), key=lambda p: p.name),
            max_mb=_max_mb(),
        ),
        status,
    )


def _save_upload(upload: FileStorage, target: Path) -> int:
    size = 0
    with target.open("wb") as out:
        while chunk := upload.stream.read(64 * 1024):
            size += len(chunk)
            out.write(chunk)
    return size


@bp.route("/upload", methods=["GET", "POST"])
@roles_required(MANAGE_ROLES)
def upload() -> ResponseReturnValue:
    """Choose the list kind and the file; the header is found at once, the rest comes later."""
    _require_manager()
    if request.method == "GET":
        return _upload_form({}, {"kind": REGISTRY}, 200)
    form = {k: request.form.get(k, "")[:60] for k in ("kind", "preset")}
    errors: dict[str, str] = {}
    kind = form["kind"]
    if kind not in KIND_LABELS:
        errors["kind"] = "请选择名单类型"
    presets = saved_presets(db.session())
    if form["preset"] and form["preset"] not in presets:
        errors["preset"] = "所选列对应方案不存在"
    file = request.files.get("file")
    name = clean_filename(file.filename or "") if file is not None else ""
    suffix = Path(name).suffix.lower()
    if file is None or not file.filename:
        errors["file"] = "请选择要上传的文件"
    elif suffix == ".xls":
        errors["file"] = "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 .csv 后上传"
    elif suffix not in SUFFIXES:
        errors["file"] = "只能上传 .xlsx 或 .csv 文件"
    if errors or file is None:
        return _upload_form(errors, form, 400)
    mapping = dict(presets[form["preset"]].mapping) if form["preset"] else {}
    store = _store()
    store.prune(db.now())
    job = store.create(current_user.user_id, kind, name, suffix, db.now())
    source = store.source(job)
    try:
        if _save_upload(file, source) == 0:
            raise EmptyFile("文件为空，没有任何内容")
        sniffed = sniff_header(source, preset_for(kind, mapping))
    except (EmptyFile, UnreadableFile) as exc:
        store.discard_files(job)
        return _upload_form({"file": str(exc)}, form, 400)
    store.keep_file(job, source)  # for the worker and every other server
    detected = {
        sniffed.headers[i]: f for i, f in sniffed.detected.items() if i < len(sniffed.headers)
    }
    store.update(
        job.token,
        db.now(),
        header_row=sniffed.row_no,
        headers=sniffed.headers,
        mapping={**{h: detected.get(h, IGNORE) for h in sniffed.headers if h}, **mapping},
        preset_name=form["preset"],
        message="" if sniffed.found else "未能自动识别表头，请逐列指定对应字段",
    )
    return redirect(url_for("ledger.mapping", token=job.token))


def _mapping_page(job: Job, errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    return (
        render_template(
            "ledger/mapping.html",
            job=job,
            errors=errors,
            field_labels=FIELD_LABELS,
            kind_label=KIND_LABELS[job.kind],
        ),
        status,
    )


@bp.route("/jobs/<token>/mapping", methods=["GET", "POST"])
@roles_required(MANAGE_ROLES)
def mapping(token: str) -> ResponseReturnValue:
    """Show the detected header → field mapping, let the user adjust and save it, then validate."""
    _require_manager()
    job = _job(token)
    if job.phase != UPLOADED:
        return redirect(url_for("ledger.job", token=token))
    if request.method == "GET":
        return _mapping_page(job, {})
    chosen: dict[str, str] = {}
    for i, header in enumerate(job.headers):
        if header:
            chosen[header] = request.form.get(f"col-{i}", IGNORE)[:40]
    job.mapping = chosen
    errors = check_mapping(chosen)
    preset_name = request.form.get("preset_name", "")[:100].strip()
    if not errors and request.form.get("save_preset"):
        try:
            save_preset(db.session(), preset_name, job.kind, chosen, current_actor(), db.now())
        except PresetInvalid as exc:
            errors["preset_name"] = str(exc)
    if errors:
        return _mapping_page(job, errors, 400)
    if request.form.get("save_preset"):
        flash(f"已保存列对应方案「{' '.join(preset_name.split())}」", "success")
    now = db.now()
    store = _store()
    if not store.claim(job, "validation"):
        return redirect(url_for("ledger.job", token=token))  # a second click
    store.update(token, now, mapping=chosen, phase=VALIDATING, rows_done=0)
    _start(store, token, VALIDATION_TASK, now)
    return redirect(url_for("ledger.job", token=token))


# ---------------------------------------------------------------- job: progress, report, import


@bp.get("/jobs/<token>")
@roles_required(MANAGE_ROLES)
def job(token: str) -> ResponseReturnValue:
    """Progress while running; the validation report and the import choice when validated."""
    _require_manager()
    current = _job(token)
    lines = _store().report_lines(current)
    errors: list[ReportEntry] = []
    notices: list[ReportEntry] = []
    if current.phase not in (UPLOADED, VALIDATING, CANCELLED):
        for entry in read_report(lines, ERROR):
            if len(errors) >= REPORT_SHOWN:
                break
            errors.append(entry)
        for entry in read_report(lines, NOTICE):
            if len(notices) >= REPORT_SHOWN:
                break
            notices.append(entry)
    return render_template(
        "ledger/job.html",
        job=current,
        stale=current.stale(db.now()),
        errors=errors,
        notices=notices,
        shown=REPORT_SHOWN,
        kind_label=KIND_LABELS[current.kind],
        phase_labels=PHASE_LABELS,
        has_report=lines.exists(),
        full_report=full_report_allowed(current_actor()),
    )


@bp.get("/jobs/<token>/progress.json")
@roles_required(MANAGE_ROLES)
def progress(token: str) -> ResponseReturnValue:
    """Small JSON for the progress bar (of an upload or a comparison)."""
    _require_manager()
    current = _any_job(token)
    return jsonify(
        phase=current.phase,
        phase_label=PHASE_LABELS.get(current.phase, current.phase),
        rows_done=current.rows_done,
        rows_estimate=current.rows_estimate,
        percent=current.percent(),
        running=current.running and not current.stale(db.now()),
    )


@bp.get("/jobs/<token>/report.xlsx")
@roles_required(MANAGE_ROLES)
def report(token: str) -> ResponseReturnValue:
    """Every finding of the validation as .xlsx."""
    _require_manager()
    current = _job(token)
    store = _store()
    lines = store.report_lines(current)
    if not lines.exists():
        abort(404)
    with tempfile.NamedTemporaryFile(dir=store.folder(token), suffix=".xlsx", delete=False) as tmp:
        target = Path(tmp.name)
    title = f"{KIND_LABELS[current.kind]}「{current.file_name}」校验报告"
    full = request.args.get("full") == "1"
    if full:  # full ID numbers: only for roles that need them, and the view is logged
        try:
            log_full_report(db.session(), current_actor(), current.file_name, db.now())
        except PermissionDenied:
            target.unlink(missing_ok=True)
            abort(403)
    write_report_xlsx(read_report(lines, masked=not full), target, title=title)
    response = send_file(
        target,
        as_attachment=True,
        download_name=f"校验报告-{Path(current.file_name).stem}.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response.call_on_close(lambda: target.unlink(missing_ok=True))
    return response


@bp.post("/jobs/<token>/import")
@roles_required(MANAGE_ROLES)
def start_import(token: str) -> ResponseReturnValue:
    """Import the whole file, or — when it has errors and the user accepts — exactly its valid
    rows; either way in one transaction."""
    _require_manager()
    current = _job(token)
    if current.phase != VALIDATED:
        flash("此文件当前不能导入", "error")
        return redirect(url_for("ledger.job", token=token))
    if current.rows_total == 0:
        flash("文件中没有数据行，无法导入", "error")
        return redirect(url_for("ledger.job", token=token))
    skip = current.rows_invalid > 0
    if skip and request.form.get("accept_skip") != "1":
        flash(f"文件有 {current.rows_invalid} 行错误：须勾选“确认跳过有误的行”才能导入", "error")
        return redirect(url_for("ledger.job", token=token))
    if skip and current.rows_invalid >= current.rows_total:
        flash("所有行都有错误，没有可导入的行", "error")
        return redirect(url_for("ledger.job", token=token))
    now = db.now()
    store = _store()
    if not store.claim(current, "import"):
        return redirect(url_for("ledger.job", token=token))  # a second click
    store.update(token, now, phase=IMPORTING, rows_done=0)
    _start(store, token, IMPORT_TASK, now, skip_invalid=skip)
    return redirect(url_for("ledger.job", token=token))


@bp.post("/jobs/<token>/cancel")
@roles_required(MANAGE_ROLES)
def cancel(token: str) -> ResponseReturnValue:
    """Give up on an upload before importing: nothing is imported, the file is deleted."""
    _require_manager()
    current = _job(token)
    if current.running or current.phase not in (UPLOADED, VALIDATED, FAILED):
        flash("此文件当前不能取消", "error")
        return redirect(url_for("ledger.job", token=token))
    store = _store()
    store.discard_files(current)
    store.update(token, db.now(), phase=CANCELLED, message="已取消，未导入任何数据")
    flash("已取消，未导入任何数据", "success")
    return redirect(url_for("ledger.index"))


# ---------------------------------------------------------------- comparison runs


@bp.route("/runs/new", methods=["GET", "POST"])
@roles_required(MANAGE_ROLES)
def new_run() -> ResponseReturnValue:
    """Choose the registry import and the rosters / departments' lists, then compare."""
    _require_manager()
    session = db.session()
    imports = worklist.recent_imports(session, limit=200)
    registries = [i for i in imports if i.kind == REGISTRY]
    others = [i for i in imports if i.kind in ASSISTANCE_KINDS or i.kind in OTHER_LISTS]
    errors: dict[str, str] = {}
    if request.method == "POST":
        registry_id = parse_row_id(request.form.get("registry_import_id", "")[:12])
        roster_ids = [parse_row_id(v[:12]) for v in request.form.getlist("roster_import_id")[:100]]
        include_system = request.form.get("include_system_cases") == "1"
        if registry_id is None:
            errors["registry_import_id"] = "请选择建档立卡名单"
        if any(r is None for r in roster_ids):
            errors["roster_import_id"] = "所选台账无效"
        if not roster_ids and not include_system:
            errors["roster_import_id"] = "请至少选择一份低保/特困台账，或勾选系统在保家庭"
        if not errors and registry_id is not None:
            chosen = [r for r in roster_ids if r is not None]
            try:
                check_comparison(session, registry_id, chosen, db.now())
            except CompareError as exc:
                errors["registry_import_id"] = str(exc)
            else:
                return _start_comparison(registry_id, chosen, include_system)
    latest: set[int] = set()
    seen_kinds: set[str] = set()
    for i in others:
        if i.kind not in seen_kinds:
            seen_kinds.add(i.kind)
            latest.add(i.id)
    return (
        render_template(
            "ledger/new_run.html",
            registries=registries,
            others=others,
            latest=latest,
            errors=errors,
            form=request.form,
            kind_labels=KIND_LABELS,
        ),
        400 if errors else 200,
    )


def _start_comparison(
    registry_id: int, roster_ids: list[int], include_system: bool
) -> ResponseReturnValue:
    """Run the comparison in the background (a district's takes tens of seconds; the request
    must not wait for it) and show its progress."""
    now = db.now()
    store = _store()
    running = [
        j
        for j in store.recent(current_user.user_id, limit=20)
        if j.kind == COMPARISON_JOB and j.running and not j.stale(now)
    ]
    if running:  # a second click, or a second tab: one comparison at a time per user
        flash("您已有一次比对正在进行，请等待其完成后再开始新的比对", "warning")
        return redirect(url_for("ledger.comparison", token=running[0].token))
    label = f"建档立卡名单 #{registry_id} 比对"
    created = store.create(current_user.user_id, COMPARISON_JOB, label, "", now)
    store.update(created.token, now, phase=COMPARING, rows_estimate=100, rows_done=0)
    _start(
        store,
        created.token,
        COMPARISON_TASK,
        now,
        registry_import_id=registry_id,
        roster_import_ids=roster_ids,
        include_system_cases=include_system,
    )
    return redirect(url_for("ledger.comparison", token=created.token))


@bp.get("/comparisons/<token>")
@roles_required(MANAGE_ROLES)
def comparison(token: str) -> ResponseReturnValue:
    """A comparison started from the page: its progress, its failure, or — done — its run."""
    _require_manager()
    current = _comparison_job(token)
    if current.phase == COMPARED and current.run_id is not None:
        flash(current.message, "success")
        return redirect(url_for("ledger.run", run_id=current.run_id))
    return render_template(
        "ledger/comparison.html",
        job=current,
        stale=current.stale(db.now()),
        phase_labels=PHASE_LABELS,
        comparing=COMPARING,
    )


def _filters() -> dict[str, str]:
    args = request.args
    category = args.get("category", "")[:2]
    action = args.get("action", "")[:4]
    return {
        "category": category if category in CATEGORIES else "",
        "township": args.get("township", "")[:20],
        "village": args.get("village", "")[:100],
        "action": action if action in ("open", "done") else "",
        "decision": "1" if args.get("decision") == "1" else "",
    }


@bp.get("/runs/<int:run_id>")
@roles_required(WORK_ROLES)
def run(run_id: int) -> ResponseReturnValue:
    """The worklist: counts per category and place, filters, a page of households."""
    session, actor = db.session(), current_actor()
    found = worklist.load_run(session, run_id)
    f = _filters()
    page_no = min(parse_row_id(request.args.get("page", "1")[:9]) or 1, 100_000)
    try:
        totals = worklist.summary(session, actor, run_id, f["township"] or None)
        page = worklist.worklist(
            session,
            actor,
            run_id,
            category=f["category"] or None,
            township=f["township"] or None,
            village=f["village"] or None,
            action=f["action"] or None,
            decision=bool(f["decision"]),
            page=page_no,
            per_page=PER_PAGE,
        )
    except worklist.UnknownFilter:
        abort(404)  # a township outside the jurisdiction looks like no township at all

    def url(**changes: Any) -> str:
        params = {**f, "page": "", **changes}
        query = urlencode({k: v for k, v in params.items() if v})
        return url_for("ledger.run", run_id=run_id) + ("?" + query if query else "")

    return render_template(
        "ledger/run.html",
        run=found,
        summary=totals,
        page=page,
        f=f,
        url=url,
        categories=CATEGORIES,
        category_labels=CATEGORY_LABELS,
        action_labels=ACTION_LABELS,
        township_name=worklist.township_names(session).get(f["township"], ""),
        manage=_may_manage(),
    )


@bp.get("/runs/<int:run_id>/export.xlsx")
@roles_required(WORK_ROLES)
def export(run_id: int) -> ResponseReturnValue:
    """The run as .xlsx (summary + one sheet per category), limited to the jurisdiction."""
    session = db.session()
    worklist.load_run(session, run_id)
    folder = _store().root
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".xlsx", delete=False) as tmp:
        target = Path(tmp.name)
    export_run(session, run_id, target, current_actor())
    response = send_file(
        target,
        as_attachment=True,
        download_name=f"台账比对结果-{run_id}.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response.call_on_close(lambda: target.unlink(missing_ok=True))
    return response


# ---------------------------------------------------------------- one row and its actions


def _masked_units(evidence: dict[str, Any], key: str) -> list[dict[str, Any]]:
    units = []
    for unit in evidence.get(key, []):
        persons = [
            {**p, "id_number": mask_id_number(p.get("id_number", ""))}
            for p in unit.get("persons", [])
        ]
        source = unit.get("source", "")
        units.append(
            {**unit, "persons": persons, "source_label": _SOURCE_LABELS.get(source, "系统在保")}
        )
    return units


def _result_page(result_id: int, status: int = 200, **extra: Any) -> ResponseReturnValue:
    actor = current_actor()
    view = worklist.result_view(db.session(), actor, result_id)
    row = view.row
    evidence = row.evidence or {}
    hits = [
        {**h, "id_number": mask_id_number(h.get("id_number", ""))}
        for h in evidence.get("other_lists", [])
    ]
    extra.setdefault("errors", {})
    extra.setdefault("form", {})
    return (
        render_template(
            "ledger/result.html",
            row=row,
            reasons=evidence.get("reasons", []),
            registry_units=_masked_units(evidence, "registry"),
            assistance_units=_masked_units(evidence, "assistance"),
            hits=hits,
            policy=evidence.get("policy", {}),
            actions=available_actions(row, actor),
            action_labels=ACTION_LABELS,
            category_label=CATEGORY_LABELS.get(row.category, row.category),
            township=view.township,
            case_no=view.case_no,
            **extra,
        ),
        status,
    )


@bp.get("/results/<int:result_id>")
@roles_required(WORK_ROLES)
def result(result_id: int) -> ResponseReturnValue:
    """One household of a run: category, evidence (ID numbers masked), actions."""
    return _result_page(result_id)


@bp.post("/results/<int:result_id>/action")
@roles_required(WORK_ROLES)
def act(result_id: int) -> ResponseReturnValue:
    """Take one action through caseflow.ledger.actions (cases through the engine)."""
    session, actor = db.session(), current_actor()
    worklist.result_in_scope(session, actor, result_id)  # 404 before anything else
    action = request.form.get("action", "")[:20]
    reason = request.form.get("reason", "")[:500]
    if action not in ACTION_LABELS or action == "none":
        return _result_page(result_id, 400, errors={"action": "请选择处理方式"}, form=request.form)
    try:
        done = take_action(session, result_id, action, actor, db.now(), reason=reason)
    except CaseNotFound:
        abort(404)
    except CaseflowError as exc:  # wrong category, already handled, role, guard…
        field = "reason" if "理由" in exc.message_zh else "action"
        status = 403 if isinstance(exc, PermissionDenied) else 400
        return _result_page(result_id, status, errors={field: exc.message_zh}, form=request.form)
    flash(f"已处理：{ACTION_LABELS[done.action]}", "success")
    return redirect(url_for("ledger.result", result_id=result_id))
