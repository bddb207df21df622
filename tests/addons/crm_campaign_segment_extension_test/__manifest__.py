# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "CRM Campaign Segments: extension for the tests",
    "summary": "Extends the records that logging creates, as an integrator would: "
    "the tests check that logging keeps what the extension adds.",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "license": "LGPL-3",
    "author": "crm_campaign_segment",
    "depends": ["crm_campaign_segment"],
    "data": [],
    "installable": True,
    "application": False,
}
