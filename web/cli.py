"""The `caseflow` command as installed: the core's command groups, plus `serve` for the web app.

The core's CLI (caseflow.cli) never imports the web package; the outermost layer adds the one
command that needs it.
"""

from __future__ import annotations

import click

from caseflow.cli.helpers import ready_engine
from caseflow.cli.main import main


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--debug", is_flag=True, help="Flask's development server (never in production).")
def serve(host: str, port: int, debug: bool) -> None:
    """Run the web application (waitress in production mode)."""
    from web.server import run  # only this command needs the web stack loaded

    # Refuse before listening: a server on a database without its tables or accounts would answer
    # every sign-in with 系统内部错误.
    ready_engine(need_accounts=True).dispose()
    run(host=host, port=port, debug=debug)


if __name__ == "__main__":
    main()
