# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Fan-out of one logging job over queue_job workers: one worker, then two.

Each worker is a separate process with its own registry and connection, which
takes the pending queue jobs of the addon's channel one at a time
(``FOR UPDATE SKIP LOCKED``, as queue_job's runner hands them out to its
workers), performs them and commits, until none is left.  The same e-mail
segment size is logged once with one worker and once with two; the time is
from the moment every worker is ready until the last one is done.  Needs OCA
queue_job installed in the database.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHANNEL = "root.crm_campaign_segment"


def run(env, args):
    from bench_logging import _bench_partners, _segment, _template, _write

    if "queue.job" not in env:
        _write("fanout: OCA queue_job is not installed in this database: skipped\n")
        return
    params = env["ir.config_parameter"].sudo()
    params.set_param("crm_campaign_segment.background_threshold", 0)
    params.set_param("crm_campaign_segment.batch_size", 1000)
    params.set_param("crm_campaign_segment.use_queue_job", "True")
    env.user.partner_id.email = env.user.partner_id.email or "admin@example.com"
    count = min(args.contacts, 20_000)
    partner_ids = _bench_partners(env, count)
    env.cr.commit()
    results = {}
    for workers in (1, 2):
        template = _template(env, f"BENCH-FAN{workers}")
        segment = _segment(
            env, template, partner_ids, "email", f"Benchmark fan-out {workers}"
        )
        logged = env["crm.logged.segment"].browse(segment.log_segment(send=True))
        env.cr.commit()
        seconds, reruns = _work(args, workers)
        env.invalidate_all()
        if logged.job_state != "done" or logged.line_done != count:
            raise RuntimeError(
                f"{logged.name}: {logged.job_state}, {logged.line_done} lines"
            )
        mails = env["mail.mail"].search_count(
            [
                ("model", "=", "crm.interaction"),
                ("res_id", "in", logged.interaction_ids.ids),
            ]
        )
        results[workers] = count / seconds
        _write = sys.stdout.write
        _write(
            f"fan-out, {workers} worker(s): {count} e-mail lines, {mails} mails in "
            f"{seconds:.2f} s ({count / seconds:.0f} lines/s, {reruns} jobs "
            "retried after a serialization failure)\n"
        )
    _write(f"fan-out: 2 workers / 1 worker = {results[2] / results[1]:.2f} x\n")


def _work(args, workers):
    """Run ``workers`` worker processes until the channel has no job left.

    :return: (seconds from start to the last worker done, jobs retried)
    """
    with tempfile.TemporaryDirectory() as folder:
        go = Path(folder) / "go"
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    args.config,
                    args.database,
                    str(go),
                    str(Path(folder) / f"ready{index}"),
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            for index in range(workers)
        ]
        while not all(
            (Path(folder) / f"ready{index}").exists() for index in range(workers)
        ):
            if any(proc.poll() is not None for proc in procs):
                raise RuntimeError("a worker stopped before it was ready")
            time.sleep(0.1)
        start = time.time()
        go.touch()
        reports = []
        for proc in procs:
            out, __ = proc.communicate()
            if proc.returncode:
                raise RuntimeError(f"worker failed ({proc.returncode})")
            reports.append(json.loads(out.strip().splitlines()[-1]))
    return max(r["end"] for r in reports) - start, sum(r["reruns"] for r in reports)


def _worker(config, database, go, ready):
    """One queue_job worker: pending jobs of the channel until none is left."""
    import psycopg2

    import odoo
    from odoo import SUPERUSER_ID, api

    odoo.tools.config.parse_config(["-c", config, "-d", database])
    registry = odoo.modules.registry.Registry(database)
    from odoo.addons.queue_job.job import Job

    Path(ready).touch()
    while not os.path.exists(go):
        time.sleep(0.01)
    reruns = 0
    while True:
        with registry.cursor() as cr:
            cr.execute(
                """
                SELECT uuid FROM queue_job
                 WHERE state = 'pending' AND channel = %s
                 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
                """,
                [CHANNEL],
            )
            row = cr.fetchone()
            if not row:
                cr.execute(
                    """
                    SELECT COUNT(*) FROM queue_job
                     WHERE channel = %s
                       AND state IN ('pending', 'enqueued', 'started')
                    """,
                    [CHANNEL],
                )
                if not cr.fetchone()[0]:
                    break
                cr.rollback()
                time.sleep(0.05)
                continue
            env = api.Environment(cr, SUPERUSER_ID, {})
            job = Job.load(env, row[0])
            try:
                with cr.savepoint():
                    job.perform()
                    job.set_done()
                    job.store()
                    env.flush_all()
            except psycopg2.errors.SerializationFailure:
                reruns += 1
                cr.rollback()
                continue
            cr.commit()
            if job.should_check_dependents():
                job.enqueue_waiting()
                cr.commit()
    sys.stdout.write(json.dumps({"end": time.time(), "reruns": reruns}) + "\n")


if __name__ == "__main__":
    _worker(*sys.argv[1:5])
