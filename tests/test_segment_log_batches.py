# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Background batches: letters per batch, a fixed cost per batch."""

import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .test_segment_log import MANAGER_GROUPS, SegmentLogCase


def _pdf_text(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "letters.pdf"
        path.write_bytes(data)
        return subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
        ).stdout


@tagged("post_install", "-at_install")
class TestLogBatches(SegmentLogCase):
    """Large segments on the ir.cron path, batch by batch."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("crm_campaign_segment.background_threshold", 4)
        params.set_param("crm_campaign_segment.batch_size", 3)
        params.set_param("crm_campaign_segment.use_queue_job", "False")
        cls.visitors = cls.env["res.partner"].create(
            [
                {
                    "name": f"Letter Visitor {chr(65 + index)}",
                    "email": f"letter{index}@example.com",
                    "street": "Storgata 1",
                    "city": "Oslo",
                }
                for index in range(14)
            ]
        )

    def _run(self, job_model):
        job_model._cron_log_segments()
        self.env.invalidate_all()

    def test_cron_batches_fit_the_time_budget(self):
        """After a batch that would not fit a tenth of the cron run's time
        budget, the next batches are smaller: a run ends within its budget."""
        self.env["ir.config_parameter"].sudo().set_param(
            "crm_campaign_segment.cron_time_budget", "0.000001"
        )
        segment = self._make_segment(
            "email", partners=self.visitors[:7], send_word_as_attachment=False
        )
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment(send=True)
        )
        Job = self.env["crm.logged.segment"]
        done = []
        while logged.job_state == "queued":
            self._run(Job)
            done.append(logged.line_done)
        # the configured 3 lines first, then one line per batch
        self.assertEqual(done, [3, 4, 5, 6, 7])
        self.assertEqual(len(logged.interaction_ids.mail_id), 7)

    @unittest.skipUnless(shutil.which("pdftotext"), "pdftotext is not installed")
    def test_letters_per_batch_once_after_a_crash(self):
        partners = self.visitors[:7]
        segment = self._make_segment(
            "hard_copy", partners=partners, send_word_as_attachment=False
        )
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment(send=True)
        )
        Job = self.env["crm.logged.segment"].with_context(force_report_rendering=True)
        self._run(Job)
        # the worker dies after the second batch wrote its letters
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(RuntimeError),
            self.env.cr.savepoint(),
        ):
            self._run(Job)
            raise RuntimeError("worker killed")
        self._run(Job)
        self._run(Job)
        self.assertEqual(logged.job_state, "done")
        pdfs = self.env["ir.attachment"].search(
            [
                ("res_model", "=", "crm.logged.segment"),
                ("res_id", "=", logged.id),
                ("mimetype", "=", "application/pdf"),
            ],
            order="id",
        )
        self.assertEqual(len(pdfs), 3)
        lines = segment.line_ids.sorted("id")
        seen = []
        for pdf, batch in zip(pdfs, (lines[:3], lines[3:6], lines[6:]), strict=True):
            text = _pdf_text(pdf.raw)
            for line in lines:
                if line in batch:
                    self.assertIn(line.partner_id.name, text)
                    seen.append(line.partner_id)
                else:
                    self.assertNotIn(line.partner_id.name, text)
        self.assertEqual(len(seen), 7)
        self.assertEqual(logged.interaction_ids.partner_id, partners)
        self.assertEqual(
            set(logged.interaction_ids.mapped("delivery_status")), {"delivered"}
        )

    def test_batch_cost_independent_of_job_size(self):
        """Every full batch runs the same number of statements, whatever the
        job's size and progress: no count or anti-join over the segment."""
        segments = [
            self._make_segment(
                "email",
                partners=self.visitors[:size],
                send_word_as_attachment=False,
                description=f"Cost {size}",
            )
            # the first job warms Odoo's caches up
            for size in (5, 14, 7)
        ]
        Job = self.env["crm.logged.segment"]
        counts = {}
        for segment in segments:
            logged = self.env["crm.logged.segment"].browse(
                segment.with_user(self.user).log_segment(send=True)
            )
            batch = 0
            while logged.job_state == "queued":
                queries = self.env.cr.sql_log_count
                self._run(Job)
                batch += 1
                counts[(len(segment.line_ids), batch)] = (
                    self.env.cr.sql_log_count - queries
                )
            self.assertEqual(len(logged.interaction_ids), len(segment.line_ids))
            self.assertEqual(logged.line_done, len(segment.line_ids))
        # full batches that are neither a job's first nor its last
        middle = {counts[(7, 2)], counts[(14, 2)], counts[(14, 3)], counts[(14, 4)]}
        self.assertEqual(len(middle), 1, counts)


@tagged("post_install", "-at_install")
class TestLogOtherCompany(SegmentLogCase):
    """A segment of company B logged by a user working in company A."""

    def test_records_land_in_the_segment_company(self):
        company_a = self.env.company
        company_b = self.env["res.company"].create({"name": "CRONUS Sverige"})
        both = new_test_user(
            self.env,
            login="log_both_companies",
            groups=MANAGER_GROUPS,
            company_id=company_a.id,
            company_ids=[(6, 0, (company_a | company_b).ids)],
        )
        only_a = new_test_user(
            self.env,
            login="log_company_a",
            groups=MANAGER_GROUPS,
            company_id=company_a.id,
            company_ids=[(6, 0, company_a.ids)],
        )
        segment = self._make_segment(
            "email",
            send_word_as_attachment=False,
            company_id=company_b.id,
            campaign_id=False,
            campaign_target=False,
            user_id=both.id,
        )
        logged_id = (
            segment.with_user(both)
            .with_context(allowed_company_ids=(company_a | company_b).ids)
            .log_segment(send=True)
        )
        logged = self.env["crm.logged.segment"].browse(logged_id)
        self.assertEqual(logged.company_id, company_b)
        interactions = logged.interaction_ids
        self.assertEqual(len(interactions), 3)
        self.assertEqual(set(interactions.mapped("company_id")), {company_b})
        self.assertEqual(len(interactions.mail_id), 3)
        Interaction = self.env["crm.interaction"].with_user(only_a)
        self.assertFalse(Interaction.search([("id", "in", interactions.ids)]))
        self.assertFalse(
            self.env["crm.logged.segment"]
            .with_user(only_a)
            .search([("id", "=", logged.id)])
        )
