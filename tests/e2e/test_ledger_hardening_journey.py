"""In a real browser: the validation report shows ID numbers masked (and offers no full report to a
role that may not see them); an import whose worker died says so within a minute; households with
same-name heads wait in the worklist's 人工判定 tab with the reason on their page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from e2esupport import ARTIFACTS, PASSWORD, Server
from hostile_files import build_corpus
from ledger_support import fifteen

from caseflow.db.engine import make_engine
from caseflow.kernel.idnumber import mask_id_number
from caseflow.kernel.timeutil import utcnow
from caseflow.ledger.compare import run_comparison
from caseflow.ledger.importer import import_roster
from caseflow.ledger.jobs import JobStore, job_engine


def sign_in(page: Any, server: Server, username: str) -> None:
    page.goto(server.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_selector("header.topbar")


def test_masked_report_and_an_interrupted_import(page: Any, server: Server, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    files = {s.name: p for s, p in build_corpus(tmp_path / "corpus")}
    _old, new = fifteen(1958, 601)
    sign_in(page, server, "supervisor")
    page.goto(server.url + "/ledger/upload")
    page.select_option("#upload-form select[name=kind]", "registry")
    page.set_input_files("#upload-form input[name=file]", str(files["15位18位重复.csv"]))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#mapping-form")
    page.click("#mapping-form button:has-text('开始校验')")
    page.wait_for_selector("#report", timeout=30000)
    page.click("#report-notices summary")  # the 15-digit conversion quotes the new number
    report = page.inner_text("#report")
    assert mask_id_number(new) in report and new not in page.content()
    assert page.locator("#report-download-full").count() == 0  # a supervisor needs no IDs
    page.screenshot(path=str(ARTIFACTS / "ledger-10-masked-report.png"), full_page=True)

    # An import whose worker is gone: no beat for over a minute.
    jobs = job_engine(make_engine(f"sqlite:///{tmp_path / 'e2e.sqlite3'}"))  # the server's
    store = JobStore(tmp_path / "ledger_jobs", jobs)
    then = datetime.now(UTC) - timedelta(minutes=2)
    job = store.create(server.world.users["supervisor"].id, "registry", "大名单.csv", ".csv", then)
    store.update(job.token, then, phase="importing", rows_estimate=1000, rows_done=10)
    page.goto(f"{server.url}/ledger/jobs/{job.token}")
    page.wait_for_selector("#job-interrupted")
    assert "导入已中断" in page.inner_text("#job-interrupted")
    assert page.locator("#job-progress").count() == 0


def test_same_name_heads_wait_in_the_decision_tab(
    page: Any, server: Server, tmp_path: Path
) -> None:
    files = {s.name: p for s, p in build_corpus(tmp_path / "corpus")}
    world = server.world
    now = utcnow()
    reg = import_roster(world.session, files["GBK.csv"], "registry", None, now)
    ros = import_roster(world.session, files["同名户主.csv"], "dibao_roster", None, now)
    assert reg.import_id is not None and ros.import_id is not None
    run = run_comparison(
        world.session,
        reg.import_id,
        [ros.import_id],
        world.actor("supervisor"),
        now,
        include_system_cases=False,
    )
    sign_in(page, server, "supervisor")
    page.goto(f"{server.url}/ledger/runs/{run.id}")
    assert "人工判定 2" in page.inner_text("#decision-tab")
    page.click("#decision-tab")
    page.wait_for_selector("#decision-note")
    assert page.locator("#worklist [data-decision='1']").count() == 2
    page.screenshot(path=str(ARTIFACTS / "ledger-11-decision-tab.png"), full_page=True)
    page.click("#worklist a.result-link >> nth=0")
    page.wait_for_selector("#decision")
    assert "同名户主" in page.inner_text("#decision")
