# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from ..tools.markers import as_engine
from .common import CampaignSegmentCase


@tagged("post_install", "-at_install")
class TestCreateCampaign(CampaignSegmentCase):
    def test_campaign_number_from_sequence(self):
        first = self.env["utm.campaign"].create({"title": "Fair A"})
        second = self.env["utm.campaign"].create({"title": "Fair B"})
        self.assertRegex(first.code, r"^KM\d{4}$")
        self.assertEqual(
            int(second.code[2:]), int(first.code[2:]) + 1, "numbers follow each other"
        )
        self.assertIn(first.code, first.display_name)
        self.assertIn(
            first, self.env["utm.campaign"].search([("code", "=", first.code)])
        )

    def test_campaign_form_with_status_and_dates(self):
        form = Form(self.env["utm.campaign"])
        form.title = "Office Futurus trade fair"
        form.stage_id = self.env.ref("crm_campaign_segment.utm_stage_plan")
        form.date_start = "2026-03-01"
        form.date_end = "2026-03-31"
        campaign = form.save()
        self.assertEqual(campaign.stage_id.code, "1-PLAN")
        self.assertEqual(campaign.stage_code, "1-PLAN")

    def test_end_before_start_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "end date .* on or after"):
            self.env["utm.campaign"].create(
                {
                    "title": "Backwards",
                    "date_start": "2026-03-31",
                    "date_end": "2026-03-01",
                }
            )
        campaign = self.env["utm.campaign"].create(
            {"title": "Same day", "date_start": "2026-03-01", "date_end": "2026-03-01"}
        )
        with self.assertRaises(ValidationError):
            campaign.date_end = "2026-02-28"

    def test_duplicate_number_is_refused(self):
        campaign = self.env["utm.campaign"].create({"title": "One"})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError) as error:
            with self.env.cr.savepoint():
                self.env["utm.campaign"].create({"title": "Two", "code": campaign.code})
        self.assertIn("unique", str(error.exception).lower())

    def test_statuses_shipped(self):
        codes = self.env["utm.stage"].search([("code", "!=", False)]).mapped("code")
        for code in ("1-PLAN", "2-APP", "3-INIT", "4-SCH", "5-START", "9-DONE"):
            self.assertIn(code, codes)
        new = self.env["utm.campaign"].create({"title": "Default status"})
        self.assertEqual(new.stage_id.code, "1-PLAN", "new campaigns start planned")


@tagged("post_install", "-at_install")
class TestInteractionFromTemplate(CampaignSegmentCase):
    def test_create_takes_what_it_does_not_say_from_the_template(self):
        """Over RPC as in the form: a new interaction takes the values it
        does not give from its template; the values it gives win."""
        template = self.template
        bare, given = self.env["crm.interaction"].create(
            [
                {"partner_id": self.buyer.id, "template_id": template.id},
                {
                    "partner_id": self.buyer.id,
                    "template_id": template.id,
                    "cost": 0.0,
                    "description": "Own words",
                },
            ]
        )
        expected = template._get_interaction_values()
        for fname in ("description", "cost", "duration", "information_flow"):
            self.assertEqual(bare[fname], expected[fname], fname)
        self.assertEqual(bare.initiated_by, template.initiated_by)
        self.assertEqual(bare.correspondence_type, template.correspondence_type)
        self.assertEqual(bare.campaign_id, template.campaign_id)
        self.assertEqual(given.cost, 0.0)
        self.assertEqual(given.description, "Own words")
        self.assertEqual(given.duration, template.unit_duration)


@tagged("post_install", "-at_install")
class TestCampaignStatistics(CampaignSegmentCase):
    def test_statistics_count_distinct_contacts(self):
        Interaction = self.env["crm.interaction"]
        # cost and duration given: not the template's
        common = {
            "campaign_id": self.campaign.id,
            "template_id": self.template.id,
            "cost": 0.0,
            "duration": 0.0,
        }
        as_engine(Interaction).create(
            [
                dict(common, partner_id=self.buyer.id, campaign_target=True, cost=2.0),
                dict(common, partner_id=self.buyer.id, campaign_target=True, cost=2.0),
                dict(
                    common,
                    partner_id=self.prospect_buyer.id,
                    campaign_target=True,
                    cost=2.0,
                    duration=1.0,
                ),
                dict(
                    common,
                    partner_id=self.buyer.id,
                    campaign_response=True,
                    duration=0.5,
                ),
                dict(
                    common,
                    partner_id=self.buyer.id,
                    campaign_response=True,
                    canceled=True,
                    cost=100.0,
                ),
            ]
        )
        campaign = self.campaign
        self.assertEqual(campaign.interaction_count, 4, "canceled ones left out")
        self.assertEqual(campaign.target_contact_count, 2)
        self.assertEqual(campaign.response_contact_count, 1)
        self.assertAlmostEqual(campaign.response_rate, 50.0)
        self.assertAlmostEqual(campaign.cost_total, 6.0)
        self.assertAlmostEqual(campaign.duration_total, 1.5)
        self.assertAlmostEqual(campaign.cost_per_response, 6.0)

    def test_opportunities_per_campaign(self):
        self.env["crm.lead"].create(
            {
                "name": "Rome Guest Chair for Futurus",
                "type": "opportunity",
                "partner_id": self.buyer.id,
                "campaign_id": self.campaign.id,
                "expected_revenue": 1200.0,
            }
        )
        self.assertEqual(self.campaign.opportunity_count, 1)
        self.assertAlmostEqual(self.campaign.opportunity_value, 1200.0)

    def test_smart_buttons(self):
        segment = self.env["crm.segment"].create(
            {"description": "Visitors", "campaign_id": self.campaign.id}
        )
        self.assertEqual(self.campaign.segment_count, 1)
        action = self.campaign.action_view_segments()
        self.assertEqual(self.env["crm.segment"].search(action["domain"]), segment)
        self.assertEqual(
            self.campaign.action_view_interactions()["res_model"], "crm.interaction"
        )
