"""The one place an operator configures caseflow: environment variables over `caseflow.toml`.

Every key has a name in the file, an environment variable, a type, a default and a Chinese
description (`caseflow config show` prints them, the README's "Deploying" section lists them).
The file is `$CASEFLOW_CONFIG`, else `caseflow.toml` in the working directory when present.
An environment variable wins over the file, so a systemd unit can override one key.

Production mode (`env = "production"`, `CASEFLOW_ENV=production`) requires what a development
machine may leave out: a shared secret key (several servers behind one load balancer must accept
each other's sessions) and an explicit database URL.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from caseflow.kernel.errors import InputError

PRODUCTION = "production"
DEVELOPMENT = "development"
CONFIG_ENV = "CASEFLOW_CONFIG"
DEFAULT_CONFIG_FILE = "caseflow.toml"
MIN_SECRET_LENGTH = 32


class ConfigError(InputError):
    """A configuration the process must not run with; the message is Chinese, then English."""


@dataclass(frozen=True)
class Key:
    name: str  # in caseflow.toml
    env: str  # environment variable
    kind: type  # str | int | float | bool
    default: Any
    about_zh: str


KEYS: tuple[Key, ...] = (
    Key("env", "CASEFLOW_ENV", str, DEVELOPMENT, "运行模式：development 或 production"),
    Key(
        "database_url",
        "CASEFLOW_DATABASE_URL",
        str,
        None,
        "数据库地址，如 postgresql://caseflow@db/caseflow；未设置时用 ./instance 下的 SQLite 文件",
    ),
    Key(
        "secret_key",
        "CASEFLOW_SECRET_KEY",
        str,
        None,
        "会话签名密钥（至少 32 个字符；各服务器相同）；生产模式必须设置",
    ),
    Key(
        "session_lifetime_minutes",
        "CASEFLOW_SESSION_LIFETIME_MINUTES",
        int,
        480,
        "登录会话有效时长（分钟）",
    ),
    Key(
        "upload_folder",
        "CASEFLOW_UPLOAD_FOLDER",
        str,
        None,
        "附件存放目录（多台服务器时为共享目录）；未设置时为 ./instance/attachments",
    ),
    Key(
        "idle_timeout_minutes",
        "CASEFLOW_IDLE_MINUTES",
        int,
        30,
        "无操作多少分钟后自动退出登录",
    ),
    Key(
        "https",
        "CASEFLOW_HTTPS",
        bool,
        False,
        "是否经 HTTPS 提供服务（Cookie 加 Secure、发送 HSTS）；生产模式总是视为 HTTPS",
    ),
    Key("log_format", "CASEFLOW_LOG_FORMAT", str, "text", "日志格式：text 或 json"),
    Key(
        "sweep_interval_seconds",
        "CASEFLOW_SWEEP_INTERVAL",
        float,
        60.0,
        "服务器内时限巡检的间隔（秒）；0 表示不在服务器内巡检（改用 caseflow tick 定时任务）",
    ),
    Key("api_rate_limit", "CASEFLOW_API_RATE_LIMIT", int, 120, "接口令牌每个时间窗内的请求上限"),
    Key(
        "api_rate_window_seconds",
        "CASEFLOW_API_RATE_WINDOW",
        int,
        60,
        "接口限流的时间窗（秒）",
    ),
    Key("district_code", "CASEFLOW_DISTRICT_CODE", str, "640502", "本区（县）的行政区划代码"),
    Key(
        "workflows_dir",
        "CASEFLOW_WORKFLOWS_DIR",
        str,
        None,
        "本地流程定义目录（*.yaml，与随程序发布的目录结构相同）；未设置时用随程序发布的流程",
    ),
    Key(
        "rulesets_dir",
        "CASEFLOW_RULESETS_DIR",
        str,
        None,
        "本地规则集目录；未设置时用流程目录下的 rulesets/",
    ),
    Key(
        "in_process_worker",
        "CASEFLOW_IN_PROCESS_WORKER",
        bool,
        True,
        "caseflow serve 是否在进程内运行后台任务；另行运行 caseflow worker 时可设为 false",
    ),
    Key(
        "trusted_proxy",
        "CASEFLOW_TRUSTED_PROXY",
        str,
        None,
        "前置反向代理的地址（如 127.0.0.1），其 X-Forwarded-For/Proto 头才被采信",
    ),
)
_BY_NAME = {key.name: key for key in KEYS}
_CHOICES = {"env": (DEVELOPMENT, PRODUCTION), "log_format": ("text", "json")}


@dataclass(frozen=True)
class Settings:
    values: Mapping[str, Any]
    origins: Mapping[str, str]  # key → "default" | the file's path | the environment variable
    config_file: Path | None

    def __getattr__(self, name: str) -> Any:
        if name in _BY_NAME:
            return self.values[name]
        raise AttributeError(name)

    @property
    def production(self) -> bool:
        return bool(self.values["env"] == PRODUCTION)


def _config_file(environ: Mapping[str, str]) -> Path | None:
    named = environ.get(CONFIG_ENV)
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(
                f"配置文件不存在：{path}（环境变量 {CONFIG_ENV}）"
                f" / config file not found: {path} ({CONFIG_ENV})"
            )
        return path
    local = Path(DEFAULT_CONFIG_FILE)
    return local if local.is_file() else None


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"无法读取配置文件 {path}：{exc} / cannot read config file {path}: {exc}"
        ) from None
    unknown = sorted(set(data) - set(_BY_NAME))
    if unknown:
        names = ", ".join(unknown)
        raise ConfigError(
            f"配置文件 {path} 中有未知的配置项：{names} / unknown keys in {path}: {names}"
        )
    return data


def _convert(key: Key, raw: Any, origin: str) -> Any:
    """The value as the key's type; ConfigError naming the key and where it came from."""
    try:
        if key.kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if key.kind in (int, float) and isinstance(raw, bool):
            raise ValueError(raw)
        value = key.kind(raw)
    except (TypeError, ValueError):
        kind = {bool: "true/false", int: "整数 integer", float: "数字 number"}.get(key.kind, "")
        raise ConfigError(
            f"配置项 {key.name}（{origin}）的值无效，应为{kind} / "
            f"invalid value for {key.name} ({origin}): expected {kind.split()[-1]}"
        ) from None
    if key.name in _CHOICES and value not in _CHOICES[key.name]:
        allowed = " / ".join(_CHOICES[key.name])
        raise ConfigError(
            f"配置项 {key.name}（{origin}）只能是 {allowed}"
            f" / {key.name} ({origin}) must be {allowed}"
        )
    if key.kind in (int, float) and value < 0:
        raise ConfigError(
            f"配置项 {key.name}（{origin}）不能为负数 / {key.name} ({origin}) must not be negative"
        )
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The effective configuration (read afresh: tests and commands change the environment)."""
    environ = os.environ if environ is None else environ
    path = _config_file(environ)
    from_file = _read_file(path) if path is not None else {}
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for key in KEYS:
        if environ.get(key.env, "") != "":
            values[key.name] = _convert(key, environ[key.env], key.env)
            origins[key.name] = key.env
        elif key.name in from_file:
            values[key.name] = _convert(key, from_file[key.name], str(path))
            origins[key.name] = str(path)
        else:
            values[key.name] = key.default
            origins[key.name] = "default"
    return Settings(values, origins, path)


def production_problems(settings: Settings) -> list[str]:
    """What makes the configuration unsafe for production, one bilingual line each (empty
    outside production mode)."""
    if not settings.production:
        return []
    problems = []
    secret = settings.values["secret_key"]
    if not secret:
        problems.append(
            "生产模式必须设置会话密钥 secret_key（环境变量 CASEFLOW_SECRET_KEY 或 caseflow.toml）"
            " / production mode requires secret_key (CASEFLOW_SECRET_KEY or caseflow.toml)"
        )
    elif len(secret) < MIN_SECRET_LENGTH:
        problems.append(
            f"会话密钥 secret_key 太短：至少 {MIN_SECRET_LENGTH} 个字符"
            f" / secret_key is too short: at least {MIN_SECRET_LENGTH} characters"
        )
    if not settings.values["database_url"]:
        problems.append(
            "生产模式必须设置数据库地址 database_url"
            "（环境变量 CASEFLOW_DATABASE_URL 或 caseflow.toml）"
            " / production mode requires database_url (CASEFLOW_DATABASE_URL or caseflow.toml)"
        )
    return problems


def describe(settings: Settings) -> list[str]:
    """`key = value  (origin) — description` lines, the secret and any password hidden."""
    lines = []
    for key in KEYS:
        value = settings.values[key.name]
        if key.name == "secret_key" and value:
            shown = "******"
        elif key.name == "database_url" and value:
            shown = hide_password(value)
        else:
            shown = "（未设置）" if value is None else str(value)
        lines.append(
            f"{key.name} = {shown}  [{settings.origins[key.name]}; {key.env}] {key.about_zh}"
        )
    return lines


def hide_password(url: str) -> str:
    """postgresql://user:secret@host/db → postgresql://user:***@host/db."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, place = rest.rpartition("@")
    user, colon, _password = credentials.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{place}"
