# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models

# The contact fields of "Export Contacts": the columns of the contacts list it
# opens (Odoo's export proposes a list's columns) and the saved export
# template "Segment contacts" (data/crm_segment_export_data.xml).
EXPORT_VIEW = "crm_campaign_segment.res_partner_view_list_segment_export"
EXPORT_TEMPLATE = "crm_campaign_segment.ir_exports_segment_contacts"


class CrmSegment(models.Model):
    _inherit = "crm.segment"

    def action_export_contacts(self):
        """The segment's contacts in a list whose columns are the prepared
        export fields: select them all and export, in CSV or XLSX, as Odoo
        offers (or pick the export template "Segment contacts")."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Contacts of %(segment)s", segment=self.display_name),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "views": [(self.env.ref(EXPORT_VIEW).id, "list"), (False, "form")],
            "domain": [("segment_line_ids.segment_id", "=", self.id)],
            "context": {"create": False, "active_test": False},
        }
