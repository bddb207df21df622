# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Background batches: letters per batch, a fixed cost per batch."""

import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from odoo.tests import tagged
from odoo.tools import mute_logger

from .test_segment_log import SegmentLogCase


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
