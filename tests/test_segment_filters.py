# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.crm_segment_filter_mixin import FILTERS, OPTIONS
from ..models.crm_segment_step import MAX_CRITERIA_DEPTH
from ..tools.markers import as_engine
from .segment_common import SegmentCase


class FilterCase(SegmentCase):
    """Reduce and refine start from the fair's active contacts, so that the
    filters only ever see the contacts of the test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.active_fair = cls.fair_partners.filtered("active")
        cls.everyone = cls.active_fair  # b2 is excluded, added explicitly

    def start(self, segment=None):
        """A segment holding every active contact of the fair."""
        segment = segment or self.env["crm.segment"].create({"description": "Fair"})
        self.apply(
            "add",
            segment=segment,
            partner_ids=self.active_fair.ids,
            ignore_exclusion=True,
        )
        self.assertEqual(self.partners(segment), self.active_fair)
        return segment

    def reduced(self, **filter_values):
        segment = self.start()
        self.apply("reduce", segment=segment, **filter_values)
        return self.active_fair - self.partners(segment)

    def refined(self, **filter_values):
        segment = self.start()
        self.apply("refine", segment=segment, **filter_values)
        return self.partners(segment)

    def added(self, **filter_values):
        segment = self.env["crm.segment"].create({"description": "Added"})
        self.apply("add", segment=segment, **filter_values)
        return self.partners(segment)


@tagged("post_install", "-at_install")
class TestReduceRefineFilters(FilterCase):
    def test_interactions(self):
        template = self.env["crm.interaction.template"].create(
            {"code": "T-RR", "name": "Reduce letter"}
        )
        as_engine(self.env["crm.interaction"]).create(
            [
                {"partner_id": self.a1.id, "template_id": template.id},
                {
                    "partner_id": self.c1.id,
                    "template_id": template.id,
                    "canceled": True,
                },
            ]
        )
        values = {"interaction_template_ids": template.ids}
        self.assertEqual(self.reduced(**values), self.a1)
        self.assertEqual(self.refined(**values), self.a1)
        # entire companies: the whole of company A
        company_a = self.company_a | self.a1 | self.a2
        self.assertEqual(self.reduced(entire_companies=True, **values), company_a)
        self.assertEqual(self.refined(entire_companies=True, **values), company_a)

    def test_opportunities(self):
        stage = self.env["crm.stage"].create({"name": "Test Offer"})
        self.env["crm.lead"].create(
            {
                "name": "Desks for Anna",
                "type": "opportunity",
                "partner_id": self.a1.id,
                "stage_id": stage.id,
            }
        )
        company_a = self.company_a | self.a1 | self.a2
        # an opportunity of a person is not one of its company
        self.assertEqual(self.reduced(opportunity_filter="open"), self.a1)
        self.assertEqual(
            self.refined(opportunity_filter="stage", opportunity_stage_ids=stage.ids),
            self.a1,
        )
        self.assertEqual(
            self.refined(opportunity_filter="none"), self.active_fair - self.a1
        )
        self.assertEqual(
            self.reduced(opportunity_filter="open", entire_companies=True), company_a
        )
        self.assertEqual(
            self.refined(opportunity_filter="none", entire_companies=True),
            self.active_fair,
        )
        # every company has a contact without an open opportunity
        self.assertEqual(
            self.reduced(opportunity_filter="none", entire_companies=True),
            self.active_fair,
        )

    def test_activities(self):
        call = self.env.ref("mail.mail_activity_data_call")
        today = fields.Date.context_today(self.env.user)
        self.c1.activity_schedule(
            activity_type_id=call.id, date_deadline=today - timedelta(days=1)
        )
        self.a2.activity_schedule(
            activity_type_id=call.id, date_deadline=today + timedelta(days=3)
        )
        company_c = self.company_c | self.c1
        self.assertEqual(self.reduced(activity_filter="overdue"), self.c1)
        self.assertEqual(self.refined(activity_filter="planned"), self.a2)
        self.assertEqual(self.refined(activity_type_ids=call.ids), self.a2 | self.c1)
        self.assertEqual(
            self.reduced(activity_filter="overdue", entire_companies=True), company_c
        )
        self.assertEqual(
            self.refined(activity_filter="planned", entire_companies=True),
            self.company_a | self.a1 | self.a2,
        )

    def test_activity_and_evaluation_filters_on_add_see_only_given_contacts(self):
        """Other contacts of the database may have activities and evaluated
        interactions: the test restricts itself to its own contacts."""
        call = self.env.ref("mail.mail_activity_data_call")
        today = fields.Date.context_today(self.env.user)
        self.b1.activity_schedule(
            activity_type_id=call.id, date_deadline=today - timedelta(days=5)
        )
        self.env["crm.interaction"].create(
            {"partner_id": self.c1.id, "evaluation": "very_negative"}
        )
        own = {"partner_ids": self.fair_partners.ids}
        self.assertEqual(self.added(activity_filter="overdue", **own), self.b1)
        self.assertEqual(
            self.added(interaction_evaluation="very_negative", **own), self.c1
        )


@tagged("post_install", "-at_install")
class TestOpportunityStages(FilterCase):
    def test_won_opportunity_is_not_open(self):
        won = self.env["crm.stage"].create({"name": "Test Won", "is_won": True})
        self.env["crm.lead"].create(
            {
                "name": "Won chairs",
                "type": "opportunity",
                "partner_id": self.c1.id,
                "stage_id": won.id,
            }
        )
        own = {"partner_ids": self.fair_partners.ids}
        self.assertFalse(self.added(opportunity_filter="open", **own))
        # a contact whose only opportunity is won has no open opportunity
        self.assertIn(self.c1, self.added(opportunity_filter="none", **own))
        self.assertEqual(
            self.added(
                opportunity_filter="stage", opportunity_stage_ids=won.ids, **own
            ),
            self.c1,
        )


@tagged("post_install", "-at_install")
class TestInteractionDates(FilterCase):
    def test_date_to_includes_the_whole_day(self):
        day = fields.Date.to_date("2026-03-10")
        evening = datetime.combine(day, datetime.min.time()) + timedelta(
            hours=23, minutes=59, seconds=59
        )
        next_midnight = datetime.combine(day + timedelta(days=1), datetime.min.time())
        self.env["crm.interaction"].create(
            [
                {"partner_id": self.a1.id, "date": evening},
                {"partner_id": self.b1.id, "date": next_midnight},
                {
                    "partner_id": self.c1.id,
                    "date": datetime.combine(day, datetime.min.time()),
                },
            ]
        )
        own = {"partner_ids": self.fair_partners.ids}
        self.assertEqual(
            self.added(interaction_date_to="2026-03-10", **own), self.a1 | self.c1
        )
        self.assertEqual(
            self.added(
                interaction_date_from="2026-03-10",
                interaction_date_to="2026-03-10",
                **own,
            ),
            self.a1 | self.c1,
        )
        self.assertEqual(self.added(interaction_date_from="2026-03-11", **own), self.b1)


@tagged("post_install", "-at_install")
class TestSegmentsAndCampaigns(FilterCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.campaign = cls.env["utm.campaign"].create({"name": "Test spring fair"})
        cls.other_campaign = cls.env["utm.campaign"].create({"name": "Test autumn"})
        cls.logged = cls.env["crm.logged.segment"].create({"description": "Sent"})
        Interaction = cls.env["crm.interaction"]
        as_engine(Interaction).create(
            [
                # targeted and logged in the logged segment
                {
                    "partner_id": cls.a1.id,
                    "campaign_id": cls.campaign.id,
                    "campaign_target": True,
                    "logged_segment_id": cls.logged.id,
                },
                {
                    "partner_id": cls.b1.id,
                    "campaign_id": cls.campaign.id,
                    "campaign_target": True,
                    "logged_segment_id": cls.logged.id,
                },
                # a canceled target counts for nothing
                {
                    "partner_id": cls.c1.id,
                    "campaign_id": cls.campaign.id,
                    "campaign_target": True,
                    "canceled": True,
                },
                # responses: b1 to the campaign, c1 to the other one
                {
                    "partner_id": cls.b1.id,
                    "campaign_id": cls.campaign.id,
                    "campaign_response": True,
                },
                {
                    "partner_id": cls.c1.id,
                    "campaign_id": cls.other_campaign.id,
                    "campaign_response": True,
                },
                {
                    "partner_id": cls.a2.id,
                    "campaign_id": cls.campaign.id,
                    "campaign_response": True,
                    "canceled": True,
                },
            ]
        )

    def test_in_segment(self):
        other = self.env["crm.segment"].create({"description": "Exclusion list"})
        self.apply("add", segment=other, partner_ids=(self.a2 | self.c1).ids)
        values = {"segment_ids": other.ids}
        self.assertEqual(self.added(**values), self.a2 | self.c1)
        self.assertEqual(self.reduced(**values), self.a2 | self.c1)
        self.assertEqual(self.refined(**values), self.a2 | self.c1)

    def test_in_logged_segment(self):
        values = {"logged_segment_ids": self.logged.ids}
        self.assertEqual(self.added(**values), self.a1 | self.b1)
        self.assertEqual(self.reduced(**values), self.a1 | self.b1)
        self.assertEqual(self.refined(**values), self.a1 | self.b1)

    def test_targeted_by_campaign(self):
        values = {"target_campaign_ids": self.campaign.ids}
        self.assertEqual(self.added(**values), self.a1 | self.b1)
        self.assertEqual(self.reduced(**values), self.a1 | self.b1)
        self.assertEqual(self.refined(**values), self.a1 | self.b1)
        self.assertFalse(self.added(target_campaign_ids=self.other_campaign.ids))

    def test_responded_to_campaign(self):
        values = {"response_campaign_ids": self.campaign.ids}
        self.assertEqual(self.added(**values), self.b1)
        self.assertEqual(self.reduced(**values), self.b1)
        self.assertEqual(self.refined(**values), self.b1)
        both = {"response_campaign_ids": (self.campaign | self.other_campaign).ids}
        self.assertEqual(self.added(**both), self.b1 | self.c1)
        # targeted but did not respond: the follow-up list
        segment = self.env["crm.segment"].create({"description": "Reminder"})
        self.apply("add", segment=segment, target_campaign_ids=self.campaign.ids)
        self.apply("reduce", segment=segment, response_campaign_ids=self.campaign.ids)
        self.assertEqual(self.partners(segment), self.a1)
        step = segment.step_ids.sorted("sequence")[-1]
        self.assertIn("Responded to Campaigns: ", step.description)
        self.assertIn("Test spring fair", step.description)

    def test_wizard_has_the_filters(self):
        segment = self.env["crm.segment"].create({"description": "Wizard"})
        wizard = self.env["crm.segment.filter"].create(
            {
                "segment_id": segment.id,
                "mode": "add",
                "target_campaign_ids": [(6, 0, self.campaign.ids)],
                "response_campaign_ids": [(6, 0, self.other_campaign.ids)],
            }
        )
        self.assertEqual(
            wizard._filter_values()["target_campaign_ids"], self.campaign.ids
        )
        wizard.action_apply()
        self.assertFalse(self.partners(segment))  # nobody is both


@tagged("post_install", "-at_install")
class TestFilterLanguage(FilterCase):
    def test_one_definition(self):
        """Every filter and option is a field of the wizard, is normalised,
        and is named in the description."""
        Filter = self.env["crm.segment.filter.mixin"]
        Wizard = self.env["crm.segment.filter"]
        for key in (*FILTERS, *OPTIONS):
            self.assertIn(key, Wizard._fields)
            self.assertIn(key, Filter._fields)
        values = Filter._filter_normalize(
            {
                "job_responsibility_ids": self.purchase.id,
                "interaction_date_to": "2026-01-31",
                "expand_company": 1,
                "entire_companies": True,
                "mailing_group_ids": [],
            },
            "add",
        )
        self.assertEqual(
            values,
            {
                "job_responsibility_ids": self.purchase.ids,
                "interaction_date_to": "2026-01-31",
                "expand_company": True,
            },
        )
        description = Filter._filter_describe("add", values)
        self.assertIn("Job Responsibilities: ", description)
        self.assertIn("Purchase", description)
        self.assertIn("Interactions To: 2026-01-31", description)
        self.assertIn("Expand Companies", description)
        with self.assertRaisesRegex(UserError, "is not a date"):
            Filter._filter_normalize({"interaction_date_to": "soon"})
        with self.assertRaisesRegex(UserError, "is not one of"):
            Filter._filter_normalize({"opportunity_filter": "maybe"})

    def test_domain_matches_the_engine(self):
        """The domain of the filters finds what the step adds."""
        values = {
            "business_relation_ids": self.customer.ids,
            "job_responsibility_ids": self.purchase.ids,
        }
        domain = self.env["crm.segment.filter.mixin"]._filter_domain(values)
        found = self.env["res.partner"].search(
            domain + [("exclude_from_segment", "=", False)]
        )
        self.assertEqual(found, self.a1 | self.c1)
        self.assertEqual(self.added(**values), found)


@tagged("post_install", "-at_install")
class TestNestedCriteria(FilterCase):
    def criteria(self, code, steps):
        """Saved criteria of the Campaign User, who owns their refreshes."""
        Criteria = self.env["crm.segment.criteria"].with_user(self.user)
        return Criteria.create(
            {
                "code": code,
                "name": code,
                "step_ids": [
                    fields.Command.create(
                        {"sequence": index, "mode": mode, "filter_values": values}
                    )
                    for index, (mode, values) in enumerate(steps, start=1)
                ],
            }
        ).with_env(self.env)

    def test_nested_criteria_are_replayed(self):
        buyers = self.criteria(
            "T-BUYERS", [("add", {"job_responsibility_ids": self.purchase.ids})]
        )
        customers = self.criteria(
            "T-CUSTOMER-BUYERS",
            [
                ("refresh", {"criteria_id": buyers.id}),
                ("refine", {"business_relation_ids": self.customer.ids}),
            ],
        )
        segment = self.env["crm.segment"].create(
            {"description": "Nested", "criteria_id": customers.id}
        )
        segment.action_refresh()
        self.assertEqual(self.partners(segment), self.a1 | self.c1)

    def test_depth_limit(self):
        criteria = self.criteria(
            "T-LEVEL-0", [("add", {"job_responsibility_ids": self.purchase.ids})]
        )
        for level in range(1, MAX_CRITERIA_DEPTH + 1):
            criteria = self.criteria(
                f"T-LEVEL-{level}", [("refresh", {"criteria_id": criteria.id})]
            )
        segment = self.env["crm.segment"].create(
            {"description": "Deep", "criteria_id": criteria.id}
        )
        segment.action_refresh()  # MAX_CRITERIA_DEPTH levels are fine
        self.assertEqual(self.partners(segment), self.a1 | self.b1 | self.c1)
        deeper = self.criteria(
            "T-LEVEL-TOO-DEEP", [("refresh", {"criteria_id": criteria.id})]
        )
        segment.criteria_id = deeper
        with self.assertRaisesRegex(UserError, "levels deep"):
            segment.action_refresh()
        self.assertEqual(self.partners(segment), self.a1 | self.b1 | self.c1)

    def test_failing_refresh_leaves_segment_and_others(self):
        """A dynamic segment whose refresh fails is logged and left as it
        was; the other dynamic segments are refreshed."""
        buyers = self.criteria(
            "T-OK", [("add", {"job_responsibility_ids": self.purchase.ids})]
        )
        broken = self.criteria("T-BROKEN", [("refresh", {"criteria_id": 0})])
        Segment = self.env["crm.segment"].with_user(self.user)
        failing = Segment.create(
            {
                "description": "Failing",
                "criteria_id": broken.id,
                "auto_refresh": True,
            }
        ).with_env(self.env)
        self.apply("add", segment=failing, partner_ids=self.a2.ids)
        working = Segment.create(
            {
                "description": "Working",
                "criteria_id": buyers.id,
                "auto_refresh": True,
            }
        ).with_env(self.env)
        with self.assertLogs(
            "odoo.addons.crm_campaign_segment.models.crm_segment", "ERROR"
        ) as logs:
            self.env["crm.segment"]._cron_refresh_dynamic_segments()
        self.assertTrue(any(failing.name in line for line in logs.output))
        self.assertEqual(self.partners(failing), self.a2)
        self.assertEqual(len(failing.step_ids), 1)
        self.assertEqual(self.partners(working), self.a1 | self.b1 | self.c1)

    def test_saved_steps_are_checked_and_described(self):
        criteria = self.criteria(
            "T-DESCRIBED",
            [
                (
                    "reduce",
                    {"business_relation_ids": self.vendor.id, "expand_company": 1},
                )
            ],
        )
        step = criteria.step_ids
        self.assertEqual(step.filter_values, {"business_relation_ids": self.vendor.ids})
        self.assertIn("Business Relations: ", step.description)
        with self.assertRaisesRegex(UserError, "Unknown segment filter"):
            self.criteria("T-UNKNOWN", [("add", {"no_such_filter": 1})])
