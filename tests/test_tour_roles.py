# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Every screen of the addon opens for every role, in Norwegian.

Each role (a Campaign User and a Campaign Manager without any Sales group, a
salesperson) opens the Campaigns app, every menu of the addon, the first
record of each list with its tabs and smart buttons, in a real browser; the
tours (static/src/tours/crm_campaign_segment_screens_tour.js) fail on any
error dialog. Without the demo data the lists are empty: the test is skipped.
"""

from odoo.tests import new_test_user, tagged

from .common import DemoTourCase

MODULE = "crm_campaign_segment"
LANG = "nb_NO"
USER = f"{MODULE}.crm_campaign_segment_group_user"
MANAGER = f"{MODULE}.crm_campaign_segment_group_manager"
SALESMAN = "sales_team.group_sale_salesman"


@tagged("post_install", "-at_install", "tour")
class TestEveryScreenPerRole(DemoTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang(LANG)
        cls.env["ir.module.module"]._load_module_terms(["web", MODULE], [LANG])

    def setUp(self):
        super().setUp()
        # a record in the lists the demo data leaves empty
        segment = self.env.ref(f"{MODULE}.segment_office_futurus_visitors")
        self.env["crm.segment.criteria"].create(
            {"code": "PURCH", "name": "Purchasers of the trade fair"}
        )
        partner = segment.line_ids[:1].partner_id
        self.env["crm.consent.log"].sudo().create(
            {
                "partner_id": partner.id,
                "email": partner.email,
                "action": "opt_out",
                "source": "manual",
            }
        )

    def _user(self, login, groups):
        return new_test_user(
            self.env,
            login=login,
            name=login,
            groups=groups,
            lang=LANG,
            tz="Europe/Oslo",
        )

    def _assert_no_sales_rights(self, user):
        self.assertFalse(user.has_group(SALESMAN))
        self.assertFalse(user.has_group("sales_team.group_sale_salesman_all_leads"))

    def test_campaign_user(self):
        user = self._user("ccs_marketing_employee", f"base.group_user,{USER}")
        self._assert_no_sales_rights(user)
        self.assertFalse(user.has_group(MANAGER))
        self.start_tour(
            "/odoo", f"{MODULE}_screens_user", login=user.login, timeout=240
        )

    def test_campaign_manager(self):
        user = self._user("ccs_marketing_manager", f"base.group_user,{MANAGER}")
        self._assert_no_sales_rights(user)
        self.start_tour(
            "/odoo", f"{MODULE}_screens_manager", login=user.login, timeout=300
        )

    def test_salesperson(self):
        user = self._user("ccs_salesperson", f"base.group_user,{SALESMAN}")
        self.assertTrue(user.has_group(USER))
        self.assertFalse(user.has_group(MANAGER))
        self.start_tour(
            "/odoo", f"{MODULE}_screens_user", login=user.login, timeout=240
        )
