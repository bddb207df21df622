# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Logging fanned out over queue jobs (OCA queue_job, optional)."""

import unittest

from odoo.tests import tagged
from odoo.tools import mute_logger

from .test_segment_log import SegmentLogCase

CHANNEL = "root.crm_campaign_segment"


@tagged("post_install", "-at_install")
class TestLogWithQueueJob(SegmentLogCase):
    """Each batch is a queue job on the crm_campaign_segment channel; exactly
    once whatever the order, the retries and the crashes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "queue.job" not in cls.env:
            raise unittest.SkipTest("OCA queue_job is not installed")
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("crm_campaign_segment.background_threshold", 4)
        params.set_param("crm_campaign_segment.batch_size", 3)
        cls.many = cls.env["res.partner"].create(
            [
                {"name": f"Queue Visitor {index}", "email": f"queue{index}@example.com"}
                for index in range(7)
            ]
        )

    def _queue(self, **values):
        segment = self._make_segment(
            "email", partners=self.many, send_word_as_attachment=False, **values
        )
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment(send=True, create_follow_up=True)
        )
        self.assertEqual(logged.job_state, "queued")
        self.assertTrue(logged.log_fanned_out)
        return segment, logged

    def _jobs(self, logged):
        return (
            self.env["queue.job"]
            .sudo()
            .search(
                [
                    ("model_name", "=", "crm.logged.segment"),
                    ("method_name", "=", "_log_queue_batch"),
                    ("records", "like", f"[{logged.id}]"),
                ],
                order="id",
            )
            .filtered(lambda job: job.records == logged)
            # in the order of their lines
            .sorted(lambda job: job.args)
        )

    def _perform(self, job):
        from odoo.addons.queue_job.job import Job

        queued = Job.load(self.env, job.uuid)
        queued.perform()
        queued.set_done()
        queued.store()
        self.env.invalidate_all()

    def _mails(self, logged):
        return self.env["mail.mail"].search_count(
            [
                ("model", "=", "crm.interaction"),
                ("res_id", "in", logged.interaction_ids.ids),
            ]
        )

    def test_batches_are_queue_jobs_logged_exactly_once(self):
        segment, logged = self._queue()
        jobs = self._jobs(logged)
        self.assertEqual(len(jobs), 3)
        self.assertEqual(set(jobs.mapped("channel")), {CHANNEL})
        self.assertEqual(set(jobs.mapped("user_id")), {self.user})
        # the cron leaves a fanned-out job to its queue jobs
        self.env["crm.logged.segment"]._cron_log_segments()
        self.assertFalse(logged.interaction_ids)

        # batches in any order, in parallel workers
        self._perform(jobs[1])
        self.assertEqual(len(logged.interaction_ids), 3)
        # a retry, or a second worker on the same batch: nothing twice
        self._perform(jobs[1])
        self.assertEqual(len(logged.interaction_ids), 3)
        self.assertEqual(self._mails(logged), 3)
        # a worker killed in the middle of a batch: all of it rolls back
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(RuntimeError),
            self.env.cr.savepoint(),
        ):
            self._perform(jobs[0])
            self.assertEqual(len(logged.interaction_ids), 6)
            raise RuntimeError("worker killed")
        self.env.invalidate_all()
        self.assertEqual(len(logged.interaction_ids), 3)
        self.assertEqual(logged.job_state, "queued")
        for job in jobs:
            self._perform(job)
        self.assertEqual(logged.job_state, "done")
        interactions = logged.interaction_ids
        self.assertEqual(len(interactions), 7)
        self.assertEqual(interactions.segment_line_id, segment.line_ids)
        self.assertEqual(len(interactions.mail_id), 7)
        self.assertEqual(self._mails(logged), 7)
        self.assertEqual(logged.line_done, 7)
        self.assertEqual(logged.follow_up_segment_id.line_ids.partner_id, self.many)

    def test_cancel_and_restore_a_fanned_out_job(self):
        __, logged = self._queue(description="Queue cancel")
        jobs = self._jobs(logged)
        self._perform(jobs[0])
        logged.with_user(self.manager).action_cancel()
        for job in jobs[1:]:
            self._perform(job)
        self.assertEqual(len(logged.interaction_ids), 3)
        # restoring queues the remaining batches again
        logged.with_user(self.manager).action_restore()
        remaining = self._jobs(logged).filtered(lambda job: job.state == "pending")
        self.assertEqual(len(remaining), 2)
        for job in remaining:
            self._perform(job)
        self.assertEqual(logged.job_state, "done")
        self.assertEqual(len(logged.interaction_ids), 7)
        self.assertEqual(self._mails(logged), 7)

    def test_failing_batch_stops_the_job_in_error(self):
        """A batch that fails (a template broken after queueing) is rolled
        back and sets the job to Error, as on the cron path; the other
        batches then do nothing, and a manager's retry logs the rest once."""
        segment, logged = self._queue()
        jobs = self._jobs(logged)
        self.assertEqual(len(jobs), 3)
        self._perform(jobs[0])
        self.assertEqual(len(logged.interaction_ids), 3)
        self.template.language_ids.write({"body_html": "<p>{{ object.name + }}</p>"})
        with mute_logger("odoo.addons.crm_campaign_segment.models.crm_segment_logging"):
            self._perform(jobs[1])
        self.assertEqual(logged.job_state, "error")
        self.assertIn("Logging stopped on an error", logged.message_ids[0].body)
        # the failing batch wrote nothing, the last one does nothing
        self.assertEqual(len(logged.interaction_ids), 3)
        self._perform(jobs[2])
        self.assertEqual(len(logged.interaction_ids), 3)
        self.template.language_ids.write(
            {"body_html": "<p>Hello {{ object.name }}</p>"}
        )
        logged.with_user(self.manager).action_retry_logging()
        self.assertEqual(logged.job_state, "queued")
        for job in self._jobs(logged) - jobs:
            self._perform(job)
        self.assertEqual(len(logged.interaction_ids), 7)
        self.assertEqual(len(set(logged.interaction_ids.segment_line_id.ids)), 7)
        self.assertEqual(self._mails(logged), 7)
        self.assertEqual(logged.job_state, "done")
