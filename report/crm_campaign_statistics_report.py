# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The statistics PDF of campaigns, for the period its reader asks for."""

from odoo import api, models

from ..models.utm_campaign import STATISTICS_PERIOD_KEYS


class ReportCampaignStatistics(models.AbstractModel):
    _name = "report.crm_campaign_segment.report_campaign_statistics_document"
    _description = "Campaign Statistics"

    @api.model
    def _get_report_values(self, docids, data=None):
        """The campaigns, for the period of the report's parameters (``data``
        keys ``statistics_date_from`` / ``statistics_date_to``, as
        action_print_statistics passes a period of the context), else the
        reader's own period."""
        data = data or {}
        # printed with parameters, the web client sends the ids in the context
        docids = docids or self.env.context.get("active_ids") or []
        campaigns = self.env["utm.campaign"].browse(docids)
        if any(key in data for key in STATISTICS_PERIOD_KEYS):
            campaigns = campaigns.with_context(
                **{key: data.get(key) or False for key in STATISTICS_PERIOD_KEYS}
            )
        # an inverted period is refused before anything is rendered
        campaigns._statistics_period()
        return {
            "doc_ids": campaigns.ids,
            "doc_model": "utm.campaign",
            "docs": campaigns,
        }
