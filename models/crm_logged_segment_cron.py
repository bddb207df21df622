# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The background job of logged segments on the ``ir.cron`` path: one batch per
run, after the job's cursor; Odoo's cron runner loops while lines remain."""

import logging
import time
from datetime import timedelta

import psycopg2.errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

LOG_CRON = "crm_campaign_segment.ir_cron_crm_segment_log"
# Odoo's cron runner calls the job up to 10 times per run
# (MAX_BATCH_PER_CRON_JOB): a run stays within the time budget when each call
# stays within a tenth of it
CRON_CALLS_PER_RUN = 10
# seconds per line of the last batch of each job in this process, by
# (database, job id): the next batch is sized to fit the budget
_SECONDS_PER_LINE = {}
# a job locked by another transaction is tried again after this delay
LOCKED_RETRY_DELAY = timedelta(minutes=1)


class CrmLoggedSegment(models.Model):
    _inherit = "crm.logged.segment"

    # -------------------------------------------------------------------------
    # BACKGROUND JOB (ir.cron)
    # -------------------------------------------------------------------------
    def _log_enqueue(self):
        """Have the background job log these queued jobs."""
        self.env.ref(LOG_CRON).sudo()._trigger()

    @api.model
    def _cron_log_segments(self):
        """Log one batch of the oldest queued job; the cron loops on.

        Each run logs the next lines after the job's cursor in the cron's
        transaction, which Odoo commits after the run: after a crash the next
        run starts after the last committed batch.

        Each job runs in a savepoint: a job that fails (a template edited
        into an invalid expression after it was queued, ...) is rolled back,
        set to *Error* with the reason in its chatter, and the run goes on
        with the next queued job; a manager retries or cancels it.  Canceled
        jobs are not processed.
        """
        jobs = self.sudo().search(
            [
                ("job_state", "=", "queued"),
                ("canceled", "=", False),
                ("log_fanned_out", "=", False),
            ],
            order="id",
        )
        done = 0
        for logged in jobs:
            try:
                with self.env.cr.savepoint():
                    processed = logged._log_run_job()
            except psycopg2.OperationalError:
                # transient (lock, serialization): the cron retries later
                raise
            except Exception as error:  # noqa: BLE001 - any error stops the job
                logged._log_job_failed(error)
                continue
            if processed is not None:
                done = processed
                break
        self.env["ir.cron"]._notify_progress(
            done=done, remaining=self._log_remaining_count()
        )

    def _log_run_job(self):
        """Log one batch of this queued job, as the user who logged it.

        :return: the number of lines logged, or None when the job was not
            processed (locked by another transaction, canceled meanwhile)
        """
        self.ensure_one()
        if not self.segment_id:
            # the segment was deleted meanwhile: nothing more can be logged
            self.sudo().job_state = "done"
            return 0
        logged = self.with_user(self.user_id).with_company(self.company_id)
        try:
            logged._log_lock()
        except UserError:
            _logger.info("%s is locked, logging it later", self.name)
            # a run that logs nothing counts as fully done: without a trigger
            # the cron would wait for its next interval
            self.env.ref(LOG_CRON).sudo()._trigger(
                fields.Datetime.now() + LOCKED_RETRY_DELAY
            )
            return None
        # canceled (or set to error) while this run waited for the lock
        logged.invalidate_recordset(["job_state", "canceled", "log_cursor"])
        if logged.job_state != "queued" or logged.canceled:
            return None
        start = time.monotonic()
        done = logged._log_batch(self._log_call_batch_size())
        if done:
            _SECONDS_PER_LINE[self._log_rate_key()] = (time.monotonic() - start) / done
        if not done or not logged._log_has_pending():
            _SECONDS_PER_LINE.pop(self._log_rate_key(), None)
            logged._log_finalize()
        return done

    def _log_rate_key(self):
        return (self.env.cr.dbname, self.id)

    def _log_call_batch_size(self):
        """Lines of this job's next batch on the cron path: the batch size,
        fewer when the last batch showed that it would not fit in a tenth of
        the cron run's time budget (``crm_campaign_segment.cron_time_budget``,
        60 seconds), so that a run ends well before Odoo's real-time limit
        even on a busy machine."""
        size = self._log_batch_size()
        rate = _SECONDS_PER_LINE.get(self._log_rate_key())
        if not rate:
            return size
        budget = float(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("crm_campaign_segment.cron_time_budget", 60)
        )
        fits = int(budget / CRON_CALLS_PER_RUN / rate)
        return max(1, min(size, fits))

    def _log_has_pending(self):
        """Whether lines are left after the cursor (one index probe)."""
        return bool(
            self.env.execute_query(
                SQL(
                    "SELECT 1 FROM crm_segment_line WHERE segment_id = %s "
                    "AND id > %s LIMIT 1",
                    self.segment_id.id,
                    self.log_cursor,
                )
            )
        )

    def _log_job_failed(self, error):
        """Stop a job on an error: state *Error*, the reason in its chatter."""
        reason = error.args[0] if isinstance(error, UserError) else str(error)
        _logger.warning("Logging %s failed: %s", self.name, reason)
        logged = self.sudo()
        logged.job_state = "error"
        logged._message_log(
            body=self.env._(
                "Logging stopped on an error: %(error)s A campaign manager can "
                "retry it once the cause is fixed, or cancel it.",
                error=reason,
            )
        )

    @api.model
    def _log_remaining_count(self):
        """Lines of queued logging jobs not logged yet (lines to log minus
        the interactions written, counted per job on the unique index)."""
        jobs = self.sudo().search(
            [("job_state", "=", "queued"), ("canceled", "=", False)]
        )
        return sum(max(job.line_total - job.line_done, 0) for job in jobs)
