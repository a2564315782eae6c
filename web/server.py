"""`caseflow serve`: waitress in production mode, Flask's own server only with --debug."""

from __future__ import annotations


def run(host: str = "127.0.0.1", port: int = 5000, debug: bool = False) -> None:
    """Serve the app until interrupted."""
    from web import create_app

    app = create_app()
    if debug:
        app.run(host=host, port=port, debug=True)
        return
    import waitress

    print(f"caseflow 已启动：http://{host}:{port}/")  # the operator's only hint
    waitress.serve(app, host=host, port=port, threads=8)
