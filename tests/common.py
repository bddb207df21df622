# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import http
from odoo.tests.common import HttpCase, TransactionCase, new_test_user


class CampaignSegmentCase(TransactionCase):
    """Shared fixture: the trade-fair story in miniature, demo-independent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.manager = new_test_user(
            cls.env,
            login="ccs_manager",
            groups="base.group_user,crm_campaign_segment.crm_campaign_segment_group_manager",
        )
        cls.user = new_test_user(
            cls.env,
            login="ccs_user",
            groups="base.group_user,crm_campaign_segment.crm_campaign_segment_group_user",
        )
        cls.purchase = cls.env["crm.job.responsibility"].create(
            {"code": "T-PURCHASE", "name": "Purchase"}
        )
        cls.customer = cls.env["crm.business.relation"].create(
            {"code": "T-CUSTOMER", "name": "Customer"}
        )
        cls.template = cls.env["crm.interaction.template"].create(
            {
                "code": "T-BUS",
                "name": "Business letter",
                "unit_cost": 2.5,
                "unit_duration": 0.25,
                "information_flow": "outbound",
                "initiated_by": "us",
                "correspondence_type": "hard_copy",
                "lang": "en_US",
                "language_ids": [
                    (0, 0, {"lang": "en_US", "subject": "Thank you for visiting"})
                ],
            }
        )
        cls.campaign = cls.env["utm.campaign"].create(
            {"title": "Office Futurus trade fair (test)"}
        )
        Partner = cls.env["res.partner"]
        cls.fair_company = Partner.create(
            {
                "name": "Futurus Furniture",
                "is_company": True,
                "business_relation_ids": [(6, 0, cls.customer.ids)],
            }
        )
        cls.prospect_company = Partner.create(
            {"name": "Rome Interiors", "is_company": True}
        )
        cls.buyer = Partner.create(
            {
                "name": "Anna Buyer",
                "parent_id": cls.fair_company.id,
                "email": "anna@futurus.example.com",
                "job_responsibility_ids": [(6, 0, cls.purchase.ids)],
            }
        )
        cls.prospect_buyer = Partner.create(
            {
                "name": "Piero Prospect",
                "parent_id": cls.prospect_company.id,
                "email": "piero@rome.example.com",
                "correspondence_type": "email",
                "job_responsibility_ids": [(6, 0, cls.purchase.ids)],
            }
        )


class DemoTourCase(HttpCase):
    """A browser tour on the demo data (the walkthrough's story)."""

    def setUp(self):
        super().setUp()
        if not self.env.ref(
            "crm_campaign_segment.segment_office_futurus_visitors",
            raise_if_not_found=False,
        ):
            self.skipTest("The demo data of the walkthrough is not loaded.")
        # Map the addons' static folders (parsing every manifest) now, in this
        # thread: left to the browser's first parallel requests, several
        # threads parse them at once, which CPython 3.11 can fail with
        # "SystemError: AST constructor recursion depth mismatch" (gh-106905).
        _statics = http.root.statics
