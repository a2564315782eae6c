"""In a real browser: a district supervisor uploads a messy registry export, reads the validation
report, imports the valid rows, runs a comparison and takes one action from the worklist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from e2esupport import ARTIFACTS, PASSWORD, Server
from ledger_support import REGISTRY_HEADER, fullwidth, pid, write_csv
from sqlalchemy import select

from caseflow.db.models import AdminEvent, ComparisonResult, RosterImport


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def row(no: str, head: str, name: str, ident: str, relation: str, **kw: str) -> list[str]:
    return [
        no,
        head,
        "滨河镇",
        "示例村",
        name,
        ident,
        relation,
        "健康",
        kw.get("labour", "普通劳动力"),
        "一般贫困户",
        kw.get("cause", "缺资金"),
        kw.get("income", "36000"),
    ]


def test_district_user_imports_a_roster_compares_and_acts(
    page: Any, server: Server, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    bad = pid(1970, 31)
    bad = bad[:17] + ("0" if bad[17] != "0" else "1")
    rows = [
        row(
            "R1",
            "周五",
            "周五",
            pid(1945, 231),
            "户主",
            labour="丧失劳动力",
            cause="因病",
            income="1200",
        ),
        row("R2", "吴六", "吴六 ", fullwidth(pid(1975, 232)), "户主"),
        row("R2", "吴六", "某甲", bad, "之女"),
    ]
    path = write_csv(tmp_path / "建档立卡导出.csv", REGISTRY_HEADER, rows, "gbk")

    page.goto(server.url + "/login")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_selector("header.topbar")
    page.click("header nav a:has-text('台账比对')")
    page.click("#ledger-actions a:has-text('上传名单')")
    page.select_option("#upload-form select[name=kind]", "registry")
    page.set_input_files("#upload-form input[name=file]", str(path))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#mapping-form")
    assert "表头在第 4 行" in page.inner_text("main")
    page.click("#mapping-form button:has-text('开始校验')")

    page.wait_for_selector("#report", timeout=30000)
    assert page.inner_text("#rows-invalid") == "1"
    assert "校验位" in page.inner_text("#report-errors")
    shot(page, "ledger-01-report")
    page.check("#import-choice input[name=accept_skip]")
    page.click("#import-choice button:has-text('仅导入 2 行有效数据')")
    page.wait_for_selector("#imported", timeout=30000)
    assert "已导入 2 行（共 3 行），跳过有误的 1 行" in page.inner_text("#imported")

    page.click("#imported a:has-text('开始比对')")
    page.wait_for_selector("#run-form")
    page.click("#run-form button:has-text('开始比对')")
    page.wait_for_selector("#worklist")
    assert "比对完成：共 2 户" in page.inner_text(".flashes")
    page.click("#category-counts a[data-category=C3]")
    page.wait_for_selector("#worklist tr[data-category=C3]")
    assert page.locator("#worklist tr[data-result-id]").count() == 1
    shot(page, "ledger-02-worklist")
    page.click("#worklist a.result-link:has-text('周五')")
    page.wait_for_selector("#action-form")
    page.fill("#action-form textarea[name=reason]", "已电话告知可到乡镇窗口申请")
    page.click("#action-form button[value=invited]")
    page.wait_for_selector(".flash-success")
    assert "已告知可申请低保" in page.inner_text("#action-status")
    shot(page, "ledger-03-action")

    session = server.world.session
    session.rollback()
    imported = session.scalars(select(RosterImport)).one()
    assert (imported.status, imported.rows_imported) == ("valid_rows_only", 2)
    result = session.scalars(
        select(ComparisonResult).where(ComparisonResult.head_name == "周五")
    ).one()
    assert (result.category, result.action) == ("C3", "invited")
    assert (
        session.scalars(select(AdminEvent.action).order_by(AdminEvent.id.desc())).first()
        == "ledger.invited"
    )


def test_the_progress_bar_follows_a_running_job(page: Any, server: Server, tmp_path: Path) -> None:
    """A job the test holds in "validating": the bar shows its progress from the JSON endpoint,
    and the page turns into the report by itself when the job moves on."""
    from datetime import UTC, datetime

    from caseflow.db.engine import make_engine
    from caseflow.ledger.jobs import JobStore, job_engine

    # The server's job tables (beside its SQLite file), its files beside its attachments folder.
    jobs = job_engine(make_engine(f"sqlite:///{tmp_path / 'e2e.sqlite3'}"))
    store = JobStore(tmp_path / "ledger_jobs", jobs)
    now = datetime.now(UTC)
    job = store.create(server.world.users["supervisor"].id, "registry", "大名单.csv", ".csv", now)
    store.report_lines(job).write_text("", encoding="utf-8")
    store.update(job.token, now, phase="validating", rows_estimate=1000, rows_done=0)

    page.goto(server.url + "/login")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_selector("header.topbar")
    page.goto(f"{server.url}/ledger/jobs/{job.token}")
    page.wait_for_selector("#job-progress progress")
    store.update(job.token, datetime.now(UTC), rows_done=400)
    # (No wait_for_function: the Content-Security-Policy forbids the eval it relies on.)
    page.wait_for_selector("#progress-text:has-text('已处理 400 行')", timeout=10000)
    assert page.locator("#job-progress progress").evaluate("e => e.value") == 40
    shot(page, "ledger-00-progress")
    store.update(job.token, datetime.now(UTC), phase="validated", rows_done=1000, rows_total=1000)
    page.wait_for_selector("#import-choice", timeout=10000)  # reloaded without a click
    assert page.inner_text("#rows-total") == "1000"
    assert page.locator("#job-progress").count() == 0
