"""The pieces behind the ledger upload pages: job state (in a SQLite file of its own), mapping
checks, header sniffing, masking of ID numbers in report messages."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ledger_support import REGISTRY_HEADER, pid, write_csv, write_xlsx

from caseflow.db.engine import make_engine
from caseflow.kernel.idnumber import mask_ids
from caseflow.ledger.columns import PRESETS, match_header
from caseflow.ledger.dryrun import sniff_header
from caseflow.ledger.jobs import STALE_AFTER, JobNotFound, JobStore, job_engine
from caseflow.ledger.reader import EmptyFile, UnreadableFile
from caseflow.ledger.saved_presets import check_mapping, preset_for

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def make_store(tmp_path: Path) -> JobStore:
    return JobStore(tmp_path / "cache", job_engine(make_engine(f"sqlite:///{tmp_path / 'db'}")))


def test_job_state_round_trip_owner_and_tokens(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    job = store.create(7, "registry", "名单.csv", ".csv", NOW)
    assert store.load(job.token, 7).file_name == "名单.csv"
    with pytest.raises(JobNotFound):
        store.load(job.token, 8)  # someone else's upload
    for token in ("../etc", job.token.upper(), job.token + "0", ""):
        with pytest.raises(JobNotFound):
            store.load(token)
    store.update(job.token, NOW, phase="validating", rows_estimate=200, rows_done=50)
    running = store.load(job.token)
    assert running.percent() == 25 and not running.stale(NOW + STALE_AFTER)
    assert running.stale(NOW + STALE_AFTER + timedelta(seconds=1))
    assert timedelta(minutes=1) >= STALE_AFTER  # an interrupted import is told within a minute
    # A worker's beat keeps a job without progress alive; its absence makes it stale.
    store.beat(job.token, NOW + timedelta(seconds=50))
    beaten = store.load(job.token)
    assert not beaten.stale(NOW + timedelta(seconds=100))
    assert beaten.stale(NOW + timedelta(seconds=111)) and beaten.phase == "validating"
    assert beaten.interrupted_label() == "校验已中断"
    store.update(job.token, NOW, rows_done=500)
    assert store.load(job.token).percent() == 99  # never 100 before the phase has finished
    store.update(job.token, NOW, phase="validated")
    assert store.load(job.token).percent() == 100
    assert [j.token for j in store.recent(7)] == [job.token] and store.recent(8) == []


def test_files_travel_through_the_database_and_discard_keeps_only_the_state(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    job = store.create(1, "deaths", "d.csv", ".csv", NOW)
    store.source(job).write_text("x", encoding="utf-8")
    store.keep_file(job, store.source(job))
    store.report_lines(job).write_text("{}", encoding="utf-8")
    store.keep_file(job, store.report_lines(job))
    shutil.rmtree(store.folder(job.token))  # another server: its files come from the database
    assert store.source(job).read_text(encoding="utf-8") == "x"
    store.discard_files(job)
    assert not store.source(job).exists() and not store.report_lines(job).exists()
    assert store.load(job.token).file_name == "d.csv"  # the state stays


def test_mapping_checks() -> None:
    assert check_mapping({"身份证": "id_number", "姓名": "name", "备注": ""}) == {}
    problems = check_mapping({"A": "name", "B": "name", "C": "nonsense"})
    assert "每个字段只能对应一列" in problems["B"] and "未知字段" in problems["C"]
    assert problems["_required"] == "须指定以下字段对应的列：证件号码"
    # "" (not imported) overrides a known alias.
    preset = preset_for("deaths", {"姓名": "", "名字": "name"})
    assert match_header("姓名", preset) is None and match_header("名字", preset) == "name"


def test_sniff_finds_the_header_or_the_likeliest_row(tmp_path: Path) -> None:
    rows = [["H1", "张三", "滨河镇", "示例村", "张三", pid(1960, 1), "户主", "", "", "", "", "1"]]
    found = sniff_header(
        write_xlsx(tmp_path / "a.xlsx", REGISTRY_HEADER, rows), PRESETS["registry"]
    )
    assert found.found and found.row_no == 4
    assert found.detected[found.headers.index("证件号码")] == "id_number"
    odd = ["户主", "乡镇", "成员", "身份号"]
    guess = sniff_header(
        write_csv(tmp_path / "b.csv", odd, [["张三", "滨河镇", "张三", pid(1960, 1)]], "gbk"),
        PRESETS["registry"],
    )
    assert not guess.found and guess.row_no == 4 and guess.headers == odd
    assert guess.detected == {0: "head_name", 1: "township"}  # preselected where recognisable
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"\r\n,,\r\n")
    with pytest.raises(EmptyFile):
        sniff_header(empty, PRESETS["registry"])
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(UnreadableFile):
        sniff_header(broken, PRESETS["registry"])


def test_ids_in_messages_are_masked() -> None:
    full = pid(1958, 21)
    assert mask_ids(f"已转换为 18 位：{full}") == f"已转换为 18 位：{full[:6]}********{full[-4:]}"
    assert mask_ids(f"（{full[:6]}{full[8:17]}）") == f"（{full[:6]}*****{full[13:17]}）"
    assert mask_ids("与第 12 行为同一人，重复登记") == "与第 12 行为同一人，重复登记"


def test_claim_once_and_prune_abandoned_uploads(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    old = store.create(1, "registry", "old.csv", ".csv", NOW)
    busy = store.create(1, "registry", "busy.csv", ".csv", NOW)
    store.update(busy.token, NOW, phase="importing")
    fresh = store.create(1, "registry", "new.csv", ".csv", NOW + timedelta(days=7))
    assert store.claim(old, "import") and not store.claim(old, "import")
    assert store.claim(old, "validation")
    store.beat(busy.token, NOW + timedelta(days=7))  # its worker is still at it
    assert store.prune(NOW + timedelta(days=7, seconds=1)) == 1  # not the running one
    assert {j.token for j in store.recent(1)} == {busy.token, fresh.token}
