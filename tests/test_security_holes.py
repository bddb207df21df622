# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Each hole a logged-in user could use, tried as that user: refused or
harmless.

Holes closed elsewhere and tested with their feature: the consent log's
engine marker (``test_consent.TestConsentLogHasNoBypass``), the evaluation
guard (``test_responses_one_click``), consent records outliving their contact
and topic (``test_consent.TestConsentOutlivesItsContactAndTopic``), links
without a topic and oversized Word documents (``test_consent``,
``test_docx_merge``), contacts created with their opt-outs (``test_consent``),
the logging job's own fields (``test_engine_fields``).
"""

import base64
import io

from docx import Document

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .test_segment_log import USER_GROUPS
from .test_segment_log_review import SECRET, ReviewCase

MODULE = "crm_campaign_segment"


def _docx(text):
    document = Document()
    document.add_paragraph(text)
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


@tagged("post_install", "-at_install")
class TestWordDocumentRewrittenAsAttachment(ReviewCase):
    """Hole 1: the template's Word document rewritten through its attachment,
    past the placeholder check of the template row."""

    def _row_attachment(self, row):
        return row._word_document_attachment()

    def test_rewritten_document_no_longer_renders_code(self):
        manager = new_test_user(
            self.env,
            login="hole1_manager",
            groups=f"base.group_user,{MODULE}.crm_campaign_segment_group_manager",
        )
        self.assertFalse(manager.has_group("mail.group_mail_template_editor"))
        template = self._template_copy("HOLE-1", subject="Welcome")
        row = template.language_ids
        row.with_user(self.editor).write(
            {
                "word_document": base64.b64encode(self.docx_en),
                "word_document_name": "letter.docx",
            }
        )
        attachment = self._row_attachment(row)
        self.assertTrue(attachment)
        # the attack: the attachment itself is writable by whoever may write
        # the row, and nothing checks it there
        attachment.with_user(manager).write({"raw": _docx(f"Key: {SECRET}")})
        segment = self._make_segment(
            "hard_copy", interaction_template_id=template.id, description="Hole 1"
        )
        for logger in (manager, self.editor, self.user):
            self._assert_refused(segment, "last changed by", logger, send=True)
        # saved again through the row by an editor: trusted again
        row.invalidate_recordset(["word_document"])
        row.with_user(self.editor).write(
            {"word_document": base64.b64encode(self.docx_en)}
        )
        self.assertTrue(segment.with_user(self.user).log_segment(send=True))

    def test_simple_fields_still_render_from_a_rewritten_document(self):
        template = self._template_copy("HOLE-1B", subject="Welcome")
        row = template.language_ids
        row.write(
            {
                "word_document": base64.b64encode(self.docx_en),
                "word_document_name": "letter.docx",
            }
        )
        manager = new_test_user(
            self.env,
            login="hole1_manager_simple",
            groups=f"base.group_user,{MODULE}.crm_campaign_segment_group_manager",
        )
        self._row_attachment(row).with_user(manager).write(
            {"raw": _docx("Dear {{ object.name }}")}
        )
        segment = self._make_segment(
            "hard_copy", interaction_template_id=template.id, description="Simple"
        )
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment(send=True)
        )
        self.assertEqual(len(logged.interaction_ids), 3)


@tagged("post_install", "-at_install")
class TestSegmentSubjectsCheckedWhenWritten(ReviewCase):
    """Hole 1: subjects typed on segments and lines are checked when written,
    not only when the segment is logged."""

    def test_segment_and_line_subjects(self):
        segment = self._make_segment("email", description="Subjects")
        with self.assertRaisesRegex(UserError, "may only be used"):
            segment.with_user(self.editor).subject = f"Hi {SECRET}"
        with self.assertRaisesRegex(UserError, "may only be used"):
            segment.line_ids[:1].with_user(self.user).subject = SECRET
        segment.with_user(self.user).subject = "Hello {{ object.name }}"
        segment.line_ids[:1].with_user(self.user).subject = "Hi {{ object.name }}"


@tagged("post_install", "-at_install")
class TestCriteriaChecksAndReplay(ReviewCase):
    """Hole 2: criteria steps checked on every write, and replayed as the
    user who last changed them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "Hole 2 Company"})
        cls.hidden = cls.env["res.partner"].create(
            {"name": "Hidden Buyer", "company_id": cls.other_company.id}
        )
        cls.author = new_test_user(cls.env, login="hole2_author", groups=USER_GROUPS)
        cls.intruder = new_test_user(
            cls.env, login="hole2_intruder", groups=USER_GROUPS
        )
        cls.criteria = (
            cls.env["crm.segment.criteria"]
            .with_user(cls.author)
            .create(
                {
                    "code": "HOLE-2",
                    "name": "Contacts",
                    "step_ids": [
                        fields.Command.create(
                            {
                                "mode": "add",
                                "filter_values": {"partner_ids": cls.partners.ids},
                            }
                        )
                    ],
                }
            )
            .with_env(cls.env)
        )

    def test_step_written_is_checked(self):
        step = self.criteria.step_ids.with_user(self.intruder)
        with self.assertRaisesRegex(UserError, "Unknown segment filter"):
            step.filter_values = {"sql": "SELECT 1"}
        with self.assertRaisesRegex(UserError, "not a literal domain"):
            step.filter_values = {"partner_domain": "[('id', '=', uid)]"}
        with self.assertRaisesRegex(UserError, "cannot read"):
            step.filter_values = {"partner_ids": self.hidden.ids}
        self.assertEqual(
            self.criteria.step_ids.filter_values, {"partner_ids": self.partners.ids}
        )
        self.assertEqual(self.criteria.changed_by_id, self.author)

    def test_changed_by_cannot_be_forged(self):
        with self.assertRaises(AccessError):
            self.criteria.with_user(self.intruder).changed_by_id = self.author
        with self.assertRaises(AccessError):
            self.env["crm.segment.criteria"].with_user(self.intruder).create(
                {"code": "HOLE-2F", "name": "Forged", "changed_by_id": self.author.id}
            )

    def test_refresh_runs_as_the_last_to_change_the_criteria(self):
        segment = (
            self.env["crm.segment"]
            .with_user(self.author)
            .create(
                {
                    "description": "Dynamic",
                    "criteria_id": self.criteria.id,
                    "auto_refresh": True,
                }
            )
            .with_env(self.env)
        )
        self.env["crm.segment"]._cron_refresh_dynamic_segments()
        self.assertEqual(segment.step_ids[-1:].create_uid, self.author)
        # another user changes the steps: the next refresh runs as that user
        self.criteria.step_ids.with_user(self.intruder).filter_values = {
            "partner_ids": self.partners[:1].ids
        }
        self.assertEqual(self.criteria.changed_by_id, self.intruder)
        self.env["crm.segment"]._cron_refresh_dynamic_segments()
        self.assertEqual(segment.step_ids.sorted("id")[-1].create_uid, self.intruder)
        self.assertEqual(segment.line_ids.partner_id, self.partners[:1])
        # a step removed counts as a change too
        self.criteria.step_ids.with_user(self.author).unlink()
        self.assertEqual(self.criteria.changed_by_id, self.author)

    @mute_logger("odoo.addons.crm_campaign_segment.models.crm_segment")
    def test_stored_steps_are_checked_again_when_replayed(self):
        """Steps stored before these checks (or by other means) are checked
        again as the user who replays them: nothing they may not read."""
        self.env.cr.execute(
            "UPDATE crm_segment_criteria_step SET filter_values = %s WHERE id = %s",
            (
                f'{{"partner_ids": [{self.hidden.id}]}}',
                self.criteria.step_ids.id,
            ),
        )
        self.criteria.step_ids.invalidate_recordset()
        segment = (
            self.env["crm.segment"]
            .with_user(self.author)
            .create({"description": "Replayed", "criteria_id": self.criteria.id})
        )
        with self.assertRaisesRegex(UserError, "cannot read"):
            segment.action_refresh()
        self.assertFalse(segment.sudo().line_ids)


@tagged("post_install", "-at_install")
class TestLinesKeepCompaniesApart(ReviewCase):
    """Hole 4: another company's contacts through segment lines."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "Hole 4 Company"})
        cls.foreign = cls.env["res.partner"].create(
            {
                "name": "Foreign Buyer",
                "email": "foreign@other.example",
                "phone": "+47 900 00 000",
                "company_id": cls.other_company.id,
            }
        )
        cls.both = new_test_user(
            cls.env,
            login="hole4_both_companies",
            groups=USER_GROUPS,
            company_id=cls.env.company.id,
            company_ids=[(6, 0, (cls.env.company | cls.other_company).ids)],
        )

    def _as_both(self, records):
        return records.with_user(self.both).with_context(
            allowed_company_ids=(self.env.company | self.other_company).ids
        )

    def test_line_with_another_companys_contact_refused(self):
        segment = self._make_segment("email", description="Lines")
        with self.assertRaises(UserError):
            self._as_both(self.env["crm.segment.line"]).create(
                {"segment_id": segment.id, "partner_id": self.foreign.id}
            )
        with self.assertRaises(UserError):
            self._as_both(segment.line_ids[:1]).partner_id = self.foreign

    def test_steps_bring_only_the_segments_company(self):
        segment = self._make_segment("email", partners=self.partners[:0])
        self._as_both(segment)._apply_step(
            "add", {"partner_ids": (self.partners | self.foreign).ids}
        )
        self.assertEqual(segment.line_ids.partner_id, self.partners)

    def test_line_shows_no_more_than_the_contact(self):
        segment = self._make_segment("email", description="Emails")
        line = segment.line_ids[:1]
        # a contact moved to another company after it was added
        line.partner_id.company_id = self.other_company
        line.invalidate_recordset()
        with self.assertRaises(AccessError):
            line.with_user(self.user).email  # noqa: B018


@tagged("post_install", "-at_install")
class TestTargetGroupAndPrices(ReviewCase):
    """Hole 5: campaign target groups fed by a plain Campaign User; the price
    actions manager-only in code."""

    def test_user_cannot_mark_targets(self):
        Interaction = self.env["crm.interaction"].with_user(self.user)
        values = {
            "partner_id": self.partners[0].id,
            "campaign_id": self.campaign.id,
            "template_id": self.template.id,
        }
        with self.assertRaisesRegex(AccessError, "campaign managers"):
            Interaction.create({**values, "campaign_target": True})
        interaction = Interaction.create(values)
        with self.assertRaisesRegex(AccessError, "campaign managers"):
            interaction.campaign_target = True
        # a campaign manager may
        interaction.with_user(self.manager).campaign_target = True

    def test_price_actions_are_managers_only(self):
        campaign = self.campaign.with_user(self.user)
        self.assertTrue(campaign.has_access("write"))
        for action in ("action_activate_prices", "action_deactivate_prices"):
            with self.assertRaisesRegex(AccessError, "Only campaign managers"):
                getattr(campaign, action)()
        self.campaign.with_user(self.manager).action_deactivate_prices()


@tagged("post_install", "-at_install")
class TestLoggedInteractionsStay(ReviewCase):
    """Hole 6: what logging made of an interaction, unchangeable over RPC."""

    def test_logged_and_response_fields(self):
        segment = self._make_segment("hard_copy", description="Logged")
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment(send=False)
        )
        interaction = logged.interaction_ids[:1].with_user(self.user)
        other = logged.interaction_ids[1:2]
        lead = self.env["crm.lead"].create({"name": "Some lead"})
        for values in (
            {"partner_id": self.partners[2].id},
            {"campaign_target": False},
            {"campaign_response": True},
            {"response_to_id": other.id},
            {"lead_id": lead.id},
        ):
            with self.assertRaisesRegex(AccessError, "can no longer be changed"):
                interaction.write(values)
        # unchanged values pass, as a form saving the whole record sends them
        interaction.write({"partner_id": interaction.partner_id.id})
        # a response's own fields are fixed too
        response = self.env["crm.interaction"].browse(
            interaction.action_register_response("neutral")
        )
        with self.assertRaisesRegex(AccessError, "can no longer be changed"):
            response.with_user(self.user).response_to_id = other


@tagged("post_install", "-at_install")
class TestCompanyRules(ReviewCase):
    """Hole 8: template language rows, the consent log and target groups
    of another company stay hidden; superuser reads stay in the company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "Hole 8 Company"})
        cls.other_user = new_test_user(
            cls.env,
            login="hole8_other_user",
            groups=f"base.group_user,{MODULE}.crm_campaign_segment_group_manager",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, cls.other_company.ids)],
        )

    def test_template_rows_of_another_company_hidden(self):
        template = self._template_copy("HOLE-8", subject="Own company only")
        template.company_id = self.env.company
        Rows = self.env["crm.interaction.template.lang"].with_user(self.other_user)
        self.assertNotIn(template.language_ids, Rows.search([]))
        with self.assertRaises(AccessError):
            template.language_ids.with_user(self.other_user).read(["subject"])

    def test_consent_log_of_another_company_hidden(self):
        topic = self.env["crm.mailing.group"].create(
            {"code": "HOLE-8", "name": "Offers", "company_id": self.env.company.id}
        )
        partner = self.partners[0]
        partner.opt_out_mailing_group_ids = [(4, topic.id)]
        log = self.env["crm.consent.log"].search([("partner_id", "=", partner.id)])
        self.assertTrue(log)
        self.assertEqual(log.company_id, self.env.company)
        Log = self.env["crm.consent.log"].with_user(self.other_user)
        self.assertFalse(Log.search([("id", "in", log.ids)]))

    def test_target_group_of_another_company_hidden(self):
        partner = self.partners[0].commercial_partner_id
        partner.company_id = self.env.company
        target = (
            self.env["crm.campaign.target"]
            .sudo()
            .create({"campaign_id": self.campaign.id, "partner_id": partner.id})
        )
        Target = self.env["crm.campaign.target"].with_user(self.other_user)
        self.assertFalse(Target.search([("id", "=", target.id)]))

    def test_response_never_links_another_companys_lead(self):
        segment = self._make_segment("hard_copy", description="Responses")
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment(send=False)
        )
        sent = logged.interaction_ids.filtered(
            lambda i: i.partner_id == self.partners[0]
        )
        foreign_lead = self.env["crm.lead"].create(
            {
                "name": "Other company's opportunity",
                "type": "opportunity",
                "partner_id": self.partners[0].id,
                "campaign_id": self.campaign.id,
                "company_id": self.other_company.id,
            }
        )
        response = self.env["crm.interaction"].browse(
            sent.with_user(self.user).action_register_response("positive")
        )
        self.assertTrue(response.lead_id)
        self.assertNotEqual(response.lead_id, foreign_lead)
        self.assertEqual(response.lead_id.company_id, response.company_id)

    def test_price_revenue_of_own_companies_only(self):
        product = self.env["product.product"].create(
            {"name": "Hole 8 chair", "list_price": 100.0}
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partners[0].id,
                "company_id": self.other_company.id,
                "order_line": [
                    fields.Command.create(
                        {"product_id": product.id, "product_uom_qty": 1}
                    )
                ],
            }
        )
        order.order_line.campaign_id = self.campaign
        order.state = "sale"
        self.campaign.company_id = False  # shared by both companies
        self.campaign.invalidate_recordset(["price_revenue", "price_order_count"])
        self.assertEqual(self.campaign.with_user(self.manager).price_order_count, 0)
        self.assertEqual(
            self.campaign.with_user(self.other_user)
            .with_company(self.other_company)
            .price_order_count,
            1,
        )
