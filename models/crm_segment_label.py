# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Address labels of a segment's contacts (report/crm_segment_label_report.xml)."""

from odoo import models


def _label_pages(records, columns, rows):
    """The labels of the records' contacts, sheet by sheet, row by row (left
    to right); each record starts on a new sheet.

    One list for all the records: the report prints them in one document
    (wkhtmltopdf builds without patched Qt print one HTML document only)."""
    per_page = columns * rows
    pages = []
    for record in records:
        labels = [
            partner._get_label_lines() for partner in record._get_label_partners()
        ]
        for start in range(0, len(labels), per_page):
            page = labels[start : start + per_page]
            page += [[]] * (per_page - len(page))
            pages.append(
                [page[row : row + columns] for row in range(0, per_page, columns)]
            )
    return pages


class CrmSegment(models.Model):
    _inherit = "crm.segment"

    def _get_label_partners(self):
        """The contacts of the lines, in the order of the lines."""
        self.ensure_one()
        return self.line_ids.sorted("id").partner_id

    def _get_label_pages(self, columns, rows):
        return _label_pages(self, columns, rows)


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
