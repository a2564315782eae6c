"""Typed errors of the core, each with a message a clerk can read (Chinese)."""

from __future__ import annotations


class CaseflowError(Exception):
    """Base class: `message_zh` is shown to users, `str(err)` goes to logs."""

    message_zh: str = "操作失败"

    def __init__(self, message_zh: str | None = None, detail: str | None = None) -> None:
        if message_zh is not None:
            self.message_zh = message_zh
        super().__init__(detail or self.message_zh)


class CaseNotFound(CaseflowError):
    """The case does not exist, or is outside the actor's jurisdiction (we do not say which)."""

    message_zh = "案件不存在或不在您的管辖范围内"


class UnknownTrigger(CaseflowError):
    """The workflow declares no such action at all."""


class TransitionNotAllowed(CaseflowError):
    """The action exists but not from the case's current state."""


class PermissionDenied(CaseflowError):
    """Role, jurisdiction or separation of duties forbid the actor."""


class GuardFailed(CaseflowError):
    """A named guard refused; `guard` names it, `message_zh` says why."""

    def __init__(self, guard: str, message_zh: str) -> None:
        self.guard = guard
        super().__init__(message_zh, f"guard {guard} failed: {message_zh}")


class PayloadInvalid(CaseflowError):
    """Form data missing or malformed; `fields` maps field name → Chinese message."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields
        # The messages name each field by its Chinese label; the internal names stay in
        # `fields` (for placing the message beside its input) and in the log detail only.
        text = "；".join(fields.values())
        super().__init__(f"填写有误：{text}", f"invalid payload: {fields}")


class ConcurrencyConflict(CaseflowError):
    """Someone else changed the case first (stale version or lost lock race)."""

    message_zh = "该案件刚被他人处理，请刷新页面后重试"


class DatabaseBusy(ConcurrencyConflict):
    """The database stayed locked by other writers longer than we wait (SQLite under load):
    nothing was written, trying again shortly will work."""

    message_zh = "系统繁忙，请稍后再试"


class DefinitionError(CaseflowError):
    """A workflow or rule-set file is broken; the message names file:line and the reason."""


class ClaimConflict(CaseflowError):
    """The case is claimed by someone else (or was claimed a moment ago)."""

    message_zh = "该案件已被他人认领，请刷新页面"


class InputError(ValueError):
    """A file or value the user supplied cannot be used; `str(err)` is one Chinese sentence a
    clerk can act on (the CLI prints it as is, the web shows it beside the field)."""
