# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A campaign e-mailed to three contacts and lettered to one, ready to answer."""

from odoo.tests import TransactionCase, new_test_user

from odoo.addons.mail.tests.common import MockEmail

MANAGER_GROUPS = (
    "base.group_user,crm_campaign_segment.crm_campaign_segment_group_manager,"
    "sales_team.group_sale_salesman_all_leads"
)
USER_GROUPS = (
    "base.group_user,crm_campaign_segment.crm_campaign_segment_group_user,"
    "sales_team.group_sale_salesman"
)


class ResponseCase(TransactionCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="resp_manager",
            groups=MANAGER_GROUPS,
        )
        cls.user = new_test_user(
            cls.env,
            login="resp_user",
            groups=USER_GROUPS,
            email="seller@cronus.example",
        )
        cls.other_user = new_test_user(
            cls.env,
            login="resp_other",
            groups=USER_GROUPS,
            email="other@cronus.example",
        )
        cls.campaign = cls.env["utm.campaign"].create({"title": "Rome Guest Chair"})
        cls.template = cls.env["crm.interaction.template"].create(
            {
                "code": "RESP-MAIL",
                "name": "Campaign e-mail",
                "unit_cost": 0.5,
                "unit_duration": 0.1,
                "information_flow": "outbound",
                "initiated_by": "us",
                "correspondence_type": "email",
                "lang": "en_US",
                "language_ids": [
                    (
                        0,
                        0,
                        {
                            "lang": "en_US",
                            "subject": "The Rome Guest Chair",
                            "body_html": "<p>Hello {{ object.name }}</p>",
                        },
                    )
                ],
            }
        )
        Partner = cls.env["res.partner"]
        cls.company_partner = Partner.create(
            {"name": "Rome Interiors", "is_company": True}
        )
        cls.partners = Partner.create(
            [
                {
                    "name": f"Prospect {index}",
                    "parent_id": cls.company_partner.id,
                    "email": f"prospect{index}@rome.example.com",
                    "lang": "en_US",
                }
                for index in range(1, 4)
            ]
        )

    def _log_segment(self, partners=None, ctype="email", send=True, campaign=None):
        segment = self.env["crm.segment"].create(
            {
                "description": "Rome Guest Chair prospects",
                "interaction_template_id": self.template.id,
                "campaign_id": (campaign or self.campaign).id,
                "campaign_target": True,
                "lang": "en_US",
                "correspondence_type": ctype,
                "ignore_partner_correspondence_type": True,
                "user_id": self.user.id,
            }
        )
        self.env["crm.segment.line"].create(
            [
                {"segment_id": segment.id, "partner_id": partner.id}
                for partner in (self.partners if partners is None else partners)
            ]
        )
        logged = self.env["crm.logged.segment"].browse(segment.log_segment(send=send))
        return logged.interaction_ids.sorted(lambda i: i.partner_id.name)
