# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The background logging job run by Odoo's cron machinery, in committed
transactions: the addon's ``ir.cron`` record logs a large segment batch by
batch and reports its progress; a second worker skips a job that another
transaction holds; a manager cannot cancel a job while a batch holds it.

Everything is committed in separate cursors (as workers would) and removed
afterwards, so that the database stays as the other tests expect it."""

import time
from contextlib import contextmanager
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import UserError
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from .test_segment_log import MANAGER_GROUPS, USER_GROUPS

LOG_CRON = "crm_campaign_segment.ir_cron_crm_segment_log"
PARAMS = {
    "crm_campaign_segment.background_threshold": "4",
    "crm_campaign_segment.batch_size": "2",
    # the ir.cron path, also where OCA queue_job is installed
    "crm_campaign_segment.use_queue_job": "False",
}
LOGGERS = ("odoo.addons.base.models.ir_cron", "odoo.addons.crm_campaign_segment")


@tagged("post_install", "-at_install")
class TestLogCronRunner(TransactionCase):
    """The logging job on the real ir.cron path, with committed cursors."""

    def setUp(self):
        super().setUp()
        self.created = {
            "partners": [],
            "segments": [],
            "logged": [],
            "templates": [],
            "campaigns": [],
            "users": [],
        }
        with self._env() as env:
            # the job processes every queued job: the database must have none
            self.assertFalse(
                env["crm.logged.segment"].search_count(
                    [("job_state", "=", "queued"), ("canceled", "=", False)]
                ),
                "queued logging jobs left in the database",
            )
            cron = env.ref(LOG_CRON)
            self.cron_id = cron.id
            env.cr.execute(
                "SELECT nextcall, lastcall, failure_count, first_failure_date, "
                "active FROM ir_cron WHERE id = %s",
                [cron.id],
            )
            self.cron_saved = env.cr.fetchone()
            env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM ir_cron_trigger")
            self.max_trigger = env.cr.fetchone()[0]
            env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM ir_cron_progress")
            self.max_progress = env.cr.fetchone()[0]
            params = env["ir.config_parameter"]
            self.params_saved = {key: params.get_param(key) for key in PARAMS}
            for key, value in PARAMS.items():
                params.set_param(key, value)
            # only the triggers of the test make the job ready
            env.cr.execute(
                "UPDATE ir_cron SET nextcall = %s WHERE id = %s",
                [fields.Datetime.now() + timedelta(days=1), cron.id],
            )
            logger = new_test_user(env, login="cron_runner_logger", groups=USER_GROUPS)
            manager = new_test_user(
                env, login="cron_runner_manager", groups=MANAGER_GROUPS
            )
            self.created["users"] += [logger.id, manager.id]
            self.logger_id, self.manager_id = logger.id, manager.id
            template = env["crm.interaction.template"].create(
                {
                    "code": "CRON-RUN",
                    "name": "Cron runner letter",
                    "correspondence_type": "email",
                    "lang": "en_US",
                    "language_ids": [
                        (
                            0,
                            0,
                            {
                                "lang": "en_US",
                                "subject": "Thank you for visiting",
                                "body_html": "<p>Hello {{ object.name }}</p>",
                                "letter_body": "<p>Dear {{ object.name }}</p>",
                            },
                        )
                    ],
                }
            )
            self.created["templates"].append(template.id)
            self.template_id = template.id
            campaign = env["utm.campaign"].create({"title": "Cron runner campaign"})
            self.created["campaigns"].append(campaign.id)
            self.campaign_id = campaign.id
        self.addCleanup(self._cleanup)

    # -------------------------------------------------------------------------
    # helpers
    # -------------------------------------------------------------------------
    @contextmanager
    def _env(self, uid=SUPERUSER_ID, context=None):
        """A new transaction, committed at the end unless it fails."""
        with self.registry.cursor() as cr:
            yield api.Environment(
                cr, uid, {"tracking_disable": True} if context is None else context
            )

    def _queue(self, size, hard_copy=0):
        """Commit a segment of ``size`` contacts (the first ``hard_copy`` get
        letters, the others e-mails), then log it as the user: queued."""
        with self._env() as env:
            partners = env["res.partner"].create(
                [
                    {
                        "name": f"Cron Runner Visitor {index:02d}",
                        "email": f"cron.runner{index}@example.com",
                        "street": f"Storgata {index}",
                        "zip": "0155",
                        "city": "Oslo",
                        "lang": "en_US",
                        "correspondence_type": "hard_copy"
                        if index < hard_copy
                        else False,
                    }
                    for index in range(size)
                ]
            )
            self.created["partners"] += partners.ids
            segment = env["crm.segment"].create(
                {
                    "description": "Cron runner segment",
                    "interaction_template_id": self.template_id,
                    "campaign_id": self.campaign_id,
                    "campaign_target": True,
                    "lang": "en_US",
                    "correspondence_type": "email",
                    "user_id": self.logger_id,
                }
            )
            self.created["segments"].append(segment.id)
            env["crm.segment.line"].create(
                [
                    {"segment_id": segment.id, "partner_id": partner.id}
                    for partner in partners
                ]
            )
        with self._env(self.logger_id, {}) as env:
            logged_id = env["crm.segment"].browse(segment.id).log_segment(send=True)
        self.created["logged"].append(logged_id)
        state = self._state(logged_id)
        self.assertEqual(state["job_state"], "queued")
        self.assertEqual(state["line_total"], size)
        self.assertEqual(state["interactions"], 0)
        self.assertTrue(state["ready"], "logging did not trigger the cron")
        return logged_id

    def _state(self, logged_id):
        """What a third transaction sees of the job (committed data only)."""
        with self._env() as env:
            logged = env["crm.logged.segment"].browse(logged_id)
            cr = env.cr
            cr.execute(
                """
                SELECT COUNT(*), COUNT(DISTINCT segment_line_id),
                       COUNT(*) FILTER (WHERE canceled)
                  FROM crm_interaction WHERE logged_segment_id = %s
                """,
                [logged_id],
            )
            interactions, lines, canceled = cr.fetchone()
            cr.execute(
                """
                SELECT m.state, COUNT(*)
                  FROM mail_mail m
                  JOIN mail_message msg ON msg.id = m.mail_message_id
                  JOIN crm_interaction i ON i.id = msg.res_id
                 WHERE msg.model = 'crm.interaction'
                   AND i.logged_segment_id = %s
                 GROUP BY m.state
                """,
                [logged_id],
            )
            mails = dict(cr.fetchall())
            cr.execute(
                "SELECT COUNT(*) FROM crm_segment_line l JOIN crm_logged_segment g "
                "ON g.segment_id = l.segment_id WHERE g.id = %s "
                "AND l.correspondence_type = 'email'",
                [logged_id],
            )
            email_lines = cr.fetchone()[0]
            cr.execute(
                """
                SELECT active, failure_count,
                       nextcall <= (now() at time zone 'UTC') OR EXISTS (
                           SELECT 1 FROM ir_cron_trigger t
                            WHERE t.cron_id = c.id
                              AND t.call_at <= (now() at time zone 'UTC'))
                  FROM ir_cron c WHERE id = %s
                """,
                [self.cron_id],
            )
            active, failure_count, ready = cr.fetchone()
            return {
                "job_state": logged.job_state,
                "canceled": logged.canceled,
                "line_total": logged.line_total,
                "line_done": logged.line_done,
                "log_progress": logged.log_progress,
                "interactions": interactions,
                "lines_logged": lines,
                "interactions_canceled": canceled,
                "mails": mails,
                "email_lines": email_lines,
                "entries_canceled": set(logged.campaign_entry_ids.mapped("canceled")),
                "errors": logged.message_ids.filtered(
                    lambda message: (
                        "Logging stopped on an error" in (message.body or "")
                    )
                ),
                "cron_active": active,
                "cron_failures": failure_count,
                "ready": ready,
            }

    def _progress(self):
        """(done, remaining) the job reported to the cron, in order."""
        with self._env() as env:
            env.cr.execute(
                "SELECT done, remaining FROM ir_cron_progress "
                "WHERE cron_id = %s AND id > %s ORDER BY id",
                [self.cron_id, self.max_progress],
            )
            return env.cr.fetchall()

    def _run_cron_worker(self):
        """What a cron worker does for the job when it is ready: acquire it,
        run it (batch after batch, each committed), reschedule it.

        :return: whether the job was ready and run
        """
        IrCron = self.registry["ir.cron"]
        db = db_connect(self.env.cr.dbname)
        with db.cursor() as cron_cr:
            job = IrCron._acquire_one_job(cron_cr, self.cron_id)
            if not job:
                return False
            with mute_logger(*LOGGERS):
                IrCron._process_job(db, cron_cr, job)
        return True

    def _run_manually(self):
        """The cron's Run Manually button, in its own committed transaction."""
        with self._env(context={}) as env, mute_logger(*LOGGERS):
            env["ir.cron"].browse(self.cron_id).method_direct_trigger()

    def _cleanup(self):
        created = self.created
        with self._env() as env:
            cr = env.cr
            logged = tuple(created["logged"]) or (0,)
            cr.execute(
                "SELECT id FROM crm_interaction WHERE logged_segment_id IN %s",
                [logged],
            )
            interactions = tuple(row[0] for row in cr.fetchall()) or (0,)
            cr.execute(
                "DELETE FROM crm_interaction WHERE id IN %s",
                [interactions],
            )
            env["ir.attachment"].search(
                [("res_model", "=", "crm.logged.segment"), ("res_id", "in", logged)]
            ).unlink()
            for model, ids in (
                ("crm.interaction", interactions),
                ("crm.logged.segment", logged),
                ("crm.segment", tuple(created["segments"]) or (0,)),
            ):
                # their e-mails go with them (mail_mail cascades)
                cr.execute(
                    "DELETE FROM mail_message WHERE model = %s AND res_id IN %s",
                    [model, ids],
                )
                cr.execute(
                    "DELETE FROM mail_followers WHERE res_model = %s AND res_id IN %s",
                    [model, ids],
                )
            cr.execute(
                "DELETE FROM crm_campaign_entry WHERE logged_segment_id IN %s",
                [logged],
            )
            cr.execute("DELETE FROM crm_logged_segment WHERE id IN %s", [logged])
            cr.execute(
                "DELETE FROM crm_segment WHERE id IN %s",
                [tuple(created["segments"]) or (0,)],
            )
            env["crm.interaction.template"].browse(created["templates"]).unlink()
            env["utm.campaign"].browse(created["campaigns"]).unlink()
            env["res.partner"].browse(created["partners"]).unlink()
            users = env["res.users"].browse(created["users"]).exists()
            user_partners = users.partner_id
            cr.execute(
                "DELETE FROM mail_message WHERE author_id IN %s",
                [tuple(user_partners.ids) or (0,)],
            )
            users.unlink()
            user_partners.unlink()
            # the cron as it was, without the triggers and progress of the test
            cr.execute("DELETE FROM ir_cron_trigger WHERE id > %s", [self.max_trigger])
            cr.execute(
                "DELETE FROM ir_cron_progress WHERE id > %s", [self.max_progress]
            )
            cr.execute(
                "UPDATE ir_cron SET nextcall = %s, lastcall = %s, failure_count = %s, "
                "first_failure_date = %s, active = %s WHERE id = %s",
                [*self.cron_saved, self.cron_id],
            )
            params = env["ir.config_parameter"]
            for key, value in self.params_saved.items():
                params.set_param(key, value or False)

    # -------------------------------------------------------------------------
    # tests
    # -------------------------------------------------------------------------
    def test_cron_logs_every_line_once_batch_by_batch(self):
        logged_id = self._queue(25, hard_copy=3)

        # one run of the cron record: one batch, committed, progress reported
        self._run_manually()
        state = self._state(logged_id)
        self.assertEqual(state["job_state"], "queued")
        self.assertEqual((state["line_done"], state["interactions"]), (2, 2))
        self.assertAlmostEqual(state["log_progress"], 8.0, places=2)
        self.assertEqual(self._progress(), [(2, 23)])

        # a cron worker: ten batches, each committed with its progress, then
        # the job stays ready for the next round
        self.assertTrue(self._run_cron_worker())
        state = self._state(logged_id)
        self.assertEqual(state["job_state"], "queued")
        self.assertEqual((state["line_done"], state["interactions"]), (22, 22))
        self.assertEqual(state["lines_logged"], 22)
        self.assertAlmostEqual(state["log_progress"], 88.0, places=2)
        # the first three lines are letters: 19 e-mails queued so far
        self.assertEqual(state["mails"], {"outgoing": 19})
        self.assertTrue(state["ready"], "a partly done job must stay ready")
        self.assertEqual(
            self._progress(),
            [(2, 23)] + [(2, remaining) for remaining in range(21, 1, -2)],
        )

        # the next round finishes the job and reschedules the cron
        self.assertTrue(self._run_cron_worker())
        state = self._state(logged_id)
        self.assertEqual(state["job_state"], "done")
        self.assertEqual(state["line_done"], 25)
        self.assertEqual(state["interactions"], 25)
        self.assertEqual(state["lines_logged"], 25)
        self.assertEqual(state["log_progress"], 100.0)
        self.assertEqual(state["email_lines"], 22)
        self.assertEqual(state["mails"], {"outgoing": 22})
        self.assertEqual(self._progress()[-2:], [(2, 1), (1, 0)])
        self.assertEqual(state["cron_failures"], 0)
        self.assertFalse(state["errors"])
        self.assertFalse(state["ready"], "a finished job must not stay ready")
        self.assertFalse(self._run_cron_worker())

        # a further run logs nothing twice
        self._run_manually()
        state = self._state(logged_id)
        self.assertEqual(state["interactions"], 25)
        self.assertEqual(state["mails"], {"outgoing": 22})
        self.assertEqual(self._progress()[-1], (0, 0))

    def test_second_worker_skips_a_locked_job(self):
        logged_id = self._queue(5)
        with self._env() as env1:
            # another transaction holds the job (a batch, a manager's cancel)
            env1["crm.segment.logging"]._log_lock_job(
                env1["crm.logged.segment"].browse(logged_id)
            )
            self.assertTrue(self._run_cron_worker())
            state = self._state(logged_id)
            self.assertEqual(state["job_state"], "queued")
            self.assertEqual((state["line_done"], state["interactions"]), (0, 0))
            self.assertFalse(state["errors"])
            self.assertTrue(state["cron_active"])
            self.assertEqual(state["cron_failures"], 0)
            self.assertEqual(self._progress(), [(0, 5)])
            env1.cr.rollback()

        # the job was not forgotten: the cron is triggered again shortly
        with self._env() as env:
            env.cr.execute(
                "SELECT call_at FROM ir_cron_trigger WHERE cron_id = %s AND id > %s",
                [self.cron_id, self.max_trigger],
            )
            retries = [call_at for (call_at,) in env.cr.fetchall()]
        self.assertTrue(
            retries, "the locked job is not retried before the cron's interval"
        )
        # later, not at once: a worker does not spin on a job held by another
        self.assertGreater(min(retries), fields.Datetime.now())
        self.assertLessEqual(max(retries), fields.Datetime.now() + timedelta(minutes=5))
        # ... which a cron worker runs once it is due
        with self._env() as env:
            env.cr.execute(
                "UPDATE ir_cron_trigger SET call_at = call_at - INTERVAL '10 minutes' "
                "WHERE cron_id = %s AND id > %s",
                [self.cron_id, self.max_trigger],
            )
        self.assertTrue(self._run_cron_worker())
        state = self._state(logged_id)
        self.assertEqual(state["job_state"], "done")
        self.assertEqual((state["line_done"], state["interactions"]), (5, 5))
        self.assertEqual(state["lines_logged"], 5)
        self.assertEqual(state["mails"], {"outgoing": 5})
        self.assertFalse(state["errors"])

    def test_cancel_refused_while_a_batch_holds_the_job(self):
        logged_id = self._queue(5)
        self._run_manually()
        self.assertEqual(self._state(logged_id)["mails"], {"outgoing": 2})

        with self._env(context={}) as env1:
            # a batch runs and holds the job until it commits
            env1["ir.cron"].browse(self.cron_id).method_direct_trigger()
            with self._env(self.manager_id, {}) as env2:
                # a blocking lock would fail here instead of hanging the test
                env2.cr.execute("SET LOCAL lock_timeout = '2s'")
                logged = env2["crm.logged.segment"].browse(logged_id)
                start = time.monotonic()
                with self.assertRaisesRegex(UserError, "is being logged right now"):
                    logged.action_cancel()
                self.assertLess(time.monotonic() - start, 1.5)
                env2.cr.rollback()
            # nothing of the refused cancel was kept
            state = self._state(logged_id)
            self.assertFalse(state["canceled"])
            self.assertEqual(state["entries_canceled"], {False})
            self.assertEqual(state["interactions"], 2)
            self.assertEqual(state["interactions_canceled"], 0)
            self.assertEqual(state["mails"], {"outgoing": 2})
        # the batch committed
        state = self._state(logged_id)
        self.assertEqual((state["line_done"], state["interactions"]), (4, 4))
        self.assertEqual(state["mails"], {"outgoing": 4})

        with self._env(self.manager_id, {}) as env2:
            env2["crm.logged.segment"].browse(logged_id).action_cancel()
        state = self._state(logged_id)
        self.assertTrue(state["canceled"])
        self.assertEqual(state["entries_canceled"], {True})
        self.assertEqual(state["interactions_canceled"], 4)
        self.assertEqual(state["mails"], {"cancel": 4})
        # the cron no longer logs the canceled job
        self.assertTrue(self._run_cron_worker())
        state = self._state(logged_id)
        self.assertEqual(state["interactions"], 4)
        self.assertEqual(state["mails"], {"cancel": 4})
        self.assertEqual(self._progress()[-1], (0, 0))
