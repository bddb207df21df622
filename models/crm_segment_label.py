# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Address labels of a segment's contacts (report/crm_segment_label_report.xml)."""

from odoo import models

from .crm_segment import _label_pages


class CrmLoggedSegment(models.Model):
    _inherit = "crm.logged.segment"

    def _get_label_partners(self):
        """The contacts of the interactions, in the order of the segment lines."""
        self.ensure_one()
        interactions = self.interaction_ids.sorted(
            lambda interaction: (interaction.segment_line_id.id or 0, interaction.id)
        )
        return interactions.partner_id

    def _get_label_pages(self, columns, rows):
        return _label_pages(self, columns, rows)
