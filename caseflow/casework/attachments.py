"""Scanned materials on disk under the instance folder, named by SHA-256; type by magic bytes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import Attachment, Case
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound

# Extension → (magic prefix, content type). Only what a scanner or phone produces.
KINDS = {
    "pdf": (b"%PDF-", "application/pdf"),
    "jpg": (b"\xff\xd8\xff", "image/jpeg"),
    "jpeg": (b"\xff\xd8\xff", "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png"),
}
CHUNK = 64 * 1024


class UploadRejected(ValueError):
    """The file is refused; the message is Chinese, for the clerk."""


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    content_type: str


def clean_filename(name: str) -> str:
    """Keep Chinese names readable, drop paths and control characters (display only)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip()
    return base[-200:] or "未命名文件"


def store_file(stream: IO[bytes], filename: str, folder: Path, max_bytes: int) -> Stored:
    """Copy the stream to folder/<aa>/<sha256>, refusing wrong types and oversize files."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in KINDS:
        raise UploadRejected("只能上传 PDF、JPG 或 PNG 文件")
    magic, content_type = KINDS[ext]
    folder.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            first = True
            while chunk := stream.read(CHUNK):
                if first and not chunk.startswith(magic):
                    raise UploadRejected("文件内容与扩展名不符，只能上传 PDF、JPG 或 PNG 文件")
                first = False
                size += len(chunk)
                if size > max_bytes:
                    raise UploadRejected(f"文件过大（上限 {max_bytes // (1024 * 1024)} MB）")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise UploadRejected("文件为空")
        sha = digest.hexdigest()
        target = path_for(folder, sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return Stored(sha, size, content_type)


def path_for(folder: Path, sha256: str) -> Path:
    """Where a file with this checksum lives."""
    return folder / sha256[:2] / sha256


def add_attachment(
    session: Session,
    actor: Actor,
    case_id: int,
    stored: Stored,
    filename: str,
    material: str,
    now: datetime,
) -> Attachment:
    """Record an attachment on a case inside the actor's jurisdiction (committed)."""
    with UnitOfWork(session) as uow:
        case_ok = session.scalar(
            select(Case.id).where(Case.id == case_id, in_jurisdiction(Case.org_path, actor))
        )
        if case_ok is None or actor.user_id is None:
            raise CaseNotFound()
        row = Attachment(
            case_id=case_id,
            filename=clean_filename(filename),
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            material=material[:100],
            uploaded_by_id=actor.user_id,
            uploaded_at=now,
        )
        session.add(row)
        uow.commit()
    return row


def attachment_in_scope(session: Session, actor: Actor, case_id: int, att_id: int) -> Attachment:
    """The attachment, only if its case is inside the actor's jurisdiction (in SQL)."""
    row = session.scalar(
        select(Attachment)
        .join(Case, Attachment.case_id == Case.id)
        .where(
            Attachment.id == att_id,
            Attachment.case_id == case_id,
            in_jurisdiction(Case.org_path, actor),
        )
    )
    if row is None:
        raise CaseNotFound("附件不存在或不在您的管辖范围内")
    return row
