"""`caseflow serve`: waitress in production mode, Flask's own server only with --debug.

The server also runs the deadline sweep in-process (a daemon thread under a database lease, so
several server instances and a cron `caseflow tick` never double up).
"""

from __future__ import annotations

import logging


def run(host: str = "127.0.0.1", port: int = 5000, debug: bool = False) -> None:
    """Serve the app until interrupted (sweep interval, proxy and logging as configured)."""
    from caseflow.cli.logs import configure_logging
    from caseflow.kernel.settings import load_settings
    from caseflow.timer.scheduler import SweepScheduler
    from caseflow_web import create_app

    settings = load_settings()
    # the `caseflow` group set up warnings-only logging for the short commands
    configure_logging(logging.INFO, settings.log_format)
    app = create_app()
    interval = float(settings.sweep_interval_seconds)
    scheduler = SweepScheduler(app.extensions["caseflow_sessions"], interval=interval or 60.0)
    if interval:  # 0: the sweep runs from a timer (`caseflow tick`) instead
        scheduler.start()
    worker = None
    if settings.in_process_worker:  # a single server runs its own jobs (and any left queued)
        from threading import Thread

        from caseflow.timer.worker import Worker
        from caseflow_web.ledger import job_store

        worker = Worker(app.extensions["caseflow_sessions"], job_store(app))
        Thread(target=worker.run, name="caseflow-worker", daemon=True).start()
    try:
        if debug:
            app.run(host=host, port=port, debug=True, use_reloader=False)
            return
        import waitress

        proxy: dict[str, object] = {}
        if settings.trusted_proxy:  # the HTTPS proxy's view of the scheme and the client
            proxy = {
                "trusted_proxy": settings.trusted_proxy,
                "trusted_proxy_headers": "x-forwarded-for x-forwarded-proto",
            }
        print(f"caseflow 已启动：http://{host}:{port}/", flush=True)  # the operator's only hint
        waitress.serve(app, host=host, port=port, threads=8, **proxy)
    finally:
        scheduler.stop()
        if worker is not None:
            worker.stop()
