# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Campaign prices: the target group of a campaign buys at the campaign price."""

from datetime import datetime, time, timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, HttpCase, TransactionCase, new_test_user, tagged

MODULE = "crm_campaign_segment"
MANAGER_GROUPS = f"base.group_user,{MODULE}.crm_campaign_segment_group_manager"
SALES_GROUPS = "base.group_user,sales_team.group_sale_salesman"


class CampaignPriceCase(TransactionCase):
    """The Rome Guest Chair at 250, at 199 for the campaign's target group."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.currency = cls.env.company.currency_id
        cls.manager = new_test_user(
            cls.env, login="price_manager", groups=MANAGER_GROUPS
        )
        cls.salesman = new_test_user(cls.env, login="price_sales", groups=SALES_GROUPS)
        Partner = cls.env["res.partner"]
        cls.customer_company = Partner.create(
            {"name": "Futurus Furniture", "is_company": True}
        )
        cls.buyer = Partner.create(
            {"name": "Anna Buyer", "parent_id": cls.customer_company.id}
        )
        cls.colleague = Partner.create(
            {"name": "Arne Colleague", "parent_id": cls.customer_company.id}
        )
        cls.other_customer = Partner.create(
            {"name": "Rome Interiors", "is_company": True}
        )
        cls.chair = cls.env["product.product"].create(
            {"name": "Rome Guest Chair (test)", "list_price": 250.0, "type": "consu"}
        )
        cls.table = cls.env["product.product"].create(
            {"name": "Rome Table (test)", "list_price": 400.0, "type": "consu"}
        )
        cls.public = cls.env["product.pricelist"].create(
            {"name": "Public (test)", "currency_id": cls.currency.id}
        )
        (cls.buyer | cls.colleague | cls.other_customer).write(
            {"property_product_pricelist": cls.public.id}
        )
        cls.template = cls.env["crm.interaction.template"].create(
            {
                "code": "PRICE-BUS",
                "name": "Business letter",
                "information_flow": "outbound",
                "initiated_by": "us",
                "correspondence_type": "hard_copy",
                "lang": "en_US",
                "language_ids": [(0, 0, {"lang": "en_US", "subject": "Welcome"})],
            }
        )
        cls.today = fields.Date.context_today(cls.env.user)
        cls.campaign = cls._campaign("Office Futurus trade fair", 199.0)

    @classmethod
    def _campaign(cls, title, chair_price, **values):
        pricelist = cls.env["product.pricelist"].create(
            {
                "name": f"{title} prices",
                "currency_id": cls.currency.id,
                "item_ids": [
                    (
                        0,
                        0,
                        {
                            "applied_on": "0_product_variant",
                            "product_id": cls.chair.id,
                            "compute_price": "fixed",
                            "fixed_price": chair_price,
                        },
                    )
                ],
            }
        )
        return cls.env["utm.campaign"].create(
            dict(
                {
                    "title": title,
                    "date_start": cls.today - timedelta(days=10),
                    "date_end": cls.today + timedelta(days=20),
                    "pricelist_id": pricelist.id,
                },
                **values,
            )
        )

    def _log_target_segment(self, campaign, partners, target=True):
        segment = self.env["crm.segment"].create(
            {
                "description": f"Visitors of {campaign.title}",
                "interaction_template_id": self.template.id,
                "campaign_id": campaign.id,
                "campaign_target": target,
                "correspondence_type": "hard_copy",
                "lang": "en_US",
            }
        )
        self.env["crm.segment.line"].create(
            [{"segment_id": segment.id, "partner_id": p.id} for p in partners]
        )
        return self.env["crm.logged.segment"].browse(segment.log_segment())

    def _order(self, partner, product=None, quantity=1.0, date_order=None):
        """A quotation typed in the form by a salesman."""
        Order = self.env["sale.order"].with_user(self.salesman)
        if date_order:
            Order = Order.with_context(default_date_order=date_order)
        with Form(Order) as form:
            form.partner_id = partner
            with form.order_line.new() as line:
                line.product_id = product or self.chair
                line.product_uom_qty = quantity
        return form.record

    def _moment(self, day):
        return datetime.combine(day, time(12, 0))


@tagged("post_install", "-at_install")
class TestCampaignPrices(CampaignPriceCase):
    """A target customer buys the chair during the campaign."""

    def setUp(self):
        super().setUp()
        self._log_target_segment(self.campaign, self.buyer)
        self.campaign.with_user(self.manager).action_activate_prices()

    def test_target_group_built_from_logged_target_segment(self):
        self.assertTrue(self.campaign.prices_active)
        self.assertEqual(self.campaign.target_ids.partner_id, self.customer_company)
        self.assertEqual(self.campaign.target_count, 1)
        # readable on the contact, by any employee
        company = self.customer_company.with_user(self.salesman)
        self.assertEqual(company.campaign_target_ids.campaign_id, self.campaign)

    def test_target_customer_within_dates_gets_campaign_price(self):
        order = self._order(self.buyer, quantity=2)
        line = order.order_line
        self.assertEqual(line.price_unit, 199.0)
        self.assertEqual(line.campaign_id, self.campaign)
        self.assertEqual(order.amount_untaxed, 398.0)
        # another contact of the same customer buys at the campaign price too
        line = self._order(self.colleague).order_line
        self.assertEqual((line.price_unit, line.campaign_id), (199.0, self.campaign))
        # a product without campaign price keeps its price, without campaign
        line = self._order(self.buyer, product=self.table).order_line
        self.assertEqual((line.price_unit, line.campaign_id.id), (400.0, False))

    def test_campaign_price_over_rpc(self):
        """The model, not the form, applies the price (create as RPC does)."""
        order = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create(
                {
                    "partner_id": self.buyer.id,
                    "order_line": [(0, 0, {"product_id": self.chair.id})],
                }
            )
        )
        self.assertEqual(order.order_line.price_unit, 199.0)
        self.assertEqual(order.order_line.campaign_id, self.campaign)

    def test_price_typed_by_hand_has_no_campaign(self):
        with Form(self.env["sale.order"].with_user(self.salesman)) as form:
            form.partner_id = self.buyer
            with form.order_line.new() as line:
                line.product_id = self.chair
                self.assertEqual(line.price_unit, 199.0)
                line.price_unit = 190.0
        line = form.record.order_line
        self.assertEqual(line.price_unit, 190.0)
        self.assertFalse(line.campaign_id)

    def test_campaign_price_list_is_nobody_s_default(self):
        """A customer without a price list never falls back to a campaign's."""
        self.env["product.pricelist"].search(
            [("campaign_ids", "=", False)]
        ).active = False
        customer = self.env["res.partner"].create({"name": "New customer"})
        self.assertFalse(customer.property_product_pricelist)
        # without price list, the campaign still prices the target customers
        self.buyer.property_product_pricelist = False
        order = self._order(self.buyer)
        self.assertFalse(order.pricelist_id)
        line = order.order_line
        self.assertEqual((line.price_unit, line.campaign_id), (199.0, self.campaign))

    def test_outside_dates_normal_price(self):
        for day in (
            self.campaign.date_start - timedelta(days=1),
            self.campaign.date_end + timedelta(days=1),
        ):
            line = self._order(self.buyer, date_order=self._moment(day)).order_line
            self.assertEqual(line.price_unit, 250.0, day)
            self.assertFalse(line.campaign_id, day)
        line = self._order(
            self.buyer, date_order=self._moment(self.campaign.date_end)
        ).order_line
        self.assertEqual(line.price_unit, 199.0)

    def test_non_target_customer_normal_price(self):
        line = self._order(self.other_customer).order_line
        self.assertEqual(line.price_unit, 250.0)
        self.assertFalse(line.campaign_id)

    def test_deactivated_normal_price(self):
        self.campaign.with_user(self.manager).action_deactivate_prices()
        self.assertFalse(self.campaign.prices_active)
        self.assertFalse(self.campaign.target_ids)
        self.assertFalse(self.customer_company.campaign_target_ids)
        line = self._order(self.buyer).order_line
        self.assertEqual(line.price_unit, 250.0)
        self.assertFalse(line.campaign_id)

    def test_update_prices_after_deactivation(self):
        """Odoo's Update Prices re-prices a quotation at the normal price."""
        order = self._order(self.buyer)
        self.campaign.action_deactivate_prices()
        order.action_update_prices()
        self.assertEqual(order.order_line.price_unit, 250.0)
        self.assertFalse(order.order_line.campaign_id)

    def test_normal_price_lower_than_campaign_price_stands(self):
        self.public.item_ids = [
            (
                0,
                0,
                {
                    "applied_on": "0_product_variant",
                    "product_id": self.chair.id,
                    "compute_price": "fixed",
                    "fixed_price": 150.0,
                },
            )
        ]
        line = self._order(self.buyer).order_line
        self.assertEqual(line.price_unit, 150.0)
        self.assertFalse(line.campaign_id)

    def test_two_campaigns_lowest_price_wins(self):
        cheaper = self._campaign("Spring clearance", 180.0)
        dearer = self._campaign("Design week", 220.0)
        for campaign in cheaper | dearer:
            self._log_target_segment(campaign, self.buyer)
        (cheaper | dearer).action_activate_prices()
        line = self._order(self.buyer).order_line
        self.assertEqual((line.price_unit, line.campaign_id), (180.0, cheaper))
        cheaper.action_deactivate_prices()
        line = self._order(self.buyer).order_line
        self.assertEqual((line.price_unit, line.campaign_id), (199.0, self.campaign))

    def test_discount_shown_as_the_rule_shows_it(self):
        """A percentage campaign rule is a discount on the line when discounts
        are shown, a lower unit price otherwise, as for any price list rule."""
        self.campaign.pricelist_id.item_ids.write(
            {"compute_price": "percentage", "percent_price": 20.0}
        )
        self.env.ref("base.user_root").groups_id = [
            (3, self.env.ref("sale.group_discount_per_so_line").id)
        ]
        line = self._order(self.buyer).order_line
        self.assertEqual((line.price_unit, line.discount), (200.0, 0.0))
        self.assertEqual(line.campaign_id, self.campaign)
        self.env.ref("base.user_root").groups_id = [
            (4, self.env.ref("sale.group_discount_per_so_line").id)
        ]
        line = self._order(self.buyer).order_line
        self.assertEqual((line.price_unit, line.discount), (250.0, 20.0))
        self.assertEqual(line.price_subtotal, 200.0)
        self.assertEqual(line.campaign_id, self.campaign)

    def test_revenue_of_confirmed_orders(self):
        confirmed = self._order(self.buyer, quantity=3)
        confirmed.action_confirm()
        self._order(self.colleague, quantity=5)  # a quotation: not counted
        self._order(self.other_customer, quantity=7).action_confirm()
        self.campaign.invalidate_recordset()
        self.assertEqual(self.campaign.price_order_count, 1)
        self.assertEqual(self.campaign.price_revenue, 597.0)
        self.assertEqual(self.campaign.price_currency_id, self.currency)

    def test_reactivation_adds_segments_logged_since(self):
        self._log_target_segment(self.campaign, self.other_customer)
        self.assertEqual(self.campaign.target_ids.partner_id, self.customer_company)
        self.campaign.action_activate_prices()
        self.assertEqual(
            self.campaign.target_ids.partner_id,
            self.customer_company | self.other_customer,
        )

    def test_other_currency_refused(self):
        other = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search(
                [("id", "!=", self.currency.id), ("name", "in", ("EUR", "USD"))],
                limit=1,
            )
        )
        other.active = True
        self.campaign.pricelist_id.currency_id = other
        with self.assertRaisesRegex(UserError, "currency of the campaign's price"):
            self._order(self.buyer)
        self.assertFalse(
            self.env["sale.order"].search([("partner_id", "=", self.buyer.id)])
        )
        # other customers are not concerned
        self.assertEqual(self._order(self.other_customer).order_line.price_unit, 250.0)


@tagged("post_install", "-at_install")
class TestCampaignPricesBadInput(CampaignPriceCase):
    """Activation checks everything first; nothing is half-activated."""

    def _assert_inactive(self, *campaigns):
        for campaign in campaigns:
            self.assertFalse(campaign.prices_active)
            self.assertFalse(campaign.target_ids)

    def test_no_price_list(self):
        self._log_target_segment(self.campaign, self.buyer)
        self.campaign.pricelist_id = False
        with self.assertRaisesRegex(UserError, "has no price list"):
            self.campaign.with_user(self.manager).action_activate_prices()
        self._assert_inactive(self.campaign)

    def test_no_logged_target_segment(self):
        with self.assertRaisesRegex(UserError, "no logged segment marked Campaign"):
            self.campaign.action_activate_prices()
        # a logged segment that is not a campaign target does not count
        self._log_target_segment(self.campaign, self.buyer, target=False)
        with self.assertRaisesRegex(UserError, "no logged segment marked Campaign"):
            self.campaign.action_activate_prices()
        # nor does a canceled one
        logged = self._log_target_segment(self.campaign, self.buyer)
        logged.action_cancel()
        with self.assertRaisesRegex(UserError, "no logged segment marked Campaign"):
            self.campaign.action_activate_prices()
        self._assert_inactive(self.campaign)

    def test_dates(self):
        self._log_target_segment(self.campaign, self.buyer)
        with self.assertRaisesRegex(ValidationError, "end date"):
            self.campaign.date_end = self.campaign.date_start - timedelta(days=1)
        self.campaign.date_end = False
        with self.assertRaisesRegex(UserError, "needs a start date and an end date"):
            self.campaign.action_activate_prices()
        self._assert_inactive(self.campaign)

    def test_one_error_for_all_campaigns_nothing_activated(self):
        good = self.campaign
        self._log_target_segment(good, self.buyer)
        bad = self._campaign("Without price list", 100.0)
        bad.pricelist_id = False
        with self.assertRaises(UserError) as error:
            (good | bad).action_activate_prices()
        message = str(error.exception)
        self.assertIn("Without price list", message)
        self.assertIn("has no price list", message)
        self.assertIn("no logged segment", message)
        self._assert_inactive(good, bad)
        line = self._order(self.buyer).order_line
        self.assertEqual(line.price_unit, 250.0)

    def test_active_flag_only_through_the_actions(self):
        with self.assertRaisesRegex(UserError, "Activate Prices"):
            self.campaign.write({"prices_active": True})
        with self.assertRaisesRegex(UserError, "Activate Prices"):
            self.env["utm.campaign"].create({"title": "Sneaky", "prices_active": True})
        self._log_target_segment(self.campaign, self.buyer)
        self.campaign.action_activate_prices()
        # an active campaign keeps its price list and dates
        with self.assertRaisesRegex(ValidationError, "has no price list"):
            self.campaign.pricelist_id = False

    def test_target_group_engine_only(self):
        self._log_target_segment(self.campaign, self.buyer)
        self.campaign.action_activate_prices()
        Target = self.env["crm.campaign.target"].with_user(self.manager)
        with self.assertRaises(AccessError):
            Target.create(
                {"campaign_id": self.campaign.id, "partner_id": self.buyer.id}
            )
        self.assertEqual(
            Target.search_count([("campaign_id", "=", self.campaign.id)]), 1
        )


@tagged("post_install", "-at_install")
class TestDemoCampaignPrice(TransactionCase):
    """Demo: the Rome Guest Chair at the campaign price of KM0001."""

    def test_demo_order_at_campaign_price(self):
        order = self.env.ref(f"{MODULE}.sale_order_rome_guest_chair", False)
        if not order:
            self.skipTest("The demo data is not loaded.")
        campaign = self.env.ref(f"{MODULE}.utm_campaign_office_futurus")
        chair = self.env.ref(f"{MODULE}.product_rome_guest_chair")
        self.assertEqual(chair.name, "Rome Guest Chair")
        self.assertTrue(campaign.prices_active)
        self.assertIn(
            order.partner_id.commercial_partner_id, campaign.target_ids.partner_id
        )
        line = order.order_line.filtered(lambda line: line.product_id == chair)
        self.assertEqual(line.campaign_id, campaign)
        self.assertLess(line.price_unit, chair.list_price)
        self.assertEqual(line.price_unit, campaign.pricelist_id.item_ids.fixed_price)
        self.assertEqual(order.state, "sale")
        self.assertEqual(campaign.price_revenue, line.price_subtotal)


@tagged("post_install", "-at_install")
class TestCampaignPricesOverRpc(HttpCase):
    """Activate the prices and take the order over XML-RPC, as a client would."""

    def test_price_story_over_xmlrpc(self):
        manager = new_test_user(
            self.env,
            login="rpc_price_manager",
            groups=f"{MANAGER_GROUPS},sales_team.group_sale_salesman",
        )
        fixture = self._fixture()
        today = fields.Date.context_today(self.env.user)
        campaign = self.env["utm.campaign"].create(
            {
                "title": "RPC campaign",
                "date_start": today - timedelta(days=10),
                "date_end": today + timedelta(days=20),
                "pricelist_id": self.env["product.pricelist"]
                .create(
                    {
                        "name": "RPC campaign prices",
                        "item_ids": [
                            (
                                0,
                                0,
                                {
                                    "applied_on": "0_product_variant",
                                    "product_id": fixture.chair.id,
                                    "compute_price": "fixed",
                                    "fixed_price": 199.0,
                                },
                            )
                        ],
                    }
                )
                .id,
            }
        )
        segment = self.env["crm.segment"].create(
            {
                "description": "RPC visitors",
                "interaction_template_id": fixture.template.id,
                "campaign_id": campaign.id,
                "campaign_target": True,
                "correspondence_type": "hard_copy",
                "lang": "en_US",
                "line_ids": [(0, 0, {"partner_id": fixture.buyer.id})],
            }
        )
        segment.log_segment()

        def call(model, method, *args):
            return self.xmlrpc_object.execute_kw(
                self.env.cr.dbname, manager.id, manager.login, model, method, list(args)
            )

        call("utm.campaign", "action_activate_prices", [campaign.id])
        order_id = call(
            "sale.order",
            "create",
            {
                "partner_id": fixture.buyer.id,
                "order_line": [(0, 0, {"product_id": fixture.chair.id})],
            },
        )
        [line] = call(
            "sale.order.line",
            "search_read",
            [("order_id", "=", order_id)],
            ["price_unit", "campaign_id"],
        )
        self.assertEqual(line["price_unit"], 199.0)
        self.assertEqual(line["campaign_id"][0], campaign.id)

    def _fixture(self):
        """The products and customers of CampaignPriceCase, in this test."""
        fixture = type("Fixture", (), {})()
        Partner = self.env["res.partner"]
        public = self.env["product.pricelist"].create({"name": "Public (RPC)"})
        company = Partner.create({"name": "RPC Furniture", "is_company": True})
        fixture.buyer = Partner.create(
            {
                "name": "RPC Buyer",
                "parent_id": company.id,
                "property_product_pricelist": public.id,
            }
        )
        fixture.chair = self.env["product.product"].create(
            {"name": "Rome Guest Chair (RPC)", "list_price": 250.0, "type": "consu"}
        )
        fixture.template = self.env["crm.interaction.template"].create(
            {
                "code": "RPC-BUS",
                "name": "Business letter",
                "information_flow": "outbound",
                "initiated_by": "us",
                "correspondence_type": "hard_copy",
                "lang": "en_US",
                "language_ids": [(0, 0, {"lang": "en_US", "subject": "Welcome"})],
            }
        )
        return fixture
