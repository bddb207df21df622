# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Address labels of a segment's contacts, and the export of its contacts."""

import csv
import io
import json
import shutil
import subprocess
import tempfile
import zipfile

from lxml import etree

from odoo import Command, http
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

MODULE = "crm_campaign_segment"
USER_GROUPS = (
    f"base.group_user,base.group_allow_export,{MODULE}.crm_campaign_segment_group_user"
)
EXPORT_FIELDS = [
    "name",
    "parent_id",
    "function",
    "street",
    "street2",
    "zip",
    "city",
    "state_id",
    "country_id",
    "email",
    "phone",
    "mobile",
    "lang",
    "job_responsibility_ids",
    "business_relation_ids",
    "mailing_group_ids",
    "industry_id",
    "category_id",
]


def pdf_text(pdf):
    """The text of a PDF, laid out as printed (pdftotext -layout)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as source:
        source.write(pdf)
        source.flush()
        return subprocess.run(
            ["pdftotext", "-layout", source.name, "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout


class LabelCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.user = new_test_user(cls.env, login="label_user", groups=USER_GROUPS)
        Partner = cls.env["res.partner"]
        norway = cls.env.ref("base.no")
        usa = cls.env.ref("base.us")
        cls.nordlys = Partner.create(
            {
                "name": "Nordlys Labels AS",
                "is_company": True,
                "street": "Storgata 12",
                "zip": "0155",
                "city": "Oslo",
                "country_id": norway.id,
            }
        )
        cls.ingrid = Partner.create(
            {
                "name": "Ingrid Haugen",
                "parent_id": cls.nordlys.id,
                "email": "ingrid@nordlys.example.com",
                "phone": "+47 22 00 41 10",
                "lang": "en_US",
            }
        )
        cls.frank = Partner.create(
            {
                "name": "Frank Miller",
                "street": "200 Main Street",
                "city": "Springfield",
                "state_id": cls.env["res.country.state"]
                .search([("code", "=", "IL"), ("country_id", "=", usa.id)])
                .id,
                "zip": "62701",
                "country_id": usa.id,
                "email": "frank@example.com",
            }
        )
        cls.segment = cls.env["crm.segment"].create(
            {"description": "Office Futurus trade fair visitors (labels)"}
        )
        # the lines' order: Frank, the company, then Ingrid
        for partner in cls.frank | cls.nordlys | cls.ingrid:
            cls.env["crm.segment.line"].create(
                {"segment_id": cls.segment.id, "partner_id": partner.id}
            )

    def _render(self, xmlid, records):
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(xmlid, records.ids)
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"), pdf[:300])
        return pdf_text(pdf)


@tagged("post_install", "-at_install")
class TestAddressLabels(LabelCase):
    """Print the contacts of a segment as address labels."""

    def setUp(self):
        super().setUp()
        if not shutil.which("pdftotext") or not shutil.which("wkhtmltopdf"):
            self.skipTest("pdftotext and wkhtmltopdf are needed to read the labels")

    def test_label_lines_in_the_country_format(self):
        self.assertEqual(
            self.ingrid._get_label_lines(),
            [
                "Ingrid Haugen",
                "Nordlys Labels AS",
                "Storgata 12",
                "0155 Oslo",
                "Norway",
            ],
        )
        self.assertEqual(
            self.nordlys._get_label_lines(),
            ["Nordlys Labels AS", "Storgata 12", "0155 Oslo", "Norway"],
        )
        self.assertEqual(
            self.frank._get_label_lines(),
            [
                "Frank Miller",
                "200 Main Street",
                "Springfield IL 62701",
                "United States",
            ],
        )

    def test_labels_3x8_list_each_address_in_line_order(self):
        text = self._render(f"{MODULE}.crm_segment_report_labels_3x8", self.segment)
        for expected in ("Storgata 12", "0155 Oslo", "Springfield IL 62701"):
            self.assertIn(expected, text)
        # three labels side by side, in the order of the lines
        positions = [
            text.index(name)
            for name in ("Frank Miller", "Nordlys Labels AS", "Ingrid Haugen")
        ]
        self.assertEqual(positions, sorted(positions))
        self.assertEqual(text.count("Nordlys Labels AS"), 2)  # Ingrid's company
        self.assertEqual(text.count("\f"), 1)  # one sheet

    def test_labels_2x7_one_sheet_per_14_contacts(self):
        Partner = self.env["res.partner"]
        segment = self.env["crm.segment"].create({"description": "Many visitors"})
        partners = Partner.create(
            [
                {"name": f"Visitor {n:02d}", "street": f"Gate {n}", "city": "Bergen"}
                for n in range(1, 16)
            ]
        )
        self.env["crm.segment.line"].create(
            [{"segment_id": segment.id, "partner_id": p.id} for p in partners]
        )
        text = self._render(f"{MODULE}.crm_segment_report_labels_2x7", segment)
        self.assertEqual(text.count("\f"), 2)
        first, second = text.split("\f")[:2]
        self.assertIn("Visitor 14", first)
        self.assertNotIn("Visitor 15", first)
        self.assertIn("Visitor 15", second)
        self.assertIn("Gate 15", second)
        # two segments at once: each starts on its own sheet
        text = self._render(
            f"{MODULE}.crm_segment_report_labels_3x8", self.segment | segment
        )
        sheets = text.split("\f")[:-1]
        self.assertEqual(len(sheets), 2)
        self.assertIn("Frank Miller", sheets[0])
        self.assertNotIn("Visitor 01", sheets[0])
        self.assertIn("Visitor 15", sheets[1])

    def test_labels_of_a_logged_segment(self):
        template = self.env["crm.interaction.template"].create(
            {
                "code": "LBL",
                "name": "Letter",
                "information_flow": "outbound",
                "initiated_by": "us",
                "correspondence_type": "hard_copy",
                "lang": "en_US",
                "language_ids": [(0, 0, {"lang": "en_US", "subject": "Hello"})],
            }
        )
        self.segment.write(
            {
                "interaction_template_id": template.id,
                "correspondence_type": "hard_copy",
                "lang": "en_US",
            }
        )
        logged = self.env["crm.logged.segment"].browse(self.segment.log_segment())
        self.assertEqual(
            logged._get_label_partners(), self.frank | self.nordlys | self.ingrid
        )
        text = self._render(f"{MODULE}.crm_logged_segment_report_labels_3x8", logged)
        for expected in ("Frank Miller", "Ingrid Haugen", "0155 Oslo"):
            self.assertIn(expected, text)
        # the segment, logged, still prints its labels
        text = self._render(f"{MODULE}.crm_segment_report_labels_2x7", self.segment)
        self.assertIn("Springfield IL 62701", text)


@tagged("post_install", "-at_install")
class TestExportContacts(LabelCase):
    """Export Contacts opens the segment's contacts with the prepared fields."""

    def test_export_action(self):
        action = self.segment.with_user(self.user).action_export_contacts()
        self.assertEqual(action["res_model"], "res.partner")
        partners = (
            self.env["res.partner"]
            .with_user(self.user)
            .with_context(**action["context"])
            .search(action["domain"])
        )
        self.assertEqual(partners, self.frank | self.nordlys | self.ingrid)
        # the list's columns, which Odoo's export proposes, are the template's
        view = self.env["ir.ui.view"].browse(action["views"][0][0])
        self.assertEqual(action["views"][0][1], "list")
        columns = etree.fromstring(view.arch).xpath("//list/field/@name")
        self.assertEqual(columns, EXPORT_FIELDS)
        template = self.env.ref(f"{MODULE}.ir_exports_segment_contacts")
        self.assertEqual(template.resource, "res.partner")
        self.assertEqual(template.export_fields.mapped("name"), EXPORT_FIELDS)


@tagged("post_install", "-at_install")
class TestExportContactsDownload(HttpCase):
    """The contacts of a segment download through Odoo's export, CSV and XLSX."""

    def setUp(self):
        super().setUp()
        self.user = new_test_user(self.env, login="export_user", groups=USER_GROUPS)
        Partner = self.env["res.partner"]
        company = Partner.create(
            {
                "name": "Nordlys Export AS",
                "is_company": True,
                "street": "Storgata 12",
                "zip": "0155",
                "city": "Oslo",
                "country_id": self.env.ref("base.no").id,
            }
        )
        self.ingrid = Partner.create(
            {
                "name": "Ingrid Export",
                "parent_id": company.id,
                "email": "ingrid@nordlys.example.com",
                "phone": "+47 22 00 41 10",
                "lang": "en_US",
                "job_responsibility_ids": [
                    Command.create({"code": "EXP-PURCH", "name": "Purchase"})
                ],
            }
        )
        self.outsider = Partner.create({"name": "Not In The Segment"})
        self.segment = self.env["crm.segment"].create({"description": "Export"})
        self.env["crm.segment.line"].create(
            [
                {"segment_id": self.segment.id, "partner_id": partner.id}
                for partner in (company, self.ingrid)
            ]
        )
        self.authenticate(self.user.login, self.user.login)

    def _download(self, kind):
        action = self.segment.with_user(self.user).action_export_contacts()
        template = self.env.ref(f"{MODULE}.ir_exports_segment_contacts")
        fields = self.env["res.partner"].fields_get(EXPORT_FIELDS)
        params = {
            "model": action["res_model"],
            "domain": action["domain"],
            "context": action["context"],
            "ids": False,
            "groupby": [],
            "import_compat": False,
            "fields": [
                {"name": name, "label": fields[name]["string"]}
                for name in template.export_fields.mapped("name")
            ],
        }
        response = self.url_open(
            f"/web/export/{kind}",
            data={
                "data": json.dumps(params),
                "csrf_token": http.Request.csrf_token(self),
            },
        )
        self.assertEqual(response.status_code, 200)
        return response.content

    def test_csv(self):
        rows = list(csv.reader(io.StringIO(self._download("csv").decode())))
        self.assertEqual(len(rows), 3)  # the header, then the segment's contacts
        header = rows[0]
        self.assertIn("Email", header)
        contacts = [dict(zip(header, row, strict=True)) for row in rows[1:]]
        ingrid = next(c for c in contacts if c["Name"] == "Ingrid Export")
        self.assertEqual(ingrid["Email"], "ingrid@nordlys.example.com")
        self.assertIn("Nordlys Export AS", ingrid.values())
        self.assertIn("EXP-PURCH - Purchase", ingrid.values())
        company = next(c for c in contacts if c["Name"] == "Nordlys Export AS")
        self.assertIn("Oslo", company.values())
        self.assertNotIn("Not In The Segment", {c["Name"] for c in contacts})

    def test_xlsx(self):
        content = self._download("xlsx")
        with zipfile.ZipFile(io.BytesIO(content)) as xlsx:
            strings = xlsx.read("xl/sharedStrings.xml").decode()
        for expected in ("Ingrid Export", "ingrid@nordlys.example.com", "Oslo"):
            self.assertIn(expected, strings)
        self.assertNotIn("Not In The Segment", strings)
