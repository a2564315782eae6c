"""The `caseflow` command as installed: the core's command groups, plus `serve` for the web app.

The core's CLI (caseflow.cli) never imports the web package; the outermost layer adds the one
command that needs it.
"""

from __future__ import annotations

import click

from caseflow.cli.helpers import ready_engine
from caseflow.cli.main import main
from caseflow.cli.zh import localise_tree


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址。")
@click.option("--port", default=5000, show_default=True, help="监听端口。")
@click.option("--debug", is_flag=True, help="使用 Flask 开发服务器（切勿用于生产环境）。")
def serve(host: str, port: int, debug: bool) -> None:
    """启动网页应用（生产模式使用 waitress）。"""
    from caseflow.kernel.settings import ConfigError, load_settings, production_problems
    from caseflow_web.server import run  # only this command needs the web stack loaded

    problems = production_problems(load_settings())
    if problems:  # before anything listens: name every missing key (Chinese, then English)
        raise ConfigError("\n".join(problems))
    # Refuse before listening: a server on a database without its tables or accounts would answer
    # every sign-in with 系统内部错误.
    ready_engine(need_accounts=True).dispose()
    run(host=host, port=port, debug=debug)


localise_tree(main)  # again: `serve` joined the tree after the core's commands

if __name__ == "__main__":
    main()
