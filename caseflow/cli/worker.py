"""`caseflow worker`: runs the background jobs the web servers queue (ledger validation, import,
comparison), beside or apart from them; any number may run against one database."""

from __future__ import annotations

import logging
import signal
from types import FrameType

import click

from caseflow.cli.helpers import ready_engine
from caseflow.cli.logs import configure_logging
from caseflow.db.engine import make_session_factory
from caseflow.kernel.settings import load_settings
from caseflow.ledger.jobs import JobStore, job_engine
from caseflow.timer.worker import Worker, job_cache_dir


@click.command("worker")
@click.option("--once", is_flag=True, help="处理完队列中现有的任务后退出（供定时任务或测试使用）。")
@click.option("--poll", default=2.0, show_default=True, help="队列为空时的轮询间隔（秒）。")
def worker_command(once: bool, poll: float) -> None:
    """运行后台任务（台账校验、导入、比对）：从数据库的任务队列中领取并执行。"""
    settings = load_settings()
    configure_logging(logging.INFO, settings.log_format)
    engine = ready_engine()
    store = JobStore(job_cache_dir(settings.upload_folder), job_engine(engine))
    worker = Worker(make_session_factory(engine), store)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        worker.stop()  # the running job finishes first

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"caseflow worker {worker.name} 已启动", err=True)
    try:
        ran = worker.run(poll_seconds=poll, once=once)
    except KeyboardInterrupt:
        ran = 0
    finally:
        engine.dispose()
    click.echo(f"共执行 {ran} 个后台任务", err=True)
