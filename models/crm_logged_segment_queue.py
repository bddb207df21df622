# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Fan-out of logging jobs over workers with OCA ``queue_job`` (optional).

When ``queue_job`` is installed, a queued logging job is split into batches of
consecutive segment lines, each one a queue job on the ``crm_campaign_segment``
channel, which the job runner hands to as many workers (and servers) as the
channel's capacity allows.  Without ``queue_job``, the ``ir.cron`` job logs the
batches one after the other (``crm_logged_segment_job``).

Exactly once on both paths: a batch leaves out the lines whose interaction
exists (unique index on logged segment and line, which also refuses a second
one) and delivers only what it wrote; a crash rolls the whole batch back, and
a retry or a second worker on the same batch finds its lines logged and does
nothing.  Batches of one job share no row they write: progress is counted
from the interactions.
"""

import psycopg2

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

QUEUE_CHANNEL = "root.crm_campaign_segment"


class CrmLoggedSegment(models.Model):
    _inherit = "crm.logged.segment"

    log_fanned_out = fields.Boolean(
        string="Logged by Queue Jobs",
        readonly=True,
        copy=False,
        help="The batches of this job are queue jobs (OCA queue_job).",
    )

    def _log_use_queue_job(self):
        """Fan out when queue_job is installed, unless the system parameter
        ``crm_campaign_segment.use_queue_job`` is ``False``."""
        if "queue.job" not in self.env:
            return False
        param = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("crm_campaign_segment.use_queue_job", "True")
        )
        return param.strip().lower() not in ("false", "0", "")

    def _log_enqueue(self):
        """One queue job per batch of the lines not logged yet, when
        ``queue_job`` is installed; else the background cron."""
        if not self._log_use_queue_job():
            return super()._log_enqueue()
        from odoo.addons.queue_job.delay import group

        channel = self._log_queue_channel()
        for logged in self:
            logged.sudo().log_fanned_out = True
            job = logged.with_user(logged.user_id).with_company(logged.company_id)
            batches = [
                job.delayable(
                    channel=channel,
                    identity_key=f"crm_logged_segment:{logged.id}:{after}:{upto}",
                    description=self.env._(
                        "Log segment %(logged)s, lines %(first)s-%(last)s",
                        logged=logged.display_name,
                        first=after + 1,
                        last=upto,
                    ),
                )._log_queue_batch(after, upto)
                for after, upto in logged._log_batch_ranges()
            ] or [job.delayable(channel=channel)._log_queue_batch(0, 0)]
            # batches finishing at the same time in two workers may each see
            # the other's lines uncommitted: a last job closes the logging
            # once all batches are done
            group(*batches).on_done(
                job.delayable(
                    channel=channel,
                    description=self.env._(
                        "Close the logging of segment %(logged)s",
                        logged=logged.display_name,
                    ),
                )._log_queue_finalize()
            ).delay()
        return True

    def _log_queue_channel(self):
        """The ``crm_campaign_segment`` channel, created when missing."""
        Channel = self.env["queue.job.channel"].sudo()
        if not Channel.search([("complete_name", "=", QUEUE_CHANNEL)], limit=1):
            Channel.create(
                {"name": QUEUE_CHANNEL.split(".")[-1], "parent_id": self._log_root()}
            )
        return QUEUE_CHANNEL

    def _log_root(self):
        return self.env.ref("queue_job.channel_root").id

    def _log_batch_ranges(self):
        """(after line id, up to line id) of each batch of the lines without an
        interaction yet: computed once when the job is queued (or restored)."""
        self.ensure_one()
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT MIN(id) - 1, MAX(id)
                  FROM (SELECT l.id,
                               (ROW_NUMBER() OVER (ORDER BY l.id) - 1) / %(size)s
                                   AS batch
                          FROM crm_segment_line l
                         WHERE l.segment_id = %(segment)s
                           AND NOT EXISTS (
                                SELECT 1 FROM crm_interaction i
                                 WHERE i.logged_segment_id = %(logged)s
                                   AND i.segment_line_id = l.id)) lines
                 GROUP BY batch
                 ORDER BY batch
                """,
                size=self._log_batch_size(),
                segment=self.segment_id.id or 0,
                logged=self.id,
            )
        )
        return [(after, upto) for after, upto in rows]

    def _log_queue_batch(self, after, upto):
        """One batch of a logging job, run by a queue job worker.

        Several batches of a job run at once; a batch holds a key-share lock
        on the job (a manager cannot cancel it meanwhile) and an advisory
        lock on its range (a second worker on the same batch retries later
        and then finds it done).
        """
        self.ensure_one()
        from odoo.addons.queue_job.exception import RetryableJobError

        if not self.segment_id:
            self.sudo().job_state = "done"
            return self.env._("The segment was deleted: nothing to log.")
        logged = self
        try:
            logged._log_lock(shared=True)
        except UserError as error:
            raise RetryableJobError(str(error), seconds=10) from None
        locked = self.env.execute_query(
            SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", self.id, after)
        )[0][0]
        if not locked:
            raise RetryableJobError("Batch taken by another worker", seconds=10)
        logged.invalidate_recordset(["job_state", "canceled"])
        if logged.job_state != "queued" or logged.canceled:
            # canceled: restoring the job queues its remaining batches again
            return self.env._("Not logged: the job is not queued any more.")
        done = 0
        if upto:
            try:
                with self.env.cr.savepoint():
                    done = logged._log_write_batch(
                        (after, upto, None), move_cursor=False
                    )
            except (psycopg2.OperationalError, RetryableJobError):
                # transient (lock, serialization): queue_job retries the batch
                raise
            except Exception as error:  # noqa: BLE001 - any error stops the job
                # as on the cron path: the batch is rolled back, the job is in
                # Error (its other batches do nothing), a manager retries it
                logged._log_job_failed(error)
                return self.env._("Logging stopped on an error: %(error)s", error=error)
        logged._log_queue_finalize()
        return self.env._("%(count)s lines logged.", count=done)

    def _log_queue_finalize(self):
        """Close a fanned-out job whose lines are all logged (by the last
        batch, or by the job that runs once all batches are done)."""
        self.ensure_one()
        self.invalidate_recordset(["job_state", "canceled", "line_done"])
        if self.job_state != "queued" or self.canceled:
            return self.env._("Not closed: the job is not queued any more.")
        if self.line_done < self.line_total:
            return self.env._("Not closed: lines are left to log.")
        self._log_finalize()
        return self.env._("Logging closed.")
