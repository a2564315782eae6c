"""The API's one description: every operation is declared here as data and registered on the
blueprint from the same declaration (caseflow_web.api.views.operation), so the OpenAPI document at
/api/v1/openapi.json cannot drift from the routes that exist.

Schemas are JSON Schema (OpenAPI 3.1 uses JSON Schema 2020-12 as is)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

API_PREFIX = "/api/v1"
MAX_PER_PAGE = 200
MAX_PAGE = 100_000


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_STR = {"type": "string"}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}
_DT = {"type": ["string", "null"], "format": "date-time"}
_NSTR = {"type": ["string", "null"]}
_NINT = {"type": ["integer", "null"]}


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": props,
        "required": list(props) if required is None else required,
    }


def _paged(item: str) -> dict[str, Any]:
    return _obj(
        {
            "total": _INT,
            "page": _INT,
            "per_page": _INT,
            "items": {"type": "array", "items": _ref(item)},
        }
    )


SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": _obj(
        {
            "error": {**_STR, "description": "machine-readable code, e.g. not_found"},
            "message": {**_STR, "description": "Chinese message for people"},
            "fields": {
                "type": "object",
                "additionalProperties": _STR,
                "description": "field name → Chinese message",
            },
        }
    ),
    "HouseholdSummary": _obj(
        {
            "id": _INT,
            "head_name": _STR,
            "org_code": _STR,
            "org_name": _STR,
            "address": _STR,
            "member_count": _INT,
            "created_at": _DT,
        }
    ),
    "Member": _obj(
        {
            "id": _INT,
            "name": _STR,
            "relation": _STR,
            "sex": _STR,
            "birth_date": {"type": "string", "format": "date"},
            "id_number": {**_STR, "description": "masked unless the role needs it (then logged)"},
            "labour_capacity": _STR,
            "health": _STR,
            "disability_grade": _NINT,
            "is_student": _BOOL,
        }
    ),
    "CaseRef": _obj(
        {"id": _INT, "case_no": _STR, "workflow": _STR, "state": _STR, "is_final": _BOOL}
    ),
    "Household": _obj(
        {
            "id": _INT,
            "head_name": _STR,
            "org_code": _STR,
            "org_name": _STR,
            "address": _STR,
            "phone": _STR,
            "bank_name": _STR,
            "bank_account": _STR,
            "personal_data_full": _BOOL,
            "created_at": _DT,
            "members": {"type": "array", "items": _ref("Member")},
            "cases": {"type": "array", "items": _ref("CaseRef")},
        }
    ),
    "HouseholdPage": _paged("HouseholdSummary"),
    "Case": _obj(
        {
            "id": _INT,
            "case_no": _STR,
            "case_type": _STR,
            "workflow": _STR,
            "workflow_label": _STR,
            "ruleset": _STR,
            "state": _STR,
            "state_label": _STR,
            "is_final": _BOOL,
            "version": {**_INT, "description": "send it back with a transition (compare-and-set)"},
            "household_id": _NINT,
            "org_code": _STR,
            "org_name": _STR,
            "opened_at": _DT,
            "state_entered_at": _DT,
            "closed_at": _DT,
            "due_at": _DT,
            "overdue": _BOOL,
            "escalation_level": _INT,
            "summary": _STR,
            "flags": _obj(
                {"illness": _BOOL, "disability": _BOOL, "sudden": _BOOL, "staff_relative": _BOOL}
            ),
        }
    ),
    "CasePage": _paged("Case"),
    "CaseEvent": _obj(
        {
            "seq": _INT,
            "trigger": _STR,
            "from_state": _NSTR,
            "to_state": _STR,
            "actor": _STR,
            "actor_role": _STR,
            "at": _DT,
            "payload": {"type": "object"},
        }
    ),
    "CaseDetail": {
        "allOf": [
            _ref("Case"),
            _obj({"events": {"type": "array", "items": _ref("CaseEvent")}}),
        ]
    },
    "PayloadField": _obj(
        {
            "name": _STR,
            "label": _STR,
            "type": {
                "enum": [
                    "text",
                    "date",
                    "int",
                    "fen",
                    "bool",
                    "choice",
                    "list",
                    "members",
                    "records",
                ]
            },
            "required": _BOOL,
            "choices": {"type": "array", "items": _STR},
        }
    ),
    "Transition": _obj(
        {
            "trigger": _STR,
            "label": _STR,
            "dest": _NSTR,
            "blocked_reason": {
                **_NSTR,
                "description": "set when only a guard is in the way (Chinese reason)",
            },
            "payload": {"type": "array", "items": _ref("PayloadField")},
        }
    ),
    "TransitionList": _obj(
        {
            "case_id": _INT,
            "version": _INT,
            "state": _STR,
            "transitions": {"type": "array", "items": _ref("Transition")},
        }
    ),
    "FireRequest": {
        "type": "object",
        "properties": {
            "trigger": {"type": "string", "maxLength": 40},
            "version": {"type": "integer", "minimum": 1},
            "payload": {"type": "object"},
        },
        "required": ["trigger", "version"],
    },
    "FireResult": _obj(
        {
            "case_id": _INT,
            "trigger": _STR,
            "from_state": _STR,
            "to_state": _STR,
            "version": _INT,
            "event_id": _INT,
        }
    ),
    "RosterImport": _obj(
        {
            "id": _INT,
            "kind": _STR,
            "kind_label": _STR,
            "file_name": _STR,
            "sha256": _STR,
            "imported_at": _DT,
            "rows_total": _INT,
            "rows_imported": _INT,
            "rows_skipped": _INT,
            "status": _STR,
        }
    ),
    "RosterImportPage": _paged("RosterImport"),
    "RosterRow": _obj(
        {
            "row_no": _INT,
            "household_key": _STR,
            "head_name": _STR,
            "township": _STR,
            "township_code": _NSTR,
            "village": _STR,
            "id_number": {**_STR, "description": "masked"},
            "name": _STR,
            "relation": _STR,
            "health": _STR,
            "labour_capacity": _STR,
            "attribute": _STR,
            "main_cause": _STR,
            "income_fen": {**_NINT, "description": "per capita per month, fen"},
            "aid_class": _STR,
            "household_size": _NINT,
        }
    ),
    "RosterRowPage": _paged("RosterRow"),
    "ComparisonResult": _obj(
        {
            "id": _INT,
            "household_key": _STR,
            "category": {"enum": ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"]},
            "needs_decision": _BOOL,
            "head_name": _STR,
            "township_code": _NSTR,
            "village": _STR,
            "household_id": _NINT,
            "action": _STR,
            "action_reason": _STR,
            "action_at": _DT,
            "action_case_id": _NINT,
            "evidence": {"type": "object", "description": "ID numbers masked"},
        }
    ),
    "ComparisonResultPage": _paged("ComparisonResult"),
}


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # path | query
    schema: dict[str, Any]
    description: str = ""
    required: bool = False

    def document(self) -> dict[str, Any]:
        """The OpenAPI parameter object."""
        out: dict[str, Any] = {
            "name": self.name,
            "in": self.where,
            "required": self.required or self.where == "path",
            "schema": self.schema,
        }
        if self.description:
            out["description"] = self.description
        return out


def path_id(name: str, description: str) -> Param:
    """An integer id in the path (positive, 32-bit like the routes accept)."""
    return Param(name, "path", {"type": "integer", "minimum": 1}, description, True)


PAGING = (
    Param("page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
    Param(
        "per_page",
        "query",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50},
    ),
)

ERROR_TEXT = {
    400: "请求有误（fields 逐项说明）",
    401: "缺少、无效、过期或已吊销的访问令牌",
    403: "令牌所属用户的角色无权执行",
    404: "记录不存在或不在令牌的管辖范围内",
    409: "状态冲突：案件已被他人处理（版本号不符）或当前状态不能执行该操作",
    413: "请求体过大",
    422: "条件不满足（guard）",
    429: "请求过于频繁，见 Retry-After",
}


@dataclass(frozen=True)
class Operation:
    """One API operation: where it lives, what it takes, what it answers."""

    method: str
    path: str  # OpenAPI style: /cases/{case_id}
    operation_id: str
    summary: str
    response: str | None  # schema name of the 200 answer (None: a file, see `files`)
    params: tuple[Param, ...] = ()
    body: str | None = None
    errors: tuple[int, ...] = (400, 401, 403, 429)
    files: tuple[str, ...] = ()  # media types of a file answer
    public: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def flask_rule(self) -> str:
        """The werkzeug rule: path ids become bounded ints."""
        rule = self.path
        for p in self.params:
            if p.where == "path":
                rule = rule.replace("{" + p.name + "}", f"<int:{p.name}>")
        return rule

    def document(self) -> dict[str, Any]:
        """The OpenAPI operation object."""
        responses: dict[str, Any] = {}
        if self.response is not None:
            responses["200"] = {
                "description": "成功",
                "content": {"application/json": {"schema": _ref(self.response)}},
            }
        else:
            responses["200"] = {
                "description": "文件",
                "content": {
                    m: {"schema": {"type": "object" if m == "application/json" else "string"}}
                    for m in self.files
                },
            }
        for code in self.errors:
            responses[str(code)] = {
                "description": ERROR_TEXT[code],
                "content": {"application/json": {"schema": _ref("Error")}},
            }
            if code == 429:
                responses["429"]["headers"] = {
                    "Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}
                }
        out: dict[str, Any] = {
            "operationId": self.operation_id,
            "summary": self.summary,
            "parameters": [p.document() for p in self.params],
            "responses": responses,
        }
        if self.tags:
            out["tags"] = list(self.tags)
        if self.body:
            out["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _ref(self.body)}},
            }
        if self.public:
            out["security"] = []
        return out


def build_document(operations: list[Operation], server_url: str = API_PREFIX) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `operations`."""
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = op.document()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "caseflow 数据交换接口",
            "version": "1.0.0",
            "description": (
                "供其他系统使用的 JSON 接口。以 `Authorization: Bearer <令牌>` 认证；令牌代表一个"
                "用户，具有该用户的角色，管辖范围限于令牌所属单位。错误一律以 JSON 返回："
                '{"error": 代码, "message": 说明, "fields": {字段: 说明}}。'
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
    }
