"""台账比对 hardening on the pages, SQLite and PostgreSQL: an interrupted import is told within a
minute; the validation report's ID numbers are masked unless the role may see them (and then the
full view is logged); the hostile-file corpus through the upload."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hostile_files import build_corpus, corpus_specs
from ledger_support import fifteen
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from support import T0, World
from websupport import AuthActions, make_app

from caseflow.db.models import AdminEvent, PersonalDataView, RosterImport, RosterRow
from caseflow.kernel.idnumber import mask_id_number
from caseflow.ledger.compare import run_comparison
from caseflow.ledger.importer import import_roster
from caseflow.ledger.jobs import IMPORTING, STALE_AFTER, JobStore
from caseflow_web.ledger import job_store


def store(app: Flask) -> JobStore:
    return job_store(app)


def test_an_import_whose_worker_is_gone_is_interrupted_within_a_minute(
    world: World, app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("supervisor")
    clock = app.config["NOW"]
    jobs = store(app)
    job = jobs.create(world.users["supervisor"].id, "registry", "名单.csv", ".csv", clock.now)
    jobs.update(job.token, clock.now, phase=IMPORTING, rows_estimate=1000, rows_done=10)
    # The worker still beats: running, whatever the time since its last progress.
    jobs.beat(job.token, clock.now + STALE_AFTER)
    progress = client.get(f"/ledger/jobs/{job.token}/progress.json").get_json()
    assert progress["running"] is True
    # No beat for longer than a minute: the page says the import was interrupted.
    clock.now += STALE_AFTER * 2
    page = client.get(f"/ledger/jobs/{job.token}").get_data(as_text=True)
    assert "导入已中断" in page and "正在导入：已处理" not in page
    progress = client.get(f"/ledger/jobs/{job.token}/progress.json").get_json()
    assert progress["running"] is False
    assert timedelta(minutes=1) >= STALE_AFTER


def upload_and_validate(client: FlaskClient, app: Flask, path: Path, kind: str) -> str:
    data = {"kind": kind, "preset": "", "file": (io.BytesIO(path.read_bytes()), path.name)}
    response = client.post("/ledger/upload", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:600]
    token = response.headers["Location"].split("/jobs/")[1].split("/")[0]
    job = store(app).load(token)
    form = {f"col-{i}": job.mapping.get(h, "") for i, h in enumerate(job.headers) if h}
    assert client.post(f"/ledger/jobs/{token}/mapping", data=form).status_code == 302
    thread = app.extensions["ledger_threads"][token]
    thread.join(timeout=60)
    return token


def report_text(data: bytes) -> str:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)


def test_the_report_masks_ids_unless_the_role_may_see_them_and_logs_the_full_view(
    world: World, app: Flask, client: FlaskClient, auth: AuthActions, tmp_path: Path
) -> None:
    path = next(p for s, p in build_corpus(tmp_path) if s.name == "15位18位重复.csv")
    _old, new = fifteen(1958, 601)
    for who in ("supervisor", "approver"):
        auth.login(who)
        token = upload_and_validate(client, app, path, "registry")
        page = client.get(f"/ledger/jobs/{token}").get_data(as_text=True)
        assert new not in page and mask_id_number(new) in page  # the page is always masked
        text = report_text(client.get(f"/ledger/jobs/{token}/report.xlsx").data)
        assert new not in text and mask_id_number(new) in text
        full = client.get(f"/ledger/jobs/{token}/report.xlsx?full=1")
        logged = world.session.scalars(
            select(PersonalDataView).where(PersonalDataView.user_id == world.users[who].id)
        ).all()
        if who == "supervisor":  # supervises, needs no ID numbers: no link, no full report
            assert "report-download-full" not in page and full.status_code == 403
            assert logged == []
        else:
            assert "report-download-full" in page and full.status_code == 200
            assert new in report_text(full.data)
            assert [v.purpose for v in logged] == ["台账校验报告（完整身份证号）：15位18位重复.csv"]
        auth.logout()
        world.session.rollback()
    actions = world.session.scalars(select(AdminEvent.action)).all()
    assert actions.count("ledger.report_full_view") == 1


@pytest.mark.parametrize("name", [spec.name for spec in corpus_specs()])
def test_every_hostile_file_through_the_upload_imports_or_gets_a_chinese_message(
    world: World, app: Flask, client: FlaskClient, auth: AuthActions, tmp_path: Path, name: str
) -> None:
    spec, path = next((s, p) for s, p in build_corpus(tmp_path) if s.name == name)
    auth.login("supervisor")
    data = {"kind": spec.kind, "preset": "", "file": (io.BytesIO(path.read_bytes()), path.name)}
    response = client.post("/ledger/upload", data=data, content_type="multipart/form-data")
    if response.status_code == 400:  # refused at once, beside the file field
        assert spec.refused and spec.message in response.get_data(as_text=True)
        assert imports(world) == (0, 0)
        return
    token = upload_and_validate(client, app, path, spec.kind)
    client.post(f"/ledger/jobs/{token}/import", data={})
    thread = app.extensions["ledger_threads"][token]
    thread.join(timeout=60)
    page = client.get(f"/ledger/jobs/{token}").get_data(as_text=True)
    assert "Traceback" not in page
    if spec.refused:
        assert imports(world) == (0, 0)  # nothing written
        assert spec.message in page or "须勾选" in page or "没有数据行" in page, page[-3000:]
    else:
        assert f"已导入 {spec.rows} 行" in page, page[-3000:]
        assert imports(world) == (1, spec.rows)


def imports(world: World) -> tuple[int, int]:
    world.session.rollback()
    found = world.session.scalar(select(func.count()).select_from(RosterImport))
    rows = world.session.scalar(select(func.count()).select_from(RosterRow))
    return int(found or 0), int(rows or 0)


def test_the_worklist_has_a_tab_of_households_held_for_a_decision(
    world: World, app: Flask, client: FlaskClient, auth: AuthActions, tmp_path: Path
) -> None:
    files = {s.name: p for s, p in build_corpus(tmp_path)}
    s = world.session
    reg = import_roster(s, files["GBK.csv"], "registry", None, T0)
    ros = import_roster(s, files["同名户主.csv"], "dibao_roster", None, T0)
    assert reg.import_id is not None and ros.import_id is not None
    run = run_comparison(
        s, reg.import_id, [ros.import_id], world.actor("supervisor"), T0, include_system_cases=False
    )
    auth.login("supervisor")
    page = client.get(f"/ledger/runs/{run.id}").get_data(as_text=True)
    assert re.search(r'id="decision-tab"[^>]*>人工判定 <span class="count">2</span>', page)
    tab = client.get(f"/ledger/runs/{run.id}?decision=1").get_data(as_text=True)
    assert 'id="decision-note"' in tab and tab.count('data-decision="1"') == 2
    assert "同名户主" in tab
    result_id = re.search(r'data-result-id="(\d+)"', tab)
    assert result_id is not None
    shown = client.get(f"/ledger/results/{result_id.group(1)}").get_data(as_text=True)
    assert 'id="decision"' in shown and "人工判定" in shown


def test_a_starting_server_marks_dead_jobs_and_removes_their_uploads(
    world: World, app: Flask, engine: Engine, tmp_path: Path
) -> None:
    clock = app.config["NOW"]
    jobs = store(app)
    job = jobs.create(world.users["supervisor"].id, "registry", "名单.xlsx", ".xlsx", clock.now)
    upload = jobs.folder(job.token) / "source.xlsx"
    upload.write_bytes(b"PK" + b"\0" * 4096)
    jobs.keep_file(job, upload)
    jobs.update(job.token, clock.now, phase=IMPORTING)
    clock.now += STALE_AFTER * 2  # the process that ran it is gone
    restarted = make_app(engine, tmp_path, NOW=clock)
    try:
        after = jobs.load(job.token)
        assert after.phase == "failed" and "导入已中断" in after.message
        assert not jobs.source(after).exists()
    finally:
        restarted.extensions["caseflow_engine"].dispose()
