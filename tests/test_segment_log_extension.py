# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Logging creates its records as Odoo does: an addon that extends them keeps
its defaults, required fields, stored computes, create overrides and
automated actions on every logged record, at once and in background batches
(the test addon ``crm_campaign_segment_extension_test`` under tests/addons)."""

import unittest

from odoo.tests import tagged

from .test_segment_log import SegmentLogCase

EXTENSION = "crm_campaign_segment_extension_test"


@tagged("post_install", "-at_install")
class TestLogThroughCreate(SegmentLogCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env["ir.module.module"].search_count(
            [("name", "=", EXTENSION), ("state", "=", "installed")]
        ):
            raise unittest.SkipTest(f"the test addon {EXTENSION} is not installed")
        cls.partners = cls.env["res.partner"].create(
            [
                {
                    "name": f"Extended Visitor {index}",
                    "email": f"ext{index}@example.com",
                }
                for index in range(7)
            ]
        )
        # an automated action on creation, as a user would make it
        cls.env["base.automation"].create(
            {
                "name": "Mark logged interactions",
                "model_id": cls.env.ref(
                    "crm_campaign_segment.model_crm_interaction"
                ).id,
                "trigger": "on_create",
                "filter_domain": "[('logged_segment_id', '!=', False)]",
                "action_server_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Mark",
                            "model_id": cls.env.ref(
                                "crm_campaign_segment.model_crm_interaction"
                            ).id,
                            "state": "code",
                            "code": "records.write({'ext_automated': True})",
                        },
                    )
                ],
            }
        )

    def _check_extended(self, logged, count):
        interactions = logged.interaction_ids
        self.assertEqual(len(interactions), count)
        self.assertEqual(set(interactions.mapped("ext_channel")), {"extension"})
        self.assertEqual(
            interactions.mapped("ext_subject_size"),
            [len(subject) for subject in interactions.mapped("subject")],
        )
        self.assertTrue(all(interactions.mapped("ext_subject_size")))
        self.assertTrue(all(interactions.mapped("ext_created")))
        self.assertTrue(all(interactions.mapped("ext_automated")))
        mails = interactions.mail_id
        self.assertEqual(len(mails), count)
        self.assertTrue(all(mails.mapped("ext_mail_created")))
        messages = mails.mail_message_id
        self.assertEqual(len(messages), count)
        self.assertTrue(all(messages.mapped("ext_created")))
        self.assertEqual(set(messages.mapped("ext_channel")), {"extension"})
        # the mail engine's own values, computed by mail.message's create
        for mail in mails:
            self.assertTrue(mail.message_id)
            self.assertTrue(mail.reply_to)
            self.assertEqual(mail.model, "crm.interaction")
            self.assertIn(mail.res_id, interactions.ids)

    def test_logged_at_once(self):
        segment = self._make_segment(
            "email", partners=self.partners, send_word_as_attachment=False
        )
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment(send=True)
        )
        self.assertEqual(logged.job_state, "done")
        self._check_extended(logged, 7)

    def _log_in_background(self, use_queue_job):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("crm_campaign_segment.background_threshold", 4)
        params.set_param("crm_campaign_segment.batch_size", 3)
        params.set_param("crm_campaign_segment.use_queue_job", str(use_queue_job))
        segment = self._make_segment(
            "email", partners=self.partners, send_word_as_attachment=False
        )
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment(send=True)
        )
        self.assertEqual(logged.job_state, "queued")
        return logged

    def test_logged_in_background_batches(self):
        logged = self._log_in_background(use_queue_job=False)
        for __ in range(3):
            self.env["crm.logged.segment"]._cron_log_segments()
        self.env.invalidate_all()
        self.assertEqual(logged.job_state, "done")
        self._check_extended(logged, 7)

    def test_logged_by_queue_jobs(self):
        if "queue.job" not in self.env:
            raise unittest.SkipTest("OCA queue_job is not installed")
        from odoo.addons.queue_job.job import Job

        logged = self._log_in_background(use_queue_job=True)
        self.assertTrue(logged.log_fanned_out)
        jobs = (
            self.env["queue.job"]
            .search(
                [
                    ("model_name", "=", "crm.logged.segment"),
                    ("method_name", "=", "_log_queue_batch"),
                ]
            )
            .filtered(lambda job: job.records == logged)
        )
        self.assertEqual(len(jobs), 3)
        for job in jobs:
            queued = Job.load(self.env, job.uuid)
            queued.perform()
            queued.set_done()
            queued.store()
        self.env.invalidate_all()
        self.assertEqual(logged.job_state, "done")
        self._check_extended(logged, 7)


# a 1x1 transparent PNG
PIXEL = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8A"
    "AAAASUVORK5CYII="
)


@tagged("post_install", "-at_install")
class TestPastedImages(SegmentLogCase):
    def test_pasted_image_becomes_one_attachment(self):
        """An image pasted into a template body is stored once as an
        attachment; the logged e-mails link it instead of carrying it."""
        body = "<p>Hello {{ object.name }}</p>" + (
            f'<img src="data:image/png;base64,{PIXEL}">'
        )
        row = self.template.language_ids[:1]
        row.write({"body_html": body})
        self.assertNotIn("data:image", row.body_html)
        self.assertIn("/web/image/", row.body_html)
        image = self.env["ir.attachment"].search(
            [("res_model", "=", row._name), ("name", "=", "image1")],
            order="id desc",
            limit=1,
        )
        self.assertTrue(image.access_token)
        self.assertIn(f"/web/image/{image.id}?access_token=", row.body_html)
        segment = self._make_segment("email", send_word_as_attachment=False)
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment(send=True)
        )
        mails = logged.interaction_ids.mail_id
        self.assertEqual(len(mails), 3)
        for mail in mails:
            self.assertNotIn("data:image", mail.body_html)
            self.assertNotIn("data:image", str(mail.mail_message_id.body))
            self.assertFalse(
                mail.mail_message_id.attachment_ids.filtered(
                    lambda a: a.mimetype == "image/png"
                )
            )
