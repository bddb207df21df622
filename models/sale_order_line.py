# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError


class SaleOrderLine(models.Model):
    """Campaign prices on sales order lines.

    Odoo prices a line through its price list rule (``pricelist_item_id``):
    the price (``_get_pricelist_price``), the price before discount and the
    discount shown (``_get_pricelist_price_before_discount``,
    ``_compute_discount``) all follow that rule.  For a customer of an active
    campaign's target group, on an order dated within the campaign, the rule of
    the campaign's price list takes its place when it gives a lower price; the
    rest of Odoo's pricing is unchanged.
    """

    _inherit = "sale.order.line"

    campaign_id = fields.Many2one(
        "utm.campaign",
        string="Campaign Price",
        compute="_compute_campaign_id",
        store=True,
        precompute=True,
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The campaign whose price list gave this line its price.",
    )
    price_campaign_id = fields.Many2one(
        "utm.campaign",
        compute="_compute_pricelist_item_id",
        help="The campaign whose price list rule prices this line now.",
    )

    # -------------------------------------------------------------------------
    # PRICING
    # -------------------------------------------------------------------------
    @api.depends("product_id", "product_uom", "product_uom_qty")
    def _compute_pricelist_item_id(self):
        res = super()._compute_pricelist_item_id()
        campaigns_by_key = {}
        for line in self:
            line.price_campaign_id = False
            campaigns = line._get_price_campaigns(campaigns_by_key)
            if not campaigns:
                continue
            campaign, item = line._get_campaign_price_rule(campaigns)
            if campaign:
                line.pricelist_item_id = item
                line.price_campaign_id = campaign
        return res

    def _get_campaign_date(self):
        """The order's date, as a date in the user's time zone."""
        self.ensure_one()
        moment = self._get_order_date() or fields.Datetime.now()
        return fields.Datetime.context_timestamp(self, moment).date()

    def _get_price_campaigns(self, cache=None):
        """The active campaigns whose target group holds the line's customer
        and whose dates hold the order's date."""
        self.ensure_one()
        order = self.order_id
        customer = order.partner_id.commercial_partner_id
        if (
            not customer
            or not self.product_id
            or not self.product_uom
            or self.display_type
        ):
            return self.env["utm.campaign"]
        company = order.company_id or self.env.company
        key = (customer.id, self._get_campaign_date(), company.id)
        if cache is not None and key in cache:
            return cache[key]
        day = key[1]
        targets = (
            self.env["crm.campaign.target"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", customer.id),
                    ("campaign_id.prices_active", "=", True),
                    ("campaign_id.date_start", "<=", day),
                    ("campaign_id.date_end", ">=", day),
                    ("campaign_id.company_id", "in", [False, company.id]),
                    ("campaign_id.pricelist_id", "!=", False),
                ]
            )
        )
        campaigns = targets.campaign_id.sorted("id").with_env(self.env)
        if cache is not None:
            cache[key] = campaigns
        return campaigns

    def _get_campaign_price_rule(self, campaigns):
        """The campaign and price list rule giving the lowest price, when it is
        lower than the price of the line's own rule; else empty records.

        A campaign price list in another currency than the order is refused:
        its fixed prices would be read in the wrong currency.
        """
        self.ensure_one()
        Item = self.env["product.pricelist.item"]
        currency = self.currency_id or self.order_id.company_id.currency_id
        product = self.product_id.with_context(**self._get_product_price_context())
        quantity = self.product_uom_qty or 1.0
        uom = self.product_uom
        date = self._get_order_date()
        best_campaign, best_item = self.env["utm.campaign"], Item
        best_price = self._get_pricelist_price()
        for campaign in campaigns:
            pricelist = campaign.sudo().pricelist_id
            if pricelist.currency_id != currency:
                raise UserError(
                    self.env._(
                        "The price list %(pricelist)s of campaign %(campaign)s is "
                        "in %(pricelist_currency)s, this order is in "
                        "%(order_currency)s: campaign prices apply only to orders "
                        "in the currency of the campaign's price list. Use a price "
                        "list in %(pricelist_currency)s for this order, or ask the "
                        "campaign manager to deactivate or change the campaign "
                        "prices.",
                        pricelist=pricelist.display_name,
                        campaign=campaign.sudo().display_name,
                        pricelist_currency=pricelist.currency_id.name,
                        order_currency=currency.name,
                    )
                )
            item = Item.browse(
                pricelist._get_product_rule(
                    product, quantity, uom=uom, date=date, currency=currency
                )
            )
            if not item:
                # no campaign price for this product
                continue
            price = item._compute_price(
                product=product,
                quantity=quantity,
                uom=uom,
                date=date,
                currency=currency,
            )
            if currency.compare_amounts(price, best_price) < 0:
                best_campaign, best_item, best_price = campaign, item, price
        return best_campaign, best_item.with_env(self.env)

    @api.depends("product_id", "product_uom", "product_uom_qty")
    def _compute_campaign_id(self):
        """The campaign of the price, set when Odoo sets the price: a price
        typed by hand or already invoiced keeps the campaign it had."""
        force = self.env.context.get("force_price_recomputation")
        for line in self:
            currency = (
                line.currency_id
                or line.company_id.currency_id
                or line.env.company.currency_id
            )
            manual = currency.compare_amounts(
                line.technical_price_unit, line.price_unit
            )
            if (not force and manual) or line.qty_invoiced > 0:
                line.campaign_id = line._origin.campaign_id
            else:
                line.campaign_id = line.price_campaign_id

    def _reset_price_unit(self):
        res = super()._reset_price_unit()
        # Update Prices recomputes the price only: its campaign follows it
        self.campaign_id = self.price_campaign_id
        return res

    @api.depends("product_id", "product_uom", "product_uom_qty")
    def _compute_discount(self):
        super()._compute_discount()
        # Odoo shows a rule's discount on orders with a price list only; a
        # campaign rule shows its discount on orders without one too.
        if not self.env["product.pricelist.item"]._is_discount_feature_enabled():
            return
        for line in self.filtered(
            lambda line: (
                line.price_campaign_id
                and not line.order_id.pricelist_id
                and not line.combo_item_id
                and line.pricelist_item_id._show_discount()
            )
        ):
            line = line.with_company(line.company_id)
            base_price = line._get_pricelist_price_before_discount()
            price = line._get_pricelist_price()
            if base_price > 0 and price < base_price:
                line.discount = (base_price - price) / base_price * 100
