"""`caseflow serve`: waitress in production mode, Flask's own server only with --debug.

The server also runs the deadline sweep in-process (a daemon thread under a database lease, so
several server instances and a cron `caseflow tick` never double up).
"""

from __future__ import annotations

import logging


def run(
    host: str = "127.0.0.1", port: int = 5000, debug: bool = False, sweep_interval: float = 60.0
) -> None:
    """Serve the app until interrupted."""
    from caseflow.db.logsafe import redact_handlers
    from caseflow.timer.scheduler import SweepScheduler
    from web import create_app

    # force: the `caseflow` group set up warnings-only logging for the short commands
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", force=True)
    redact_handlers(logging.getLogger())
    app = create_app()
    scheduler = SweepScheduler(app.extensions["caseflow_sessions"], interval=sweep_interval)
    scheduler.start()
    try:
        if debug:
            app.run(host=host, port=port, debug=True, use_reloader=False)
            return
        import waitress

        print(f"caseflow 已启动：http://{host}:{port}/")  # the operator's only hint
        waitress.serve(app, host=host, port=port, threads=8)
    finally:
        scheduler.stop()
