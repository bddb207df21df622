# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from .common import CampaignSegmentCase


@tagged("post_install", "-at_install")
class TestImportBusinessCards(CampaignSegmentCase):
    """Walkthrough step 0: business cards come from a spreadsheet too."""

    def test_import_persons_with_classification_codes(self):
        procurement = self.env["crm.job.responsibility"].create(
            {"code": "T-PROC", "name": "Procurement of guest chairs"}
        )
        fields = [
            "name",
            "is_company",
            "parent_id",
            "email",
            "job_responsibility_ids",
            "business_relation_ids",
            "correspondence_type",
        ]
        rows = [
            ["Fair Imports AS", "1", "", "", "", "T-CUSTOMER", ""],
            ["Kari Nordmann", "0", "Fair Imports AS", "kari@fair.example.com",
             "T-PURCHASE", "", "E-mail"],
            ["Ola Nordmann", "0", "Fair Imports AS", "",
             "Procurement of guest chairs", "", "Hard Copy"],
        ]  # fmt: skip
        result = self.env["res.partner"].load(fields, rows)
        self.assertFalse(result["messages"], result["messages"])
        company, kari, ola = self.env["res.partner"].browse(result["ids"])
        self.assertEqual(company.business_relation_ids, self.customer)
        self.assertEqual(kari.parent_id, company)
        self.assertEqual(kari.job_responsibility_ids, self.purchase)
        self.assertEqual(ola.job_responsibility_ids, procurement, "by name too")
        self.assertEqual(kari.correspondence_type, "email")
        self.assertEqual(ola.correspondence_type, "hard_copy")
