# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
import io
import zipfile

from docx import Document

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools.misc import file_open

from odoo.addons.crm_campaign_segment.models.crm_interaction_render import (
    MERGE_FIELD_NAMES,
)
from odoo.addons.mail.tests.common import MockEmail

MANAGER_GROUPS = (
    "base.group_user,crm_campaign_segment.crm_campaign_segment_group_manager"
)
USER_GROUPS = "base.group_user,crm_campaign_segment.crm_campaign_segment_group_user"


def _docx_text(data):
    """All visible text of a .docx: body, tables, headers and footers."""
    document = Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            texts.extend(cell.text for cell in row.cells)
    for section in document.sections:
        texts.extend(p.text for p in section.header.paragraphs)
        texts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(texts)


class SegmentLogCase(TransactionCase):
    """A trade-fair segment ready to log: letters or e-mails, two languages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.env["res.lang"]._activate_lang("nb_NO")
        cls.manager = new_test_user(cls.env, login="log_manager", groups=MANAGER_GROUPS)
        cls.user = new_test_user(
            cls.env, login="log_user", groups=USER_GROUPS, email="user@cronus.example"
        )
        with file_open("crm_campaign_segment/demo/bus_letter_en.docx", "rb") as f:
            cls.docx_en = f.read()
        with file_open("crm_campaign_segment/demo/bus_letter_nb.docx", "rb") as f:
            cls.docx_nb = f.read()
        cls.campaign = cls.env["utm.campaign"].create(
            {"title": "Office Futurus trade fair"}
        )
        cls.template = cls.env["crm.interaction.template"].create(
            {
                "code": "LOG-BUS",
                "name": "Business letter",
                "unit_cost": 2.5,
                "unit_duration": 0.25,
                "information_flow": "outbound",
                "initiated_by": "us",
                "correspondence_type": "hard_copy",
                "lang": "en_US",
                "language_ids": [
                    (
                        0,
                        0,
                        {
                            "lang": "en_US",
                            "subject": "Thank you for visiting",
                            "body_html": "<p>Hello {{ object.name }}, see you in "
                            "{{ segment.campaign_id.title }}</p>",
                            "letter_body": "<p>Thank you {{ object.name }} for "
                            "visiting our stand.</p>",
                            "word_document": base64.b64encode(cls.docx_en),
                            "word_document_name": "bus_letter_en.docx",
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "lang": "nb_NO",
                            "subject": "Takk for besøket",
                            "body_html": "<p>Hei {{ object.name }}</p>",
                            "letter_body": "<p>Takk {{ object.name }}.</p>",
                            "word_document": base64.b64encode(cls.docx_nb),
                            "word_document_name": "bus_letter_nb.docx",
                        },
                    ),
                ],
            }
        )
        Partner = cls.env["res.partner"]
        cls.company_partner = Partner.create(
            {"name": "Futurus Furniture", "is_company": True}
        )
        country = cls.env.ref("base.no")
        cls.partners = Partner.create(
            [
                {
                    "name": f"Contact {index}",
                    "parent_id": cls.company_partner.id,
                    "email": f"contact{index}@futurus.example.com",
                    "street": f"Storgata {index}",
                    "zip": "0155",
                    "city": "Oslo",
                    "country_id": country.id,
                    "lang": "nb_NO" if index == 3 else "en_US",
                }
                for index in range(1, 4)
            ]
        )

    def _make_segment(self, ctype="hard_copy", partners=None, **values):
        vals = {
            "description": "Office Futurus trade fair visitors",
            "interaction_template_id": self.template.id,
            "campaign_id": self.campaign.id,
            "campaign_target": True,
            "lang": "en_US",
            "subject": "Thank you for visiting the trade fair",
            "correspondence_type": ctype,
            "ignore_partner_correspondence_type": True,
            "send_word_as_attachment": True,
            "user_id": self.user.id,
        }
        vals.update(values)
        segment = self.env["crm.segment"].create(vals)
        self.env["crm.segment.line"].create(
            [
                {"segment_id": segment.id, "partner_id": partner.id}
                for partner in (self.partners if partners is None else partners)
            ]
        )
        return segment


@tagged("post_install", "-at_install")
class TestLogLetters(SegmentLogCase):
    """Walkthrough step 8: log a hard-copy segment with a follow-up."""

    def test_log_letters_with_follow_up(self):
        segment = self._make_segment("hard_copy")
        self.assertEqual(segment.line_count, 3)
        wizard = Form(
            self.env["crm.segment.log"]
            .with_user(self.user)
            .with_context(default_segment_id=segment.id, force_report_rendering=True)
        )
        wizard.send = True
        wizard.create_follow_up = True
        action = wizard.save().action_log()
        logged = self.env["crm.logged.segment"].browse(action["res_id"])

        self.assertEqual(logged.segment_id, segment)
        self.assertTrue(logged.name.startswith("LS"))
        self.assertEqual(logged.description, "Office Futurus trade fair visitors")
        self.assertEqual(logged.user_id, self.user)
        self.assertEqual(segment.state, "logged")
        self.assertEqual(segment.logged_segment_id, logged)
        self.assertNotIn(
            segment, self.env["crm.segment"].search([("state", "=", "draft")])
        )
        self.assertEqual(len(logged.campaign_entry_ids), 1)
        entry = logged.campaign_entry_ids
        self.assertEqual(entry.campaign_id, self.campaign)
        interactions = logged.interaction_ids
        self.assertEqual(len(interactions), 3)
        self.assertEqual(interactions.partner_id, self.partners)
        self.assertEqual(entry.interaction_count, 3)
        self.assertAlmostEqual(entry.cost, 7.5)
        self.assertAlmostEqual(entry.duration, 0.75)
        for interaction in interactions:
            self.assertEqual(interaction.template_id, self.template)
            self.assertEqual(interaction.description, "Business letter")
            # the row of the contact's language gives the subject
            self.assertEqual(
                interaction.subject,
                "Takk for besøket"
                if interaction.lang == "nb_NO"
                else "Thank you for visiting",
            )
            self.assertEqual(interaction.correspondence_type, "hard_copy")
            self.assertEqual(interaction.information_flow, "outbound")
            self.assertEqual(interaction.initiated_by, "us")
            self.assertEqual(interaction.campaign_id, self.campaign)
            self.assertTrue(interaction.campaign_target)
            self.assertFalse(interaction.campaign_response)
            self.assertEqual(interaction.campaign_entry_id, entry)
            self.assertEqual(interaction.user_id, self.user)
            self.assertEqual(interaction.delivery_status, "delivered")
            self.assertIn(interaction.partner_id.name, interaction.body_html)
        nb = interactions.filtered(lambda i: i.partner_id == self.partners[2])
        self.assertEqual(nb.lang, "nb_NO")
        self.assertIn("Takk", nb.body_html)

        # one printable PDF for the batch and one zip of Word letters
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "crm.logged.segment"), ("res_id", "=", logged.id)]
        )
        pdf = attachments.filtered(lambda a: a.mimetype == "application/pdf")
        self.assertEqual(len(pdf), 1)
        self.assertTrue(pdf.raw.startswith(b"%PDF"))
        self.assertEqual(interactions.attachment_id, pdf)
        archive = attachments.filtered(lambda a: a.mimetype == "application/zip")
        self.assertEqual(len(archive), 1)
        with zipfile.ZipFile(io.BytesIO(archive.raw)) as zipped:
            names = zipped.namelist()
            self.assertEqual(len(names), 3)
            texts = [_docx_text(zipped.read(name)) for name in names]
        for text, partner in zip(texts, self.partners, strict=True):
            self.assertNotIn("{{", text)
            self.assertNotIn("MERGEFIELD", text)
            self.assertNotIn("\u00ab", text)
            self.assertIn(partner.name, text)
            self.assertIn(partner.street, text)
            self.assertIn("Oslo", text)
            self.assertIn(segment.name, text)
            self.assertIn(self.campaign.code, text)
            self.assertIn("Office Futurus trade fair", text)
        self.assertIn(pdf, logged.message_ids.attachment_ids)

        # the follow-up segment has the same contacts and campaign
        follow_up = logged.follow_up_segment_id
        self.assertEqual(follow_up.description, f"Follow-up on segment {segment.name}")
        self.assertEqual(follow_up.campaign_id, self.campaign)
        self.assertEqual(follow_up.state, "draft")
        self.assertEqual(follow_up.line_ids.partner_id, self.partners)

    def test_log_without_sending(self):
        segment = self._make_segment("hard_copy")
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment()
        )
        self.assertEqual(len(logged.interaction_ids), 3)
        self.assertEqual(
            set(logged.interaction_ids.mapped("delivery_status")), {"none"}
        )
        self.assertFalse(logged.follow_up_segment_id)
        self.assertFalse(
            self.env["ir.attachment"].search_count(
                [("res_model", "=", "crm.logged.segment"), ("res_id", "=", logged.id)]
            )
        )

    def test_merge_field_values(self):
        segment = self._make_segment("hard_copy")
        title = self.env.ref("base.res_partner_title_mister")
        self.partners[0].title = title
        logged = self.env["crm.logged.segment"].browse(segment.log_segment())
        values = self.env["crm.interaction.render"]._get_merge_field_values(
            segment, logged.interaction_ids
        )
        first = values[
            logged.interaction_ids.filtered(
                lambda i: i.partner_id == self.partners[0]
            ).id
        ]
        self.assertEqual(first["ContactName"], "Contact 1")
        self.assertEqual(first["CompanyName"], "Futurus Furniture")
        self.assertEqual(first["Salutation"], f"Dear {title.shortcut} Contact 1")
        self.assertEqual(first["InformalSalutation"], "Dear Contact")
        self.assertEqual(first["SalespersonName"], self.user.name)
        self.assertEqual(first["CampaignNo"], self.campaign.code)
        self.assertEqual(first["SegmentNo"], segment.name)
        self.assertEqual(first["Country"], "Norway")
        self.assertEqual(first["CompanyOwnName"], segment.company_id.name)
        self.assertEqual(set(first), set(MERGE_FIELD_NAMES))


@tagged("post_install", "-at_install")
class TestLogEmails(SegmentLogCase, MockEmail):
    """Walkthrough step 9: log an e-mail segment, follow the delivery."""

    def _mails(self, logged):
        return logged.interaction_ids.mail_id

    def test_log_emails_per_language(self):
        segment = self._make_segment("email")
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment(send=True)
        )
        interactions = logged.interaction_ids
        self.assertEqual(len(interactions), 3)
        mails = self._mails(logged)
        self.assertEqual(len(mails), 3)
        self.assertEqual(
            self.env["mail.mail"].search_count(
                [("model", "=", "crm.interaction"), ("res_id", "in", interactions.ids)]
            ),
            3,
        )
        self.assertEqual(set(interactions.mapped("delivery_status")), {"in_progress"})
        for interaction in interactions:
            mail = interaction.mail_id
            self.assertEqual(mail.recipient_ids, interaction.partner_id)
            self.assertEqual(mail.state, "outgoing")
            self.assertFalse(mail.auto_delete)
            self.assertEqual(len(mail.attachment_ids), 1)
            self.assertEqual(interaction.attachment_id, mail.attachment_ids)
            text = _docx_text(mail.attachment_ids.raw)
            self.assertIn(interaction.partner_id.name, text)
            self.assertIn(interaction.partner_id.email, text)
            self.assertNotIn("{{", text)
        nb_mail = interactions.filtered(lambda i: i.lang == "nb_NO").mail_id
        en_mail = interactions.filtered(lambda i: i.lang == "en_US").mail_id
        self.assertEqual(len(en_mail), 2)
        self.assertIn("Hei Contact 3", nb_mail.body_html)
        self.assertIn("Office Futurus trade fair", en_mail[0].body_html)
        self.assertIn("bus_letter_nb", nb_mail.attachment_ids.name)
        # subjects are picked per contact's language
        self.assertEqual(nb_mail.subject, "Takk for besøket")
        self.assertEqual(set(en_mail.mapped("subject")), {"Thank you for visiting"})

        # sending: delivered; a failing address: error, then Resend
        bad = interactions.filtered(lambda i: i.partner_id == self.partners[1])
        self.partners[1].email = "not-an-address"
        with self.mock_mail_gateway():
            mails.send()
        self.assertEqual(
            (interactions - bad).mapped("delivery_status"), ["delivered", "delivered"]
        )
        self.assertEqual(bad.delivery_status, "error")
        self.assertTrue(bad.delivery_error)
        self.partners[1].email = "contact2@futurus.example.com"
        bad.with_user(self.user).action_resend()
        self.assertEqual(bad.delivery_status, "in_progress")
        self.assertEqual(bad.mail_id.state, "outgoing")
        with self.mock_mail_gateway():
            bad.mail_id.send()
        self.assertEqual(bad.delivery_status, "delivered")
        with self.assertRaises(UserError):
            bad.action_resend()

        # a bounce arriving later marks the delivery as failed
        first = interactions[0]
        first._message_receive_bounce(first.partner_id.email, first.partner_id)
        self.assertEqual(first.delivery_status, "error")
        self.assertIn("bounced", first.delivery_error)

    def test_word_document_becomes_body_without_email_body(self):
        template = self.template.copy(
            {
                "code": "LOG-WORD-BODY",
                "language_ids": [
                    (
                        0,
                        0,
                        {
                            "lang": "en_US",
                            "subject": "Our offer",
                            "word_document": base64.b64encode(self.docx_en),
                            "word_document_name": "bus_letter_en.docx",
                        },
                    )
                ],
            }
        )
        special = self.env["res.partner"].create(
            {"name": "O'Hara & <Sons>", "email": "ohara@futurus.example.com"}
        )
        segment = self._make_segment(
            "email",
            partners=self.partners | special,
            interaction_template_id=template.id,
            send_word_as_attachment=False,
        )
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment(send=True)
        )
        interactions = logged.interaction_ids
        self.assertEqual(len(interactions.mail_id), 4)
        for interaction in interactions:
            mail = interaction.mail_id
            body = mail.body_html
            self.assertIn("Office Futurus trade fair", body)
            self.assertNotIn("{{", body)
            self.assertNotIn("\u00ab", body)  # no merge field left
            self.assertFalse(mail.attachment_ids)
            self.assertFalse(interaction.attachment_id)
            if interaction.partner_id == special:
                # escaped, as the HTML sanitizer writes text
                self.assertIn("O'Hara &amp; &lt;Sons&gt;", body)
                self.assertNotIn("<Sons>", body)
            else:
                self.assertIn(interaction.partner_id.name, body)
        # a body in the template's row wins over the Word document
        segment = self._make_segment("email", send_word_as_attachment=False)
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment(send=True)
        )
        mails = logged.interaction_ids.mail_id
        self.assertEqual(len(mails), 3)
        self.assertFalse(mails.attachment_ids)
        for mail in mails:
            self.assertIn(mail.body_html[:6], ("<p>Hel", "<p>Hei"))

    def test_missing_email_listed_then_switched_or_left_out(self):
        no_mail = self.env["res.partner"].create({"name": "No Mail Person"})
        segment = self._make_segment("email", partners=self.partners | no_mail)
        wizard = (
            self.env["crm.segment.log"]
            .with_user(self.user)
            .create({"segment_id": segment.id, "send": True})
        )
        self.assertEqual(wizard.missing_email_partner_ids, no_mail)
        with self.assertRaisesRegex(UserError, "No Mail Person"):
            wizard.action_log()
        self.assertEqual(segment.state, "draft")
        self.assertFalse(segment.logged_segment_ids)
        wizard.missing_email = "hard_copy"
        logged = self.env["crm.logged.segment"].browse(wizard.action_log()["res_id"])
        self.assertEqual(len(logged.interaction_ids), 4)
        self.assertEqual(len(logged.interaction_ids.mail_id), 3)
        letter = logged.interaction_ids.filtered(lambda i: i.partner_id == no_mail)
        self.assertEqual(letter.correspondence_type, "hard_copy")
        self.assertEqual(letter.delivery_status, "delivered")

        other = self._make_segment(
            "email", partners=self.partners | no_mail, description="Second"
        )
        logged = self.env["crm.logged.segment"].browse(
            other.log_segment(send=True, missing_email="skip")
        )
        self.assertEqual(len(logged.interaction_ids), 3)
        self.assertNotIn(no_mail, other.line_ids.partner_id)
        self.assertIn("No Mail Person", other.message_ids[0].body)

    def test_blacklisted_address_left_out(self):
        self.env["mail.blacklist"].create({"email": self.partners[0].email})
        segment = self._make_segment("email")
        logged = self.env["crm.logged.segment"].browse(segment.log_segment(send=True))
        self.assertEqual(len(logged.interaction_ids), 2)
        self.assertEqual(len(logged.interaction_ids.mail_id), 2)
        self.assertNotIn(self.partners[0], logged.interaction_ids.partner_id)
        self.assertEqual(logged.consent_excluded_count, 1)
        self.assertIn("Contact 1", segment.message_ids[0].body)


@tagged("post_install", "-at_install")
class TestLogRefused(SegmentLogCase):
    """Bad inputs: each one a clear error, nothing written."""

    def _template_copy(self, code, **row_values):
        row = {"lang": "en_US", "subject": "Subject", "letter_body": "<p>Hi</p>"}
        row.update(row_values)
        return self.template.copy({"code": code, "language_ids": [(0, 0, row)]})

    def _assert_refused(self, segment, pattern, user=None, **kwargs):
        logged_before = self.env["crm.logged.segment"].search_count([])
        interactions_before = self.env["crm.interaction"].search_count([])
        mails_before = self.env["mail.mail"].search_count([])
        lines_before = segment.line_ids
        with self.assertRaisesRegex((UserError, AccessError), pattern):
            segment.with_user(user or self.user).log_segment(**kwargs)
        self.assertEqual(self.env["crm.logged.segment"].search_count([]), logged_before)
        self.assertEqual(
            self.env["crm.interaction"].search_count([]), interactions_before
        )
        self.assertEqual(self.env["mail.mail"].search_count([]), mails_before)
        self.assertEqual(segment.line_ids, lines_before)

    def test_refused_inputs(self):
        # 1. logged already
        logged_segment = self._make_segment()
        logged_segment.log_segment()
        with self.assertRaisesRegex(UserError, "logged already"):
            logged_segment.log_segment()
        # 2. no description
        self._assert_refused(self._make_segment(description=False), "no description")
        # 3. no lines
        self._assert_refused(
            self._make_segment(partners=self.partners.browse()), "no lines"
        )
        # 4. a line without a template
        segment = self._make_segment(interaction_template_id=False)
        self._assert_refused(segment, "needs an interaction template")
        # 5. an e-mail line without an address, no choice made
        segment = self._make_segment("email")
        segment.line_ids[0].partner_id.email = False
        self._assert_refused(segment, "no valid e-mail", send=True)
        # 6. an invalid address is no address
        segment.line_ids[0].partner_id.email = "not an address"
        self._assert_refused(segment, "Contact 1", send=True)
        self.partners[0].email = "contact1@futurus.example.com"
        # 7. an unknown choice for the contacts without address
        self._assert_refused(segment, "Unknown choice", send=True, missing_email="drop")
        # 8. an e-mail without subject anywhere
        template = self._template_copy("LOG-NOSUBJ", subject=False)
        segment = self._make_segment(
            "email", interaction_template_id=template.id, subject=False
        )
        self._assert_refused(segment, "need a subject", send=True)
        # 9. no Word document for the language when one must be sent
        template = self._template_copy("LOG-NODOC", letter_body=False)
        segment = self._make_segment("hard_copy", interaction_template_id=template.id)
        self._assert_refused(segment, "is missing for language", send=True)
        segment_mail = self._make_segment("email", interaction_template_id=template.id)
        self._assert_refused(segment_mail, "is missing for language", send=True)
        # 10. a segment attachment named .docx that is no Word document
        broken = self.env["ir.attachment"].create(
            {"name": "broken.docx", "raw": b"this is not a zip"}
        )
        segment.write({"attachment_ids": [(6, 0, broken.ids)]})
        self._assert_refused(segment, "not a valid Word", send=True)
        # 11. a placeholder that does not compile
        bad_row_template = self._template_copy(
            "LOG-SYNTAX", body_html="<p>{{ object.name + }}</p>"
        )
        segment = self._make_segment(
            "email",
            interaction_template_id=bad_row_template.id,
            send_word_as_attachment=False,
        )
        self._assert_refused(segment, "not a valid expression", send=True)
        # 12. a complex expression in a document uploaded by a user outside
        # the template editors, logged by such a user
        uploaded = (
            self.env["ir.attachment"]
            .with_user(self.user)
            .create({"name": "letter.docx", "raw": self.docx_en})
        )
        segment = self._make_segment("hard_copy", interaction_template_id=template.id)
        segment.write({"attachment_ids": [(6, 0, uploaded.ids)]})
        self._assert_refused(
            segment, "Mail Template Editor|may only be used", send=True
        )
        # ... whoever logs it, an administrator included: the author counts
        self._assert_refused(
            segment, "may only be used", user=self.env.ref("base.user_admin"), send=True
        )
        # ... even written again by a template editor: a document attached to
        # a segment renders simple fields only; dynamic documents belong in
        # the interaction template, whose rows are checked when saved
        uploaded.with_user(self.env.ref("base.user_admin")).write({"raw": self.docx_en})
        self._assert_refused(segment, "may only be used", send=True)
        # 13. a user outside the campaign groups
        outsider = new_test_user(
            self.env, login="log_outsider", groups="base.group_user"
        )
        self._assert_refused(self._make_segment(), "", user=outsider)


@tagged("post_install", "-at_install")
class TestCancelLoggedSegment(SegmentLogCase):
    """Cancel cascades; restoring an interaction needs its parents restored."""

    def test_cancel_cascade_and_rights(self):
        segment = self._make_segment()
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment()
        )
        interactions = logged.interaction_ids
        with self.assertRaises(AccessError):
            logged.with_user(self.user).action_cancel()
        logged.with_user(self.manager).action_cancel()
        self.assertTrue(logged.canceled)
        self.assertTrue(logged.campaign_entry_ids.canceled)
        self.assertEqual(set(interactions.mapped("canceled")), {True})
        with self.assertRaisesRegex(UserError, "cannot be restored"):
            interactions[0].with_user(self.user).action_restore()
        with self.assertRaisesRegex(UserError, "cannot be restored"):
            logged.campaign_entry_ids.with_user(self.manager).action_restore()
        with self.assertRaisesRegex(UserError, "canceled already"):
            logged.with_user(self.manager).action_cancel()
        # a user cannot delete it, a manager can once it is canceled
        with self.assertRaises(AccessError):
            logged.with_user(self.user).unlink()
        logged.with_user(self.manager).action_restore()
        self.assertFalse(logged.canceled)
        self.assertEqual(set(interactions.mapped("canceled")), {False})
        with self.assertRaisesRegex(UserError, "nothing to restore"):
            logged.with_user(self.manager).action_restore()
        # campaign entry cancel cascades (a manager's right, as for the
        # logged segment); interactions restore with it
        entry = logged.campaign_entry_ids
        with self.assertRaises(AccessError):
            entry.with_user(self.user).action_cancel()
        entry.with_user(self.manager).action_cancel()
        self.assertEqual(set(interactions.mapped("canceled")), {True})
        entry.with_user(self.manager).action_restore()
        self.assertEqual(set(interactions.mapped("canceled")), {False})
        interactions[0].with_user(self.user).action_cancel()
        self.assertTrue(interactions[0].canceled)
        interactions[0].with_user(self.user).action_restore()
        self.assertFalse(interactions[0].canceled)
        with self.assertRaisesRegex(UserError, "Only canceled"):
            logged.with_user(self.manager).unlink()
        logged.with_user(self.manager).action_cancel()
        # canceled, its interactions stay in the log: it is not deleted
        with self.assertRaisesRegex(UserError, "stay in the interaction log"):
            logged.with_user(self.manager).unlink()
        self.assertEqual(interactions.exists(), interactions)


@tagged("post_install", "-at_install")
class TestPositiveResponseOpportunity(SegmentLogCase):
    """A positive campaign response becomes an opportunity of the campaign."""

    def test_positive_response_creates_opportunity(self):
        segment = self._make_segment(
            False, campaign_target=False, campaign_response=True
        )
        segment.line_ids[0].evaluation = "very_positive"
        segment.line_ids[1].evaluation = "negative"
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment()
        )
        interactions = logged.interaction_ids
        self.assertTrue(all(interactions.mapped("campaign_response")))
        positive = interactions.filtered(lambda i: i.evaluation == "very_positive")
        self.assertEqual(len(interactions.lead_id), 1)
        lead = positive.lead_id
        self.assertEqual(lead.partner_id, positive.partner_id)
        self.assertEqual(lead.campaign_id, self.campaign)
        self.assertEqual(lead.type, "opportunity")
        # registering a positive evaluation later creates one too
        neutral = interactions.filtered(lambda i: not i.evaluation)
        neutral.evaluation = "positive"
        self.assertTrue(neutral.lead_id)
        self.assertEqual(len(interactions.lead_id), 2)
