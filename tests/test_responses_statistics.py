# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Campaign statistics against hand-computed values; the PDF; no response rule."""

import re
import subprocess
import tempfile
from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import format_date

from .response_common import ResponseCase


@tagged("post_install", "-at_install")
class TestCampaignStatistics(ResponseCase):
    """Three e-mails (one bounced), two letters (one canceled), answers.

    By hand:
    - targeted: P1, P2, P3 (P4's only letter is canceled) = 3
    - reached: P1 and P2 (delivered e-mails; P3 bounced, letters not sent) = 2
    - responded: P1 (positive), P2 (twice, counted once); P3's canceled = 2
    - response rate: 2 / 3 = 66.7 %
    - cost: 3 e-mails and 1 letter at 0.50, responses free = 2.00
    - cost per response: 2.00 / 2 = 1.00
    - opportunities: P1's positive answer = 1, won at 1,234.00
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        Partner = cls.env["res.partner"]
        cls.p1, cls.p2, cls.p3 = cls.partners
        cls.p4 = Partner.create({"name": "Prospect 4", "email": "p4@example.com"})
        cls.emails = cls._log_segment(cls, send=False)
        cls.emails._set_delivery_status("delivered")
        cls.emails.filtered(lambda i: i.partner_id == cls.p3)._set_delivery_status(
            "error", "bounced"
        )
        cls.letters = cls._log_segment(
            cls, partners=cls.p1 | cls.p4, ctype="hard_copy", send=False
        )
        cls.letters.filtered(lambda i: i.partner_id == cls.p4).action_cancel()
        Interaction = cls.env["crm.interaction"]

        def answer(partner, evaluation):
            source = cls.emails.filtered(lambda i: i.partner_id == partner)
            return Interaction.browse(source.action_register_response(evaluation))

        cls.positive = answer(cls.p1, "positive")
        answer(cls.p2, "neutral")
        answer(cls.p2, "negative")
        answer(cls.p3, "neutral").action_cancel()
        cls.positive.lead_id.expected_revenue = 1234.0
        cls.positive.lead_id.action_set_won()

    def test_funnel(self):
        stats = self.campaign._get_statistics()[self.campaign.id]
        self.assertEqual(stats["target_contact_count"], 3)
        self.assertEqual(stats["reached_contact_count"], 2)
        self.assertEqual(stats["response_contact_count"], 2)
        self.assertAlmostEqual(stats["response_rate"], 200 / 3)
        self.assertAlmostEqual(stats["cost_total"], 2.0)
        self.assertAlmostEqual(stats["cost_per_response"], 1.0)
        self.assertEqual(stats["opportunity_count"], 1)
        self.assertEqual(stats["won_count"], 1)
        self.assertAlmostEqual(stats["won_revenue"], 1234.0)
        # the fields of the form show the same numbers
        self.assertEqual(self.campaign.reached_contact_count, 2)
        self.assertEqual(self.campaign.response_contact_count, 2)
        self.assertAlmostEqual(self.campaign.won_revenue, 1234.0)

    def test_without_sales_rights(self):
        """Marketing staff without a Sales group read the funnel; the
        opportunity and revenue figures are Sales users' and left out."""
        for group in ("user", "manager"):
            reader = new_test_user(
                self.env,
                login=f"marketing_{group}",
                groups="base.group_user,"
                f"crm_campaign_segment.crm_campaign_segment_group_{group}",
            )
            self.assertFalse(reader.has_group("sales_team.group_sale_salesman"))
            campaign = self.campaign.with_user(reader)
            self.assertEqual(campaign.response_contact_count, 2)
            self.assertAlmostEqual(campaign.response_rate, 200 / 3)
            self.assertEqual(campaign.opportunity_count, 0)
            self.assertEqual(campaign.won_revenue, 0.0)
            arch = campaign.get_views([(False, "form")])["views"]["form"]["arch"]
            for field in ("opportunity_count", "won_revenue", "price_revenue"):
                self.assertNotIn(f'name="{field}"', arch)
            self.assertIn('name="response_rate"', arch)

    def test_analysis_by_response(self):
        """The analysis groups by a named Response / No response, translated."""
        Interaction = self.env["crm.interaction"]
        groups = dict(
            Interaction._read_group(
                [("campaign_id", "=", self.campaign.id)], ["response_kind"], ["__count"]
            )
        )
        self.assertEqual(groups, {"response": 4, "no_response": 5})
        labels = dict(
            Interaction.with_context(lang="en_US")
            ._fields["response_kind"]
            ._description_selection(self.env)
        )
        self.assertEqual(labels, {"response": "Response", "no_response": "No response"})

    def test_per_logged_segment(self):
        by_segment = {
            entry.logged_segment_id: entry for entry in self.campaign.campaign_entry_ids
        }
        mailing = by_segment[self.emails.logged_segment_id]
        letters = by_segment[self.letters.logged_segment_id]
        self.assertEqual(
            (
                mailing.target_contact_count,
                mailing.reached_contact_count,
                mailing.response_contact_count,
            ),
            (3, 2, 2),
        )
        self.assertAlmostEqual(mailing.response_rate, 200 / 3)
        self.assertEqual(
            (
                letters.target_contact_count,
                letters.reached_contact_count,
                letters.response_contact_count,
            ),
            (1, 0, 1),
        )

    def test_period(self):
        # the letters were logged a month ago
        self.letters.write({"date": datetime.now() - timedelta(days=30)})
        today = date.today()
        stats = self.campaign._get_statistics(today - timedelta(days=7), today)
        self.assertEqual(stats[self.campaign.id]["target_contact_count"], 3)
        self.assertAlmostEqual(stats[self.campaign.id]["cost_total"], 1.5)
        past = self.campaign._get_statistics(
            today - timedelta(days=40), today - timedelta(days=20)
        )[self.campaign.id]
        self.assertEqual(past["target_contact_count"], 1)
        self.assertEqual(past["response_contact_count"], 0)
        self.assertEqual(past["opportunity_count"], 0)
        # the reader's period (context keys, as RPC clients send it) drives
        # the statistics fields
        campaign = self.campaign.with_context(
            statistics_date_from=fields.Date.to_string(today - timedelta(days=40)),
            statistics_date_to=fields.Date.to_string(today - timedelta(days=20)),
        )
        self.assertEqual(campaign.statistics_date_from, today - timedelta(days=40))
        self.assertEqual(campaign.target_contact_count, 1)
        self.assertAlmostEqual(campaign.cost_total, 0.5)
        self.assertEqual(self.campaign.target_contact_count, 3)

    def test_inverted_period_refused(self):
        today = date.today()
        with self.assertRaisesRegex(ValidationError, "ends"):
            self.campaign._get_statistics(today, today - timedelta(days=1))
        with self.assertRaisesRegex(ValidationError, "ends"):
            self.campaign.write(
                {
                    "statistics_date_from": today,
                    "statistics_date_to": today - timedelta(days=1),
                }
            )
        inverted = {
            "statistics_date_from": fields.Date.to_string(today),
            "statistics_date_to": fields.Date.to_string(today - timedelta(days=1)),
        }
        with self.assertRaisesRegex(ValidationError, "ends"):
            self.campaign.with_context(**inverted).target_contact_count  # noqa: B018
        with self.assertRaisesRegex(ValidationError, "ends"):
            self._pdf_text(inverted)

    def test_forms(self):
        today = date.today()
        with Form(self.campaign) as form:
            self.assertEqual(form.reached_contact_count, 2)
            form.statistics_date_from = today - timedelta(days=40)
            form.statistics_date_to = today - timedelta(days=20)
            self.assertEqual(form.target_contact_count, 0)
        form = Form(self.campaign)
        form.statistics_date_from = today - timedelta(days=40)
        form.statistics_date_to = today - timedelta(days=41)
        with self.assertRaisesRegex(ValidationError, "ends"):
            form.save()
        interaction = Form(self.emails[0])
        self.assertEqual(interaction.response_count, 1)
        # the buttons of the campaign form
        analysis = self.campaign.action_view_statistics()
        self.assertEqual(analysis["res_model"], "crm.interaction")
        self.assertIn("graph", analysis["view_mode"])
        self.assertEqual(analysis["domain"], [("campaign_id", "=", self.campaign.id)])
        report = self.campaign.with_user(self.manager).action_print_statistics()
        self.assertEqual(
            report["report_name"],
            "crm_campaign_segment.report_campaign_statistics_document",
        )
        responses = self.emails[0].action_view_responses()
        self.assertEqual(
            self.env["crm.interaction"].search(responses["domain"]), self.positive
        )

    def test_period_per_user(self):
        """Each user's period is their own: picked by one user, it changes
        neither the statistics another user sees nor that user's period."""
        # the letters were logged a month ago
        self.letters.write({"date": datetime.now() - timedelta(days=30)})
        today = date.today()
        # the manager picks a past period in the campaign form and saves
        with Form(self.campaign.with_user(self.manager)) as form:
            form.statistics_date_from = today - timedelta(days=40)
            form.statistics_date_to = today - timedelta(days=20)
            self.assertEqual(form.target_contact_count, 1)
        # the user sees the whole campaign, and picks the last week
        users = self.campaign.with_user(self.user)
        self.assertFalse(users.statistics_date_from)
        self.assertFalse(users.statistics_date_to)
        self.assertEqual(users.target_contact_count, 3)
        self.assertAlmostEqual(users.cost_total, 2.0)
        users.write({"statistics_date_from": today - timedelta(days=7)})
        self.assertEqual(users.target_contact_count, 3)
        self.assertAlmostEqual(users.cost_total, 1.5)
        # in later requests, each still sees their own period
        self.env.invalidate_all()
        managers = self.campaign.with_user(self.manager)
        self.assertEqual(managers.statistics_date_from, today - timedelta(days=40))
        self.assertEqual(managers.statistics_date_to, today - timedelta(days=20))
        self.assertEqual(managers.target_contact_count, 1)
        self.assertAlmostEqual(managers.cost_total, 0.5)
        self.assertEqual(users.statistics_date_from, today - timedelta(days=7))
        self.assertFalse(users.statistics_date_to)
        self.assertAlmostEqual(users.cost_total, 1.5)
        # a third user, and the campaign itself, have no period
        others = self.campaign.with_user(self.other_user)
        self.assertFalse(others.statistics_date_from)
        self.assertAlmostEqual(others.cost_total, 2.0)
        self.assertFalse(self.campaign._fields["statistics_date_from"].store)
        # a user reads their own period only, and clears it
        Period = self.env["crm.campaign.statistics.period"]
        self.assertEqual(Period.with_user(self.user).search([]).user_id, self.user)
        with self.assertRaises(AccessError):
            Period.with_user(self.user).create(
                {"campaign_id": self.campaign.id, "user_id": self.manager.id}
            )
        users.write({"statistics_date_from": False})
        self.assertFalse(Period.search([("user_id", "=", self.user.id)]))
        self.assertAlmostEqual(users.cost_total, 2.0)
        self.assertAlmostEqual(managers.cost_total, 0.5)

    def _pdf_text(self, data=None, user=None):
        """The text of the statistics PDF of the campaign, printed as the
        web client does: with ``data``, the ids come in the context."""
        action = self.env.ref("crm_campaign_segment.report_campaign_statistics")
        ids = None if data else self.campaign.ids
        pdf, report_type = (
            self.env["ir.actions.report"]
            .with_user(user or self.env.user)
            .with_context(force_report_rendering=True, active_ids=self.campaign.ids)
            ._render_qweb_pdf(action, ids, data=data)
        )
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(pdf)
            handle.flush()
            return subprocess.run(
                ["pdftotext", "-layout", handle.name, "-"],
                capture_output=True,
                check=True,
                text=True,
            ).stdout

    def test_pdf_for_a_period(self):
        self.letters.write({"date": datetime.now() - timedelta(days=30)})
        today = date.today()
        date_from, date_to = today - timedelta(days=40), today - timedelta(days=20)
        period = " - ".join(format_date(self.env, day) for day in (date_from, date_to))
        # a period of the context goes with the report as its parameters
        action = (
            self.campaign.with_user(self.manager)
            .with_context(
                statistics_date_from=fields.Date.to_string(date_from),
                statistics_date_to=fields.Date.to_string(date_to),
            )
            .action_print_statistics()
        )
        self.assertEqual(
            action["data"],
            {
                "statistics_date_from": fields.Date.to_string(date_from),
                "statistics_date_to": fields.Date.to_string(date_to),
            },
        )
        self.assertEqual(action["context"]["active_ids"], self.campaign.ids)
        text = self._pdf_text(action["data"], user=self.manager)
        self.assertIn(period, text)
        self.assertRegex(text, r"Targeted contacts\s+1\b")
        self.assertRegex(text, r"Responding contacts\s+0\b")
        self.assertRegex(text, r"Cost\s+0\.50\b")
        # without one, the report shows the user's own period
        self.assertFalse(
            self.campaign.with_user(self.manager).action_print_statistics()["data"]
        )
        self.assertIn("whole campaign", self._pdf_text(user=self.manager))
        self.campaign.with_user(self.manager).write(
            {"statistics_date_from": date_from, "statistics_date_to": date_to}
        )
        text = self._pdf_text(user=self.manager)
        self.assertIn(period, text)
        self.assertRegex(text, r"Targeted contacts\s+1\b")
        self.assertIn("whole campaign", self._pdf_text(user=self.user))

    def test_pdf_shows_the_numbers(self):
        text = self._pdf_text()
        expected = {
            "Targeted contacts": "3",
            r"Reached contacts \(delivered\)": "2",
            "Responding contacts": "2",
            r"Response rate \(%\)": "66.7",
            "Opportunities": "1",
            "Won revenue": "1,234.00",
            "Cost": "2.00",
            "Cost per response": "1.00",
        }
        for label, value in expected.items():
            self.assertRegex(text, rf"{label}\s+{re.escape(value)}\b")
        self.assertIn(self.campaign.code, text)
        # per logged segment: targeted, reached, responded, opened and
        # clicked (%), cost
        self.assertRegex(text, r"\s3\s+2\s+2\s+0\.0\s+0\.0\s+1\.50\n")
        self.assertRegex(text, r"\s1\s+0\s+1\s+0\.0\s+0\.0\s+0\.50\n")


@tagged("post_install", "-at_install")
class TestNoResponseRule(ResponseCase):
    """No response after 14 days: a call for the salesperson."""

    def test_frozen_dates(self):
        automation = self.env.ref(
            "crm_campaign_segment.base_automation_no_response_call"
        )
        self.assertFalse(automation.active, "shipped inactive")
        automation.active = True
        with freeze_time("2026-03-02 09:00:00"):
            letters = self._log_segment(ctype="hard_copy", send=False)
            automation.last_run = datetime(2026, 3, 2, 9, 0)
        p1, p2, p3 = letters
        p1.action_register_response("neutral")
        p3.action_cancel()
        call = self.env.ref("mail.mail_activity_data_call")

        with freeze_time("2026-03-15 09:00:00"):  # 13 days: too early
            automation._check()
        self.assertFalse(letters.activity_ids)

        with freeze_time("2026-03-17 09:00:00"):  # 15 days
            automation._check()
        self.assertFalse(p1.activity_ids, "the contact responded")
        self.assertFalse(p3.activity_ids, "canceled")
        self.assertEqual(len(p2.activity_ids), 1)
        self.assertEqual(p2.activity_ids.activity_type_id, call)
        self.assertEqual(p2.activity_ids.user_id, self.user)
        # the responses themselves are never called
        responses = self.env["crm.interaction"].search(
            [("campaign_response", "=", True), ("campaign_id", "=", self.campaign.id)]
        )
        self.assertFalse(responses.activity_ids)

        with freeze_time("2026-03-18 09:00:00"):  # once only
            automation._check()
        self.assertEqual(len(p2.activity_ids), 1)
