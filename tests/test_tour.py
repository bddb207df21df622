# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The sales-campaign walkthrough in a real browser (web client tour).

The tour ``crm_campaign_segment_walkthrough`` (static/src/tours/) plays the
walkthrough on the demo data as a Campaign User without Sales rights (the
marketing employee, not a manager), registering a response to one letter at
the end; this test then checks what the tour left in the database (the
response among it), the printed letters (the PDF, read with ``pdftotext``)
and the e-mails with their merged Word letter. Without the demo data the
test is skipped.
"""

import io
import shutil
import subprocess
from datetime import date

from docx import Document

from odoo.tests import new_test_user, tagged

from .common import DemoTourCase

MODULE = "crm_campaign_segment"
CAMPAIGN = "Office Futurus trade fair (tour)"
SEGMENT = "Office Futurus trade fair visitors (tour)"
REUSED = "Office Futurus trade fair, criteria reused (tour)"
LETTER_REPORT = f"{MODULE}.action_report_crm_logged_segment_letters"


def _docx_text(data):
    document = Document(io.BytesIO(data))
    texts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            texts.extend(cell.text for cell in row.cells)
    return "\n".join(texts)


@tagged("post_install", "-at_install", "tour")
class TestWalkthroughInBrowser(DemoTourCase):
    def setUp(self):
        super().setUp()
        # the marketing employee of the story: Campaign User, no Sales rights
        self.user = new_test_user(
            self.env,
            login="ccs_tour_user",
            name="Marketing Employee",
            groups=f"base.group_user,{MODULE}.crm_campaign_segment_group_user",
            lang="en_US",
            tz="Europe/Oslo",
        )
        self.assertFalse(self.user.has_group("sales_team.group_sale_salesman"))
        self.assertFalse(
            self.user.has_group(f"{MODULE}.crm_campaign_segment_group_manager")
        )

    def test_walkthrough(self):
        self.start_tour(
            "/odoo",
            "crm_campaign_segment_walkthrough",
            login=self.user.login,
            timeout=180,
        )

        campaign = self.env["utm.campaign"].search([("title", "=", CAMPAIGN)])
        self.assertEqual(len(campaign), 1)
        self.assertRegex(campaign.code, r"^KM\d+$")
        self.assertEqual(campaign.stage_id.code, "1-PLAN")
        self.assertEqual(campaign.date_start, date(2026, 3, 2))
        self.assertEqual(campaign.date_end, date(2026, 3, 30))
        self.assertEqual(campaign.create_uid, self.user)

        segment = self.env["crm.segment"].search([("description", "=", SEGMENT)])
        self.assertEqual(len(segment), 1)
        self.assertRegex(segment.name, r"^SM\d+$")
        self.assertEqual(segment.state, "logged")
        self.assertEqual(segment.campaign_id, campaign)
        self.assertTrue(segment.campaign_target)
        self.assertEqual(segment.interaction_template_id.code, "BUS")
        self.assertEqual(segment.line_count, 12)
        # add, reduce (undone by Go back, applied again by Go forward), refine
        steps = segment.step_ids.sorted("sequence")
        self.assertEqual(steps.mapped("mode"), ["add", "reduce", "refine"])
        self.assertFalse(any(steps.mapped("undone")))
        criteria = self.env["crm.segment.criteria"].search(
            [("code", "=", "TOUR-PURCH")]
        )
        self.assertEqual(len(criteria), 1)
        self.assertEqual(
            criteria.step_ids.sorted("sequence").mapped("mode"),
            ["add", "reduce", "refine"],
        )
        self.assertEqual(criteria.create_uid, self.user)
        reused = self.env["crm.segment"].search([("description", "=", REUSED)])
        self.assertEqual(len(reused), 1)
        self.assertEqual(reused.line_ids.partner_id, segment.line_ids.partner_id)

        logged = segment.logged_segment_id
        self.assertTrue(logged)
        self.assertTrue(logged.send)
        self.assertEqual(logged.interaction_count, 12)
        interactions = logged.interaction_ids
        self.assertEqual(len(interactions), 12)
        self.assertEqual(interactions.partner_id, segment.line_ids.partner_id)
        self.assertEqual(set(interactions.mapped("campaign_id")), {campaign})
        self.assertTrue(all(interactions.mapped("campaign_target")))
        self.assertEqual(logged.campaign_entry_ids.campaign_id, campaign)
        # the contact without e-mail address was switched to hard copy
        daan = interactions.filtered(lambda i: i.partner_id.name == "Daan Bakker")
        self.assertEqual(daan.correspondence_type, "hard_copy")
        self.assertEqual(campaign.target_contact_count, 12)
        self._check_response(campaign, daan)

        follow_up = logged.follow_up_segment_id
        self.assertTrue(follow_up)
        self.assertEqual(follow_up.state, "draft")
        self.assertEqual(follow_up.campaign_id, campaign)
        self.assertEqual(follow_up.line_count, 12)
        self.assertEqual(follow_up.line_ids.partner_id, segment.line_ids.partner_id)

        self._check_letters(logged)
        self._check_emails(logged)

    def _check_response(self, campaign, answered):
        """The response registered on Daan Bakker's letter, in the statistics."""
        response = self.env["crm.interaction"].search(
            [("campaign_response", "=", True), ("create_uid", "=", self.user.id)]
        )
        self.assertEqual(len(response), 1, "exactly one response registered")
        self.assertEqual(response.response_to_id, answered)
        self.assertEqual(response.partner_id, answered.partner_id)
        self.assertEqual(response.campaign_id, campaign)
        self.assertEqual(response.evaluation, "positive")
        self.assertEqual(response.information_flow, "inbound")
        self.assertFalse(response.campaign_target)
        self.assertFalse(response.canceled)
        self.assertEqual(answered.response_count, 1)
        self.assertTrue(answered.campaign_responded)
        # the logged segment keeps its 12 letters and e-mails; the campaign
        # counts them and the response
        self.assertFalse(response.logged_segment_id)
        self.assertEqual(campaign.interaction_count, 13)
        self.assertEqual(campaign.response_contact_count, 1)
        self.assertAlmostEqual(campaign.response_rate, 100.0 / 12)
        # a positive response opens an opportunity on the campaign
        self.assertTrue(response.lead_id)
        self.assertEqual(response.lead_id.partner_id, answered.partner_id)
        self.assertEqual(response.lead_id.campaign_id, campaign)
        self.assertEqual(campaign.opportunity_count, 1)

    def _check_letters(self, logged):
        """The letters PDF names and addresses each contact of a letter."""
        letters = logged.interaction_ids.filtered(
            lambda i: i.correspondence_type == "hard_copy"
        )
        self.assertTrue(letters, "some contacts get a printed letter")
        self.assertTrue(letters.attachment_id, "the letters are attached")
        pdftotext = shutil.which("pdftotext")
        if not pdftotext:
            self.skipTest("pdftotext (poppler-utils) is needed to read the letters")
        # the tests render reports as HTML unless forced: render the real PDF
        pdf, report_type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(LETTER_REPORT, logged.ids)
        )
        self.assertEqual(report_type, "pdf")
        text = subprocess.run(
            [pdftotext, "-layout", "-", "-"],
            input=pdf,
            capture_output=True,
            check=True,
        ).stdout.decode()
        for partner in letters.partner_id:
            self.assertIn(partner.name, text)
            for part in (partner.street, partner.zip, partner.city):
                if part:
                    self.assertIn(part, text, f"address of {partner.name}")

    def _check_emails(self, logged):
        """Each e-mail carries the Word letter merged for its contact."""
        emails = logged.interaction_ids.filtered(
            lambda i: i.correspondence_type == "email"
        )
        self.assertTrue(emails)
        for interaction in emails:
            mail = interaction.mail_id
            self.assertTrue(mail, f"an e-mail to {interaction.partner_id.name}")
            documents = mail.attachment_ids.filtered(lambda a: a.name.endswith(".docx"))
            self.assertEqual(len(documents), 1, interaction.partner_id.name)
            text = _docx_text(documents.raw)
            self.assertIn(interaction.partner_id.name, text)
            self.assertNotIn("{{", text)
            self.assertNotIn("\u00ab", text, "no merge field left")
