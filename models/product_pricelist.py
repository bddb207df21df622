# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ProductPricelist(models.Model):
    _inherit = "product.pricelist"

    campaign_ids = fields.One2many(
        "utm.campaign", "pricelist_id", string="Campaigns", readonly=True
    )

    def _get_partner_pricelist_multi_search_domain_hook(self, company_id):
        # A campaign's price list applies through the campaign only: never the
        # price list a customer without one falls back to.
        return super()._get_partner_pricelist_multi_search_domain_hook(company_id) + [
            ("campaign_ids", "=", False)
        ]
