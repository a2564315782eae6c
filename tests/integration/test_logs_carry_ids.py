"""Server logs name cases and users by id: no applicant's name, hardship reason or ID number."""

from __future__ import annotations

import io
import logging
from datetime import datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from support import SH, T0, World

from caseflow.db.engine import make_session_factory
from caseflow.db.logsafe import redact_handlers, safe_text
from caseflow.engine.fire import open_case
from caseflow.timer.sweep import sweep

REASON = "丈夫因车祸重残，长期卧床，家中无劳动力"


def test_deadline_notifications_are_logged_by_ids_without_names_or_reasons(
    engine: Engine, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    household = world.household()
    case = open_case(world.session, "dibao", household.id, world.actor("clerk"), T0, summary=REASON)
    world.session.commit()
    caplog.set_level(logging.INFO)
    report = sweep(make_session_factory(engine), datetime(2026, 3, 20, 9, 0, tzinfo=SH))
    assert report.levels_reached > 0
    notices = [r.getMessage() for r in caplog.records if r.name == "caseflow.inbox.send"]
    assert notices, "the sweep's notifications reach the log"
    assert all(f"case {case.id}" in line for line in notices)
    assert REASON not in caplog.text
    assert household.head_name not in caplog.text
    assert case.case_no not in caplog.text


def test_a_failed_statement_is_logged_without_its_values(engine: Engine) -> None:
    id_number = "640502199001011234"
    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(
            text("INSERT INTO members (household_id, name, id_number) VALUES (:h, :n, :i)"),
            {"h": None, "n": "王大明", "i": id_number},
        )
    record = logging.LogRecord(
        "caseflow.web",
        logging.ERROR,
        __file__,
        1,
        "failed",
        None,
        (type(caught.value), caught.value, caught.value.__traceback__),
    )
    handler = logging.StreamHandler(io.StringIO())
    logger = logging.Logger("probe")
    logger.addHandler(handler)
    redact_handlers(logger)
    logged = logging.Formatter().format(record) if handler.filter(record) else ""
    assert "INSERT INTO members" in logged and "Traceback" in logged
    assert "王大明" not in logged
    assert id_number not in logged
    assert "王大明" not in safe_text(caught.value)
