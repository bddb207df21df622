# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The demo data shows a finished campaign with its responses and numbers."""

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoResponses(TransactionCase):
    def setUp(self):
        super().setUp()
        self.campaign = self.env.ref(
            "crm_campaign_segment.utm_campaign_spring_mailing", raise_if_not_found=False
        )
        if not self.campaign:
            self.skipTest("installed without demo data")

    def test_spring_letter_numbers(self):
        campaign = self.campaign
        self.assertEqual(campaign.logged_segment_count, 1)
        self.assertEqual(campaign.target_contact_count, 6)
        self.assertEqual(campaign.reached_contact_count, 6)
        self.assertEqual(campaign.response_contact_count, 4)
        self.assertAlmostEqual(campaign.response_rate, 400 / 6)
        self.assertEqual(campaign.opportunity_count, 2)
        responses = campaign.interaction_ids.filtered("campaign_response")
        self.assertEqual(len(responses), 4)
        self.assertTrue(all(responses.mapped("response_to_id")))
        self.assertEqual(
            responses.filtered("lead_id").mapped("evaluation"),
            ["very_positive", "very_positive"],
        )
        [entry] = campaign.campaign_entry_ids
        self.assertEqual(entry.response_contact_count, 4)

    def test_shipped_response_template(self):
        template = self.env.ref("crm_campaign_segment.interaction_template_resp")
        self.assertEqual(template.code, "RESP")
        self.assertEqual(self.campaign.response_template_id, template)


@tagged("post_install", "-at_install")
class TestResponseTemplateData(TransactionCase):
    def test_existing_resp_template_is_reused(self):
        """An update finds the shared RESP template made by hand and keeps it."""
        Template = self.env["crm.interaction.template"]
        template = self.env.ref("crm_campaign_segment.interaction_template_resp")
        self.env["ir.model.data"].search(
            [
                ("module", "=", "crm_campaign_segment"),
                ("name", "=", "interaction_template_resp"),
            ]
        ).unlink()
        self.env.registry.clear_cache()
        Template._ensure_response_template()
        self.assertEqual(
            self.env.ref("crm_campaign_segment.interaction_template_resp"), template
        )
        self.assertEqual(Template.search_count([("code", "=", "RESP")]), 1)
        # without any, it is created (the demo's responses use the old one, which
        # therefore cannot be deleted: it gets another code instead)
        template.code = "RESP-OLD"
        self.env["ir.model.data"].search(
            [
                ("module", "=", "crm_campaign_segment"),
                ("name", "=", "interaction_template_resp"),
            ]
        ).unlink()
        self.env.registry.clear_cache()
        Template._ensure_response_template()
        created = self.env.ref("crm_campaign_segment.interaction_template_resp")
        self.assertEqual(created.code, "RESP")
        self.assertEqual(created.information_flow, "inbound")
