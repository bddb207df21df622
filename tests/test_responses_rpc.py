# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Responses, opportunities and statistics from an XML-RPC client."""

import xmlrpc.client

from odoo.tests import HttpCase, new_test_user, tagged

PASSWORD = "Rpc-Response-Pw-2026"


@tagged("post_install", "-at_install")
class TestResponsesOverRpc(HttpCase):
    def setUp(self):
        super().setUp()
        self.manager = new_test_user(
            self.env,
            login="resp_rpc_manager",
            password=PASSWORD,
            email="resp.rpc@example.com",
            groups="base.group_user,sales_team.group_sale_manager,"
            "crm_campaign_segment.crm_campaign_segment_group_manager",
        )
        self.campaign = self.env["utm.campaign"].create({"title": "RPC chairs"})
        template = self.env["crm.interaction.template"].create(
            {
                "code": "RPC-LETTER",
                "name": "Letter",
                "information_flow": "outbound",
                "correspondence_type": "hard_copy",
            }
        )
        self.partners = self.env["res.partner"].create(
            [{"name": f"RPC contact {index}"} for index in range(3)]
        )
        self.segment = self.env["crm.segment"].create(
            {
                "description": "RPC chair prospects",
                "interaction_template_id": template.id,
                "campaign_id": self.campaign.id,
                "campaign_target": True,
                "correspondence_type": "hard_copy",
                "user_id": self.manager.id,
            }
        )
        self.env["crm.segment.line"].create(
            [
                {"segment_id": self.segment.id, "partner_id": partner.id}
                for partner in self.partners
            ]
        )
        logged = self.env["crm.logged.segment"].browse(self.segment.log_segment())
        self.letters = logged.interaction_ids.sorted("id")
        self.uid = self.xmlrpc_common.authenticate(
            self.env.cr.dbname, self.manager.login, PASSWORD, {}
        )

    def rpc(self, model, method, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, self.uid, PASSWORD, model, method, list(args), kwargs
        )

    def test_register_opportunities_statistics(self):
        ids = self.rpc(
            "crm.interaction",
            "action_register_response",
            self.letters[:2].ids,
            evaluation="neutral",
        )
        self.assertEqual(len(ids), 2)
        self.assertTrue(all(isinstance(i, int) for i in ids))
        # on a contact, choosing the campaign, without an evaluation
        more = self.rpc(
            "res.partner",
            "action_register_campaign_response",
            self.letters[2].partner_id.ids,
            self.campaign.id,
        )
        self.assertEqual(len(more), 1)
        self.assertEqual(
            self.env["crm.interaction"].browse(more).response_to_id, self.letters[2]
        )
        # a second response with the same evaluation is refused
        with self.assertRaises(xmlrpc.client.Fault) as refused:
            self.rpc(
                "crm.interaction",
                "action_register_response",
                self.letters[:1].ids,
                evaluation="neutral",
            )
        self.assertIn("already responded", refused.exception.faultString)

        result = self.rpc(
            "crm.segment", "action_create_opportunities", [self.segment.id]
        )
        self.assertEqual(len(result["params"]["lead_ids"]), 3)
        self.assertEqual(result["params"]["skipped_partner_ids"], [])

        [stats] = self.rpc(
            "utm.campaign",
            "read",
            [self.campaign.id],
            ["target_contact_count", "response_contact_count", "opportunity_count"],
        )
        self.assertEqual(stats["target_contact_count"], 3)
        self.assertEqual(stats["response_contact_count"], 3)
        self.assertEqual(stats["opportunity_count"], 3)
