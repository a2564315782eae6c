"""台账比对 pages on SQLite and PostgreSQL: upload with column mapping and presets, background
validation with a downloadable report, whole or partial (valid rows only) import, bad files,
comparison runs, the worklist's filters and paging, jurisdiction, actions and CSRF."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from ledger_support import (
    LIST_HEADER,
    REGISTRY_HEADER,
    ROSTER_HEADER,
    fifteen,
    fullwidth,
    pid,
    write_csv,
    write_xlsx,
)
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, func, select
from support import T0, World
from websupport import AuthActions, make_app

from caseflow.db.models import (
    AdminEvent,
    Case,
    CaseEvent,
    ComparisonResult,
    ComparisonRun,
    RosterImport,
    RosterRow,
)
from caseflow.kernel.idnumber import mask_id_number
from caseflow.ledger.compare import run_comparison
from caseflow.ledger.importer import import_roster
from caseflow.ledger.jobs import JobStore
from caseflow_web.ledger import job_store

# ---------------------------------------------------------------- helpers


def reg_row(no: str, head: str, name: str, ident: str, relation: str, **kw: str) -> list[str]:
    return [
        no,
        head,
        kw.get("township", "滨河镇"),
        kw.get("village", "示例村"),
        name,
        ident,
        relation,
        kw.get("health", "健康"),
        kw.get("labour", "普通劳动力"),
        kw.get("attribute", "一般贫困户"),
        kw.get("cause", "缺资金"),
        kw.get("income", "36000"),
    ]


OLD15, NEW18 = fifteen(1958, 21)


BAD_ID = pid(1970, 31)[:17] + ("0" if pid(1970, 31)[17] != "0" else "1")


def messy_rows() -> list[list[str]]:
    """Rows 5–8 valid (15-digit, full-width, trailing spaces); 9 checksum, 10 duplicate, 11 the
    same person in a second household."""
    bad = BAD_ID
    return [
        reg_row("A001 ", "张三", "张三 ", pid(1961, 11), "户主"),
        reg_row("A001", "张三", "李梅", OLD15, "配偶"),
        reg_row("A001", "张三", "张小", fullwidth(pid(1990, 23)) + " ", "之子"),
        reg_row("B002", "王五", "王五", pid(1950, 25), "户主"),
        reg_row("B002", "王五", "某甲", bad, "之女"),
        reg_row("A001", "张三", "张小", pid(1990, 23), "之子"),
        reg_row("B002", "王五", "李梅", NEW18, "配偶"),
    ]


def count(world: World, model: type) -> int:
    world.session.rollback()  # see what the app committed
    return int(world.session.scalar(select(func.count()).select_from(model)) or 0)


def wait(app: Flask, token: str) -> None:
    """Join the job's background thread."""
    thread = app.extensions["ledger_threads"][token]
    thread.join(timeout=60)
    assert not thread.is_alive()


def store(app: Flask) -> JobStore:
    return job_store(app)


def upload(client: FlaskClient, path: Path, kind: str, preset: str = "") -> Any:
    data = {"kind": kind, "preset": preset, "file": (io.BytesIO(path.read_bytes()), path.name)}
    return client.post("/ledger/upload", data=data, content_type="multipart/form-data")


def token_of(response: Any) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    found = re.search(r"/ledger/jobs/([0-9a-f]{32})/mapping", response.headers["Location"])
    assert found, response.headers["Location"]
    return found.group(1)


def mapping_form(app: Flask, token: str, **changes: str) -> dict[str, str]:
    """The mapping as detected, with `changes` (header → field) applied."""
    job = store(app).load(token)
    form = {}
    for i, header in enumerate(job.headers):
        if header:
            form[f"col-{i}"] = changes.get(header, job.mapping.get(header, ""))
    return form


def validate(client: FlaskClient, app: Flask, token: str, **extra: str) -> Any:
    response = client.post(
        f"/ledger/jobs/{token}/mapping", data={**mapping_form(app, token), **extra}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    wait(app, token)
    return client.get(f"/ledger/jobs/{token}")


# ---------------------------------------------------------------- upload, report, import


def test_messy_file_report_download_and_partial_import(
    world: World, app: Flask, client: FlaskClient, auth: AuthActions, tmp_path: Path
) -> None:
    auth.login("supervisor")
    path = write_csv(tmp_path / "建档立卡.csv", REGISTRY_HEADER, messy_rows(), "gbk")
    token = token_of(upload(client, path, "registry"))
    page = client.get(f"/ledger/jobs/{token}/mapping").get_data(as_text=True)
    assert "表头在第 4 行" in page
    # The detected field is preselected under each header.
    assert re.search(r'data-header="证件号码">.*?value="id_number" selected', page, re.S)
    assert re.search(r'data-header="人均纯收入（元）">.*?value="income_year" selected', page, re.S)

    page = validate(client, app, token).get_data(as_text=True)
    assert 'id="rows-invalid">3<' in page and 'id="rows-total">7<' in page
    assert "校验位" in page and "与第 7 行为同一人" in page and "同一人出现在两个家庭" in page
    assert "15 位旧身份证号已转换为 18 位" in page
    assert count(world, RosterRow) == 0  # validating writes nothing

    progress = client.get(f"/ledger/jobs/{token}/progress.json").get_json()
    assert progress == {
        "phase": "validated",
        "phase_label": "校验完成，待确认导入",
        "rows_done": 7,
        "rows_estimate": progress["rows_estimate"],
        "percent": 100,
        "running": False,
    }

    report = client.get(f"/ledger/jobs/{token}/report.xlsx")
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("行号", "字段", "类型", "说明")
    errors = [(r[0], r[1]) for r in rows[2:] if r[2] == "错误"]
    assert errors == [(9, "证件号码"), (10, "证件号码"), (11, "证件号码")]
    # ID numbers quoted in the findings are masked, on the page and in the download.
    cells = " ".join(str(c) for r in rows for c in r if c)
    assert BAD_ID not in cells and BAD_ID not in page and mask_id_number(BAD_ID) in cells
    assert NEW18 not in page and mask_id_number(NEW18) in page

    # With errors, importing needs the explicit acceptance.
    refused = client.post(f"/ledger/jobs/{token}/import", data={}, follow_redirects=True)
    assert "须勾选" in refused.get_data(as_text=True)
    assert count(world, RosterImport) == 0
    assert client.post(f"/ledger/jobs/{token}/import", data={"accept_skip": "1"}).status_code == 302
    wait(app, token)
    page = client.get(f"/ledger/jobs/{token}").get_data(as_text=True)
    assert "已导入 4 行（共 7 行），跳过有误的 3 行" in page
    world.session.rollback()
    record = world.session.scalars(select(RosterImport)).one()
    assert (record.status, record.rows_imported, record.rows_skipped) == ("valid_rows_only", 4, 3)
    names = world.session.scalars(select(RosterRow.id_number).order_by(RosterRow.row_no)).all()
    assert names == [pid(1961, 11), NEW18, pid(1990, 23), pid(1950, 25)]
    assert not store(app).source(store(app).load(token)).exists()  # the upload copy is gone
    assert client.post(f"/ledger/jobs/{token}/import", data={"accept_skip": "1"}).status_code == 302
    assert count(world, RosterImport) == 1  # a second click imports nothing more
    # The job is the uploader's: another district user cannot reach it.
    auth.logout()
    auth.login("approver")
    assert client.get(f"/ledger/jobs/{token}").status_code == 404
    assert client.get(f"/ledger/jobs/{token}/report.xlsx").status_code == 404


def test_unknown_header_mapped_by_hand_saved_as_preset_and_reused(
    world: World, app: Flask, client: FlaskClient, auth: AuthActions, tmp_path: Path
) -> None:
    auth.login("approver")
    header = ["户主", "乡镇", "村", "成员", "身份号", "保障类别"]  # 成员 / 身份号: no known alias
    rows = [
        ["钱二", "滨河镇", "示例村", "钱二", pid(1960, 41), "A"],
        ["钱二", "滨河镇", "示例村", "钱二妻", pid(1962, 42), "A"],
    ]
    path = write_xlsx(tmp_path / "低保.xlsx", header, rows)
    token = token_of(upload(client, path, "dibao_roster"))
    page = client.get(f"/ledger/jobs/{token}/mapping").get_data(as_text=True)
    assert "未能自动识别表头" in page and "表头在第 4 行" in page
    # Without the ID and name columns nothing starts.
    bad = client.post(f"/ledger/jobs/{token}/mapping", data=mapping_form(app, token))
    assert bad.status_code == 400
    assert "须指定以下字段对应的列：证件号码、姓名" in bad.get_data(as_text=True)
    twice = mapping_form(app, token, 成员="name", 身份号="name")
    bad = client.post(f"/ledger/jobs/{token}/mapping", data=twice)
    assert bad.status_code == 400 and "每个字段只能对应一列" in bad.get_data(as_text=True)

    form = mapping_form(app, token, 成员="name", 身份号="id_number")
    response = client.post(
        f"/ledger/jobs/{token}/mapping",
        data={**form, "save_preset": "1", "preset_name": "民政系统导出 A"},
    )
    assert response.status_code == 302
    wait(app, token)
    page = client.get(f"/ledger/jobs/{token}").get_data(as_text=True)
    assert "全部 2 行校验通过" in page
    client.post(f"/ledger/jobs/{token}/import")
    wait(app, token)
    assert world.session.scalars(select(RosterImport.status)).all() == ["complete"]
    saved = world.session.scalars(
        select(AdminEvent).where(AdminEvent.action == "ledger.preset_saved")
    ).one()
    assert saved.payload["mapping"]["身份号"] == "id_number"

    # The next upload of the same layout with the preset is recognised at once.
    token2 = token_of(upload(client, path, "dibao_roster", preset="民政系统导出 A"))
    page = client.get(f"/ledger/jobs/{token2}/mapping").get_data(as_text=True)
    assert "未能自动识别表头" not in page and "已套用方案「民政系统导出 A」" in page
    assert re.search(r'data-header="身份号">.*?value="id_number" selected', page, re.S)
    # Cancel: nothing imported, the file is deleted.
    client.post(f"/ledger/jobs/{token2}/cancel")
    assert count(world, RosterImport) == 1
    assert not store(app).source(store(app).load(token2)).exists()


def bad_xlsx(tmp_path: Path) -> Path:
    path = tmp_path / "坏文件.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    return path


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("名单.pdf", b"%PDF-1.4", "只能上传 .xlsx 或 .csv 文件"),
        ("名单.xls", b"\xd0\xcf\x11\xe0", "另存为 .xlsx"),
        ("名单.csv", b"", "文件为空"),
        ("名单.csv", b"\n\n , ,\n", "文件为空"),
        ("名单.xlsx", b"PK\x03\x04 not a workbook", "无法读取 Excel 文件：文件已损坏或不完整"),
        ("名单.xlsx", b"a,b\n1,2\n", "内容不是 Excel 工作簿"),
        ("名单.xlsx", b"", "文件为空"),
    ],
)
def test_bad_files_are_refused_in_chinese(
    world: World,
    client: FlaskClient,
    auth: AuthActions,
    name: str,
    content: bytes,
    message: str,
) -> None:
    auth.login("supervisor")
    data = {"kind": "registry", "file": (io.BytesIO(content), name)}
    response = client.post("/ledger/upload", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(world, RosterImport) == count(world, RosterRow) == 0


def test_rosters_have_their_own_size_limit(
    world: World, app: Flask, engine: Engine, tmp_path: Path
) -> None:
    """Bigger than the app-wide limit for scanned materials, yet bounded."""
    rows = [reg_row(f"H{i}", "户主", "户主", pid(1950 + i % 50, i + 1), "户主") for i in range(400)]
    path = write_csv(tmp_path / "大.csv", REGISTRY_HEADER, rows, "utf-8")
    size = path.stat().st_size
    assert size > 20_000
    for limit, expected in ((size * 2, 302), (size // 2, 413)):
        big = make_app(engine, tmp_path, MAX_CONTENT_LENGTH=10_000, LEDGER_UPLOAD_MAX_BYTES=limit)
        try:
            client = big.test_client()
            AuthActions(client).login("supervisor")
            response = upload(client, path, "registry")
            assert response.status_code == expected
            if expected == 413:
                assert "名单文件过大（上限 0 MB）" in response.get_data(as_text=True)
            other = client.post("/desk/households/new", data={"address": "x" * 20_000})
            assert other.status_code == 413  # the app-wide limit still holds elsewhere
        finally:
            big.extensions["caseflow_engine"].dispose()


def test_upload_form_errors_and_header_only_file(
    world: World, app: Flask, client: FlaskClient, auth: AuthActions, tmp_path: Path
) -> None:
    auth.login("supervisor")
    response = client.post("/ledger/upload", data={"kind": "nonsense"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "请选择名单类型" in text and "请选择要上传的文件" in text
    path = write_csv(tmp_path / "空表.csv", REGISTRY_HEADER, [], "utf-8-sig")
    token = token_of(upload(client, path, "registry"))
    page = validate(client, app, token).get_data(as_text=True)
    assert "表头以下没有任何数据行" in page and "无法导入" in page
    assert client.post(f"/ledger/jobs/{token}/import").status_code == 302
    assert count(world, RosterImport) == 0


def test_a_file_that_breaks_halfway_fails_cleanly(
    world: World, app: Flask, client: FlaskClient, auth: AuthActions, tmp_path: Path
) -> None:
    """Readable header, unreadable bytes past the encoding sniffer's sample: a failed job with a
    Chinese message, nothing imported, no 500."""
    auth.login("supervisor")
    rows = [
        reg_row(f"H{i}", f"户主{i}", f"户主{i}", pid(1950 + i % 50, i % 900 + 1), "户主")
        for i in range(900)
    ]
    path = write_csv(tmp_path / "坏编码.csv", REGISTRY_HEADER, rows, "utf-8")
    with path.open("ab") as fh:
        fh.write(b"H9999,\xff\xfe\xfd,\xc0\n")
    token = token_of(upload(client, path, "registry"))
    response = validate(client, app, token)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "失败" in page and "编码与文件开头不一致" in page and "重新上传" in page
    assert client.get(f"/ledger/jobs/{token}/progress.json").get_json()["phase"] == "failed"
    assert client.post(f"/ledger/jobs/{token}/import").status_code == 302
    assert count(world, RosterImport) == count(world, RosterRow) == 0


# ---------------------------------------------------------------- runs, worklist, jurisdiction


@dataclass
class Run:
    id: int
    by_head: dict[str, ComparisonResult]


def build_run(world: World, tmp_path: Path) -> Run:
    """Households in 滨河镇 (示例村 and 二村) and one in 文昌镇, covering C3, C4, C5 and C8."""
    s = world.session
    dead = [pid(1940, 301), pid(1942, 302)]
    registry_rows = [
        reg_row(
            "R1",
            "周五",
            "周五",
            pid(1945, 231),
            "户主",
            labour="丧失劳动力",
            cause="因病",
            income="1200",
        ),
        reg_row("R2", "吴六", "吴六", pid(1975, 232), "户主", income="36000"),
        reg_row("R3", "陈三", "陈三", pid(1976, 233), "户主", village="二村", income="36000"),
        reg_row("R4", "李四", "李四", dead[0], "户主", attribute="低保贫困户"),
        reg_row("R4", "李四", "李四妻", dead[1], "配偶", attribute="低保贫困户"),
        # C7: a child born since is only in the registry
        reg_row("R5", "孙三", "孙三", pid(1961, 250), "户主", attribute="低保贫困户"),
        reg_row("R5", "孙三", "孙小", pid(2020, 251), "之子", attribute="低保贫困户"),
        reg_row(
            "R9",
            "赵九",
            "赵九",
            pid(1944, 239),
            "户主",
            township="文昌镇",
            village="东村",
            labour="丧失劳动力",
            cause="因残",
            income="1200",
        ),
    ]
    roster_rows = [
        ["李四", "滨河镇", "示例村", "李四", dead[0], "户主", "A", "2", "300"],
        ["李四", "滨河镇", "示例村", "李四妻", dead[1], "配偶", "A", "2", "300"],
        ["郑七", "滨河镇", "示例村", "郑七", pid(1950, 240), "户主", "A", "1", "100"],
        ["孙三", "滨河镇", "示例村", "孙三", pid(1961, 250), "户主", "B", "", "300"],
    ]
    files = [
        (write_csv(tmp_path / "reg.csv", REGISTRY_HEADER, registry_rows, "gbk"), "registry"),
        (write_xlsx(tmp_path / "dibao.xlsx", ROSTER_HEADER, roster_rows), "dibao_roster"),
        (
            write_csv(tmp_path / "d.csv", LIST_HEADER, [["李四", dead[0], "死亡"]], "utf-8"),
            "deaths",
        ),
    ]
    ids = []
    for path, kind in files:
        result = import_roster(s, path, kind, world.actor("supervisor"), T0)
        assert result.import_id is not None, result.report
        ids.append(result.import_id)
    run = run_comparison(
        s, ids[0], ids[1:], world.actor("supervisor"), T0, include_system_cases=False
    )
    rows = s.scalars(select(ComparisonResult).where(ComparisonResult.run_id == run.id))
    by_head = {r.head_name: r for r in rows}
    assert {h: r.category for h, r in by_head.items()} == {
        "周五": "C3",
        "吴六": "C4",
        "陈三": "C4",
        "李四": "C8",
        "郑七": "C5",
        "赵九": "C3",
        "孙三": "C7",
    }
    return Run(run.id, by_head)


def heads(html: str) -> list[str]:
    return re.findall(r'class="result-link"[^>]*>([^<]+)<', html)


def test_worklist_counts_filters_and_paging(
    world: World,
    client: FlaskClient,
    auth: AuthActions,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = build_run(world, tmp_path)
    auth.login("supervisor")
    page = client.get(f"/ledger/runs/{run.id}").get_data(as_text=True)
    assert "共 7 户" in page
    assert sorted(heads(page)) == sorted(["周五", "吴六", "陈三", "李四", "郑七", "赵九", "孙三"])
    assert 'data-township="640502100"' in page and 'data-township="640502101"' in page
    page = client.get(f"/ledger/runs/{run.id}?category=C3").get_data(as_text=True)
    assert sorted(heads(page)) == ["周五", "赵九"]
    page = client.get(f"/ledger/runs/{run.id}?category=C4&township=640502100").get_data(
        as_text=True
    )
    assert sorted(heads(page)) == ["吴六", "陈三"]
    assert 'id="village-counts"' in page and "二村" in page
    page = client.get(f"/ledger/runs/{run.id}?township=640502100&village=二村").get_data(
        as_text=True
    )
    assert heads(page) == ["陈三"]
    monkeypatch.setattr("caseflow_web.ledger.PER_PAGE", 4)
    first = client.get(f"/ledger/runs/{run.id}").get_data(as_text=True)
    second = client.get(f"/ledger/runs/{run.id}?page=2").get_data(as_text=True)
    assert "第 1 / 2 页" in first and len(heads(first)) == 4 and len(heads(second)) == 3
    assert set(heads(first)) | set(heads(second)) == set(run.by_head)
    # Bad filter values never give a 500.
    for query in ("category=C9", "page=abc", "page=99999999999", "village=%00"):
        assert client.get(f"/ledger/runs/{run.id}?{query}").status_code in (200, 400)
    assert client.get("/ledger/runs/999999").status_code == 404


def test_township_staff_see_only_their_township(
    world: World, client: FlaskClient, auth: AuthActions, tmp_path: Path
) -> None:
    run = build_run(world, tmp_path)
    other_row = run.by_head["赵九"].id  # 文昌镇
    auth.login("clerk")  # 滨河镇
    page = client.get(f"/ledger/runs/{run.id}").get_data(as_text=True)
    assert "赵九" not in page and "共 6 户" in page
    assert client.get(f"/ledger/runs/{run.id}?township=640502101").status_code == 404
    assert client.get(f"/ledger/results/{other_row}").status_code == 404
    response = client.post(f"/ledger/results/{other_row}/action", data={"action": "invited"})
    assert response.status_code == 404
    world.session.rollback()
    assert world.session.get_one(ComparisonResult, other_row).action == "none"
    export = client.get(f"/ledger/runs/{run.id}/export.xlsx")
    wb = load_workbook(io.BytesIO(export.data), read_only=True)
    cells = " ".join(
        str(c) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for c in r if c
    )
    assert "赵九" not in cells and "周五" in cells and pid(1945, 231) not in cells
    # Importing and starting runs is district work.
    for url in ("/ledger/upload", "/ledger/runs/new"):
        assert client.get(url).status_code == 403
    auth.logout()
    auth.login("other_clerk")
    page = client.get(f"/ledger/runs/{run.id}").get_data(as_text=True)
    assert heads(page) == ["赵九"]
    assert client.get(f"/ledger/results/{run.by_head['周五'].id}").status_code == 404


@pytest.mark.parametrize("user", ["finance", "admin"])
def test_roles_without_ledger_work_are_refused(
    world: World, client: FlaskClient, auth: AuthActions, tmp_path: Path, user: str
) -> None:
    run = build_run(world, tmp_path)
    auth.login(user)
    for url in (
        "/ledger/",
        "/ledger/upload",
        f"/ledger/runs/{run.id}",
        f"/ledger/results/{run.by_head['周五'].id}",
        f"/ledger/runs/{run.id}/export.xlsx",
    ):
        assert client.get(url).status_code == 403, url


def test_start_a_run_from_the_page(
    world: World, app: Flask, client: FlaskClient, auth: AuthActions, tmp_path: Path
) -> None:
    """The form is checked at once; the comparison runs in the background with a progress page,
    which turns into the run when it is done."""
    run = build_run(world, tmp_path)
    auth.login("supervisor")
    page = client.get("/ledger/runs/new").get_data(as_text=True)
    assert "建档立卡名单" in page
    response = client.post(
        "/ledger/runs/new", data={"registry_import_id": "2", "include_system_cases": "1"}
    )
    assert response.status_code == 400 and "不是建档立卡名单" in response.get_data(as_text=True)
    runs_before = count(world, ComparisonRun)
    imports = world.session.scalars(select(RosterImport).order_by(RosterImport.id)).all()
    response = client.post(
        "/ledger/runs/new",
        data={
            "registry_import_id": str(imports[0].id),
            "roster_import_id": [str(i.id) for i in imports[1:]],
        },
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "/ledger/comparisons/" in location
    token = location.rsplit("/", 1)[-1]
    wait(app, token)
    job = store(app).load(token)
    assert job.phase == "compared" and job.run_id is not None and job.message == "比对完成：共 7 户"
    progress = client.get(f"/ledger/jobs/{token}/progress.json").get_json()
    assert progress["percent"] == 100 and not progress["running"]
    done = client.get(location)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/runs/{job.run_id}")
    assert job.run_id != run.id and count(world, ComparisonRun) == runs_before + 1
    page = client.get(f"/ledger/runs/{job.run_id}").get_data(as_text=True)
    assert "共 7 户" in page and "比对完成：共 7 户" in page
    # While one of the user's comparisons runs, starting another leads to it instead.
    app_now = app.config["NOW"]()
    busy = store(app).create(job.user_id, "comparison", "进行中的比对", "", app_now)
    store(app).update(busy.token, app_now, phase="comparing")
    # Its worker beats (the test clock moves a minute per reading: a beat ahead of it).
    store(app).beat(busy.token, app_now + timedelta(minutes=30))
    again = client.post(
        "/ledger/runs/new",
        data={"registry_import_id": str(imports[0].id), "include_system_cases": "1"},
    )
    assert again.status_code == 302 and again.headers["Location"].endswith(busy.token)
    assert count(world, ComparisonRun) == runs_before + 1
    # An upload's page asked with a comparison's token, and someone else's comparison: not found.
    assert client.get(f"/ledger/jobs/{token}").status_code == 404
    auth.login("approver")
    assert client.get(location).status_code == 404


def test_a_failed_background_comparison_is_reported_and_saves_nothing(
    world: World,
    app: Flask,
    client: FlaskClient,
    auth: AuthActions,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build_run(world, tmp_path)
    runs_before = count(world, ComparisonRun)
    auth.login("supervisor")

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("caseflow.ledger.compare._carried_actions", broken)
    imports = world.session.scalars(select(RosterImport).order_by(RosterImport.id)).all()
    response = client.post(
        "/ledger/runs/new",
        data={"registry_import_id": str(imports[0].id), "include_system_cases": "1"},
    )
    location = response.headers["Location"]
    wait(app, location.rsplit("/", 1)[-1])
    page = client.get(location)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "比对时发生系统错误，未保存任何比对结果" in text and "重新开始比对" in text
    assert count(world, ComparisonRun) == runs_before
    index = client.get("/ledger/").get_data(as_text=True)
    assert "进行中或未完成的比对" in index and "失败" in index


def test_actions_fire_and_show_in_the_case_timeline(
    world: World, client: FlaskClient, auth: AuthActions, tmp_path: Path
) -> None:
    run = build_run(world, tmp_path)
    c8 = run.by_head["李四"].id
    auth.login("reviewer")
    page = client.get(f"/ledger/results/{c8}").get_data(as_text=True)
    assert "死亡人员名单" in page and pid(1940, 301) not in page and "640502****" in page
    assert 'value="removal_started"' in page and 'value="invited"' not in page
    wrong = client.post(f"/ledger/results/{c8}/action", data={"action": "invited"})
    assert wrong.status_code == 400 and "不能" in wrong.get_data(as_text=True)
    empty = client.post(f"/ledger/results/{c8}/action", data={"action": "no_action"})
    assert empty.status_code == 400 and "不作处理须填写理由" in empty.get_data(as_text=True)

    done = client.post(f"/ledger/results/{c8}/action", data={"action": "removal_started"})
    assert done.status_code == 302
    world.session.rollback()
    row = world.session.get_one(ComparisonResult, c8)
    assert row.action == "removal_started" and row.action_case_id is not None
    case = world.session.get_one(Case, row.action_case_id)
    assert (case.case_type, case.state) == ("removal", "reported")
    page = client.get(f"/ledger/results/{c8}").get_data(as_text=True)
    assert "已启动停保清退" in page and case.case_no in page
    timeline = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "台账比对C8" in timeline
    entries = re.search(r'<ol class="timeline">(.*?)</ol>', timeline, re.S)
    assert entries and "reviewer" in entries.group(1)
    again = client.post(f"/ledger/results/{c8}/action", data={"action": "removal_started"})
    assert again.status_code == 400 and "该户已处理" in again.get_data(as_text=True)

    # The poverty liaison refers the C5 household: a referral case, sent through fire().
    auth.logout()
    auth.login("liaison")
    c5 = run.by_head["郑七"].id
    assert (
        client.post(f"/ledger/results/{c5}/action", data={"action": "referred"}).status_code == 302
    )
    world.session.rollback()
    case_id = world.session.get_one(ComparisonResult, c5).action_case_id
    triggers = world.session.scalars(
        select(CaseEvent.trigger).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
    ).all()
    assert triggers == ["open", "send_referral"]
    # A role that may not refer gets no button and a refusal.
    auth.logout()
    auth.login("clerk")
    c4 = run.by_head["吴六"].id
    page = client.get(f"/ledger/results/{c4}").get_data(as_text=True)
    assert 'value="no_action"' in page and 'value="referred"' not in page
    ok = client.post(
        f"/ledger/results/{c4}/action", data={"action": "no_action", "reason": "有劳动能力"}
    )
    assert ok.status_code == 302
    page = client.get(f"/ledger/runs/{run.id}?action=done").get_data(as_text=True)
    c7 = run.by_head["孙三"].id
    page = client.get(f"/ledger/results/{c7}").get_data(as_text=True)
    assert "仅建档立卡登记的成员：孙小" in page and 'value="reconciled"' in page
    done = client.post(
        f"/ledger/results/{c7}/action", data={"action": "reconciled", "reason": "新生儿"}
    )
    assert done.status_code == 302
    page = client.get(f"/ledger/runs/{run.id}?action=done").get_data(as_text=True)
    assert sorted(heads(page)) == ["吴六", "孙三", "李四", "郑七"]


def test_csrf_is_required(world: World, app: Flask, engine: Engine, tmp_path: Path) -> None:
    """`app` sets the users' test password; a second app here has CSRF switched on."""
    run = build_run(world, tmp_path)
    app = make_app(engine, tmp_path, WTF_CSRF_ENABLED=True)
    try:
        client = app.test_client()
        login = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', login)
        assert token
        signed_in = client.post(
            "/login",
            data={
                "username": "reviewer",
                "password": "test-pass-2026",
                "csrf_token": token.group(1),
            },
        )
        assert signed_in.status_code == 302
        c8 = run.by_head["李四"].id
        refused = client.post(f"/ledger/results/{c8}/action", data={"action": "removal_started"})
        assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)
        world.session.rollback()
        assert world.session.get_one(ComparisonResult, c8).action == "none"
        page = client.get(f"/ledger/results/{c8}").get_data(as_text=True)
        form_token = re.search(
            r'id="action-form">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page
        )
        assert form_token
        accepted = client.post(
            f"/ledger/results/{c8}/action",
            data={"action": "removal_started", "csrf_token": form_token.group(1)},
        )
        assert accepted.status_code == 302
    finally:
        app.extensions["caseflow_engine"].dispose()


def test_upload_without_csrf_token_is_refused(world: World, engine: Engine, tmp_path: Path) -> None:
    app = make_app(engine, tmp_path, WTF_CSRF_ENABLED=True)
    try:
        client = app.test_client()
        wb = Workbook()
        buf = io.BytesIO()
        wb.save(buf)
        response = client.post(
            "/ledger/upload",
            data={"kind": "registry", "file": (io.BytesIO(buf.getvalue()), "x.xlsx")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 400
        assert count(world, RosterImport) == 0
    finally:
        app.extensions["caseflow_engine"].dispose()
