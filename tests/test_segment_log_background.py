# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import psycopg2

from odoo import api
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..tools.markers import as_engine
from .test_segment_log import SegmentLogCase


@tagged("post_install", "-at_install")
class TestLogInBackground(SegmentLogCase):
    """Large segments: batches in a cron job, resumable, exactly once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("crm_campaign_segment.background_threshold", 4)
        params.set_param("crm_campaign_segment.batch_size", 3)
        # the ir.cron path, also where OCA queue_job is installed
        params.set_param("crm_campaign_segment.use_queue_job", "False")
        cls.many = cls.env["res.partner"].create(
            [
                {"name": f"Visitor {index}", "email": f"visitor{index}@example.com"}
                for index in range(7)
            ]
        )

    def _mail_count(self, logged):
        return self.env["mail.mail"].search_count(
            [
                ("model", "=", "crm.interaction"),
                ("res_id", "in", logged.interaction_ids.ids),
            ]
        )

    def test_crash_and_resume(self):
        segment = self._make_segment("email", partners=self.many)
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment(send=True, create_follow_up=True)
        )
        # queued: header written, segment locked, nothing logged yet
        self.assertEqual(logged.job_state, "queued")
        self.assertEqual(segment.state, "logged")
        self.assertEqual(segment.log_job_state, "queued")
        self.assertEqual(logged.line_total, 7)
        self.assertFalse(logged.interaction_ids)
        self.assertEqual(len(logged.campaign_entry_ids), 1)

        Job = self.env["crm.logged.segment"]
        Job._cron_log_segments()
        logged.invalidate_recordset()
        self.assertEqual(len(logged.interaction_ids), 3)
        self.assertEqual(self._mail_count(logged), 3)
        segment.invalidate_recordset()
        self.assertAlmostEqual(segment.log_progress, 300 / 7, places=2)

        # a crash in the middle of the next batch: everything of it rolls back
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(RuntimeError),
            self.env.cr.savepoint(),
        ):
            Job._cron_log_segments()
            self.assertEqual(len(logged.interaction_ids), 6)
            raise RuntimeError("worker killed")
        self.env.invalidate_all()
        self.assertEqual(len(logged.interaction_ids), 3)
        self.assertEqual(self._mail_count(logged), 3)

        # the job runs again and resumes where it stopped
        Job._cron_log_segments()
        Job._cron_log_segments()
        self.env.invalidate_all()
        self.assertEqual(logged.job_state, "done")
        interactions = logged.interaction_ids
        self.assertEqual(len(interactions), 7)
        self.assertEqual(interactions.partner_id, self.many)
        self.assertEqual(interactions.segment_line_id, segment.line_ids)
        self.assertEqual(self._mail_count(logged), 7)
        self.assertEqual(len(interactions.mail_id), 7)
        self.assertEqual(logged.follow_up_segment_id.line_ids.partner_id, self.many)

        # a further run finds nothing to do and logs nothing twice
        Job._cron_log_segments()
        self.env.invalidate_all()
        self.assertEqual(len(logged.interaction_ids), 7)
        self.assertEqual(self._mail_count(logged), 7)

        # the database itself refuses a second interaction for a line
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.IntegrityError),
            self.env.cr.savepoint(),
        ):
            as_engine(self.env["crm.interaction"]).create(
                {
                    "partner_id": self.many[0].id,
                    "logged_segment_id": logged.id,
                    "segment_line_id": segment.line_ids[0].id,
                }
            )

    def test_small_segment_logs_at_once(self):
        segment = self._make_segment("email", partners=self.many[:4])
        logged = self.env["crm.logged.segment"].browse(segment.log_segment(send=True))
        self.assertEqual(logged.job_state, "done")
        self.assertEqual(len(logged.interaction_ids), 4)
        self.assertEqual(self._mail_count(logged), 4)


@tagged("post_install", "-at_install")
class TestLogConcurrently(SegmentLogCase):
    """Two users log the same segment at the same moment: one proceeds."""

    def test_two_cursors(self):
        registry = Registry(self.env.cr.dbname)
        # the segment must be committed for a second transaction to see it
        with registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {"tracking_disable": True})
            partner = env["res.partner"].create(
                {"name": "Concurrent Visitor", "email": "concurrent@example.com"}
            )
            template = env["crm.interaction.template"].create(
                {"code": "LOG-CONC", "name": "Concurrent letter"}
            )
            segment = env["crm.segment"].create(
                {
                    "description": "Concurrent segment",
                    "interaction_template_id": template.id,
                    "line_ids": [(0, 0, {"partner_id": partner.id})],
                }
            )
            ids = (partner.id, template.id, segment.id)
        try:
            with registry.cursor() as cr1, registry.cursor() as cr2:
                env1 = api.Environment(cr1, api.SUPERUSER_ID, {})
                env2 = api.Environment(cr2, api.SUPERUSER_ID, {})
                logged_id = env1["crm.segment"].browse(ids[2]).log_segment()
                self.assertTrue(logged_id)
                with self.assertRaisesRegex(UserError, "being logged by another user"):
                    env2["crm.segment"].browse(ids[2]).log_segment()
                cr2.rollback()
                cr1.commit()
                # once the first is committed, the second sees it logged
                with self.assertRaisesRegex(UserError, "logged already"):
                    env2["crm.segment"].browse(ids[2]).log_segment()
                cr2.rollback()
                self.assertEqual(
                    env1["crm.interaction"].search_count(
                        [("logged_segment_id", "=", logged_id)]
                    ),
                    1,
                )
        finally:
            with registry.cursor() as cr:
                env = api.Environment(cr, api.SUPERUSER_ID, {})
                segment = env["crm.segment"].browse(ids[2])
                logged = segment.logged_segment_ids
                env["crm.interaction"].search(
                    [("logged_segment_id", "in", logged.ids)]
                ).unlink()
                cr.execute(
                    "DELETE FROM crm_logged_segment WHERE id IN %s",
                    [tuple(logged.ids) or (0,)],
                )
                cr.execute("DELETE FROM crm_segment WHERE id = %s", [ids[2]])
                env["crm.interaction.template"].browse(ids[1]).unlink()
                env["res.partner"].browse(ids[0]).unlink()
