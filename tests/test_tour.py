# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The sales-campaign walkthrough in a real browser (web client tour).

The tour ``crm_campaign_segment_walkthrough`` (static/src/tours/) plays steps 1
to 8 on the demo data as the marketing manager; this test then checks what the
tour left in the database. Without the demo data the test is skipped.
"""

from datetime import date

from odoo import http
from odoo.tests import HttpCase, new_test_user, tagged

MODULE = "crm_campaign_segment"
CAMPAIGN = "Office Futurus trade fair (tour)"
SEGMENT = "Office Futurus trade fair visitors (tour)"


@tagged("post_install", "-at_install", "tour")
class TestWalkthroughInBrowser(HttpCase):
    def setUp(self):
        super().setUp()
        if not self.env.ref(
            f"{MODULE}.segment_office_futurus_visitors", raise_if_not_found=False
        ):
            self.skipTest("The demo data of the walkthrough is not loaded.")
        # Map the addons' static folders (parsing every manifest) now, in this
        # thread: left to the browser's first parallel requests, several
        # threads parse them at once, which CPython 3.11 can fail with
        # "SystemError: AST constructor recursion depth mismatch" (gh-106905).
        _statics = http.root.statics
        # the marketing manager of the story: CRM and campaign manager
        self.manager = new_test_user(
            self.env,
            login="ccs_tour_manager",
            name="Marketing Manager",
            groups="base.group_user,sales_team.group_sale_manager,"
            f"{MODULE}.crm_campaign_segment_group_manager",
            lang="en_US",
            tz="Europe/Oslo",
        )

    def test_walkthrough(self):
        self.start_tour(
            "/odoo",
            "crm_campaign_segment_walkthrough",
            login=self.manager.login,
            timeout=180,
        )

        campaign = self.env["utm.campaign"].search([("title", "=", CAMPAIGN)])
        self.assertEqual(len(campaign), 1)
        self.assertRegex(campaign.code, r"^KM\d+$")
        self.assertEqual(campaign.stage_id.code, "1-PLAN")
        self.assertEqual(campaign.date_start, date(2026, 3, 2))
        self.assertEqual(campaign.date_end, date(2026, 3, 30))
        self.assertEqual(campaign.create_uid, self.manager)

        segment = self.env["crm.segment"].search([("description", "=", SEGMENT)])
        self.assertEqual(len(segment), 1)
        self.assertRegex(segment.name, r"^SM\d+$")
        self.assertEqual(segment.state, "logged")
        self.assertEqual(segment.campaign_id, campaign)
        self.assertTrue(segment.campaign_target)
        self.assertEqual(segment.interaction_template_id.code, "BUS")
        self.assertEqual(segment.line_count, 12)
        # add, reduce (undone, then discarded by the new reduce), reduce
        steps = segment.step_ids.sorted("sequence")
        self.assertEqual(steps.mapped("mode"), ["add", "reduce"])
        self.assertFalse(any(steps.mapped("undone")))

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
        self.assertEqual(campaign.interaction_count, 12)
        self.assertEqual(campaign.target_contact_count, 12)

        follow_up = logged.follow_up_segment_id
        self.assertTrue(follow_up)
        self.assertEqual(follow_up.state, "draft")
        self.assertEqual(follow_up.campaign_id, campaign)
        self.assertEqual(follow_up.line_count, 12)
        self.assertEqual(follow_up.line_ids.partner_id, segment.line_ids.partner_id)
