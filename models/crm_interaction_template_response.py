# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models

RESPONSE_TEMPLATE_XMLID = "crm_campaign_segment.interaction_template_resp"


class CrmInteractionTemplate(models.Model):
    _inherit = "crm.interaction.template"

    @api.model
    def _ensure_response_template(self):
        """Make sure the default template of campaign responses exists.

        Run on install and on every update: a database where a shared ``RESP``
        template was created by hand keeps it and gets it as the default,
        instead of failing on the unique code.
        """
        if self.env.ref(RESPONSE_TEMPLATE_XMLID, raise_if_not_found=False):
            return
        template = self.with_context(active_test=False).search(
            [("code", "=", "RESP"), ("company_id", "=", False)], limit=1
        )
        if not template:
            template = self.with_context(lang="en_US").create(
                {
                    "code": "RESP",
                    "name": "Campaign response",
                    "unit_cost": 0.0,
                    "unit_duration": 0.25,
                    "information_flow": "inbound",
                    "initiated_by": "them",
                    "lang": "en_US",
                }
            )
        self.env["ir.model.data"]._update_xmlids(
            [{"xml_id": RESPONSE_TEMPLATE_XMLID, "record": template, "noupdate": True}]
        )
