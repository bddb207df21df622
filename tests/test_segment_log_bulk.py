# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Logging writes set-based: the rows are those the ORM would write."""

import psycopg2

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..tools.markers import as_engine
from .test_segment_log import SegmentLogCase

# columns that differ between any two records
VOLATILE = {"id", "create_date", "write_date", "date", "message_id", "res_id"}


@tagged("post_install", "-at_install")
class TestLogWritesLikeTheOrm(SegmentLogCase):
    maxDiff = None

    """E-mails and interactions logged in batches look like ORM-created ones."""

    def _row(self, table, record_id):
        self.env.flush_all()
        self.env.cr.execute(f"SELECT * FROM {table} WHERE id = %s", [record_id])  # noqa: S608
        columns = [column.name for column in self.env.cr.description]
        return {
            column: value
            for column, value in zip(columns, self.env.cr.fetchone(), strict=True)
            if column not in VOLATILE
        }

    def _relations(self, mail):
        return (
            sorted(mail.recipient_ids.ids),
            sorted(mail.partner_ids.ids),
            sorted(mail.attachment_ids.ids),
        )

    def test_logged_email_is_indistinguishable(self):
        segment = self._make_segment(
            "email",
            partners=self.partners[:2],
            send_word_as_attachment=False,
            user_id=self.user.id,
        )
        document = self.env["ir.attachment"].create(
            {"name": "terms.pdf", "raw": b"%PDF-1.4", "res_model": "crm.segment"}
        )
        segment.attachment_ids = document
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment(send=True)
        )
        interaction = logged.interaction_ids.filtered(
            lambda i: i.partner_id == self.partners[0]
        )
        bulk = interaction.mail_id
        self.assertTrue(bulk)
        # the same e-mail made by Odoo's own create, as the same user
        values = (
            self.env["crm.interaction.delivery"]
            .with_user(self.user)
            ._prepare_mail_values(
                interaction.with_user(self.user),
                segment,
                # the rendered body, as the chatter keeps it: the body sent
                # has the short links and tracking image added to it
                {interaction.id: bulk.mail_message_id.body},
                {},
                document.ids,
            )[0]
        )
        values.pop("message_id")
        orm = (
            self.env["mail.mail"]
            .with_user(self.user)
            .sudo()
            .create(
                dict(
                    values,
                    recipient_ids=[(6, 0, values["recipient_ids"])],
                    attachment_ids=[(6, 0, values["attachment_ids"])],
                )
            )
        )
        self.assertEqual(
            self._row("mail_message", bulk.mail_message_id.id) | {"id": 0},
            self._row("mail_message", orm.mail_message_id.id) | {"id": 0},
        )
        bulk_mail = self._row("mail_mail", bulk.id)
        orm_mail = self._row("mail_mail", orm.id)
        bulk_mail.pop("mail_message_id")
        orm_mail.pop("mail_message_id")
        self.assertEqual(bulk_mail, orm_mail)
        self.assertEqual(self._relations(bulk), self._relations(orm))
        # one timestamp for creation and last write, as create writes them
        self.assertEqual(bulk.create_date, bulk.write_date)
        self.assertEqual(
            bulk.mail_message_id.create_date, bulk.mail_message_id.write_date
        )
        # what the queue, the bounce handler and the chatter read
        self.assertEqual(bulk.state, "outgoing")
        self.assertEqual(bulk.message_type, "email_outgoing")
        self.assertEqual(bulk.model, "crm.interaction")
        self.assertEqual(bulk.res_id, interaction.id)
        self.assertEqual(bulk.recipient_ids, self.partners[0])
        self.assertEqual(bulk.attachment_ids, document)
        self.assertEqual(bulk.author_id, self.user.partner_id)
        self.assertEqual(bulk.email_from, self.user.email_formatted)
        self.assertTrue(bulk.message_id)
        self.assertTrue(bulk.reply_to)
        self.assertEqual(bulk.record_name, interaction.display_name)
        self.assertIn("Contact 1", bulk.body_html)
        self.assertEqual(bulk.body, bulk.mail_message_id.body)
        self.assertEqual(
            self.env["mail.message"].search([("message_id", "=", bulk.message_id)]),
            bulk.mail_message_id,
        )

    def test_interaction_rows_are_those_of_create(self):
        segment = self._make_segment("hard_copy", partners=self.partners[:1])
        logged = self.env["crm.logged.segment"].browse(segment.log_segment())
        logged_row = logged.interaction_ids
        line = segment.line_ids
        orm = (
            as_engine(self.env["crm.interaction"])
            .with_context(tracking_disable=True)
            .create(
                {
                    "logged_segment_id": logged.id,
                    "campaign_entry_id": logged.campaign_entry_ids.id,
                    "partner_id": line.partner_id.id,
                    "date": logged.date,
                    "template_id": self.template.id,
                    "description": self.template.name,
                    "subject": logged_row.subject,
                    "cost": segment.unit_cost,
                    "duration": segment.unit_duration,
                    "information_flow": segment.information_flow,
                    "initiated_by": segment.initiated_by,
                    "correspondence_type": line.correspondence_type,
                    "lang": line.lang,
                    "campaign_id": self.campaign.id,
                    "campaign_target": True,
                    "campaign_response": False,
                    "user_id": self.user.id,
                    "company_id": segment.company_id.id,
                }
            )
        )
        bulk = self._row("crm_interaction", logged_row.id)
        created = self._row("crm_interaction", orm.id)
        for row in (bulk, created):
            row.pop("segment_line_id")
        self.assertEqual(bulk, created)

    def test_automated_actions_fire_on_logged_interactions(self):
        """The shipped rule (positive response: an opportunity) runs on the
        interactions a batch inserts, and only on those it applies to."""
        segment = self._make_segment("hard_copy", campaign_response=True)
        segment.line_ids.filtered(
            lambda line: line.partner_id == self.partners[0]
        ).evaluation = "positive"
        logged = self.env["crm.logged.segment"].browse(segment.log_segment())
        interactions = logged.interaction_ids
        self.assertEqual(len(interactions), 3)
        positive = interactions.filtered(lambda i: i.evaluation == "positive")
        self.assertEqual(positive.partner_id, self.partners[0])
        self.assertTrue(positive.lead_id)
        self.assertEqual(positive.lead_id.partner_id, self.partners[0])
        self.assertEqual(positive.lead_id.campaign_id, self.campaign)
        self.assertFalse((interactions - positive).lead_id)

    def test_emails_linked_when_logged_skipped_ones_unlinked(self):
        """E-mail interactions are written with the id of their e-mail; those
        that get none (blacklisted, sharing an address) end up unlinked or
        linked to the shared one, and the link is checked again after it."""
        blocked = self.env["res.partner"].create(
            {"name": "Blocked Visitor", "email": "blocked@futurus.example.com"}
        )
        twin = self.env["res.partner"].create(
            {"name": "Twin Visitor", "email": self.partners[0].email}
        )
        segment = self._make_segment(
            "email",
            partners=self.partners[:2] | blocked | twin,
            send_word_as_attachment=False,
        )
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("crm_campaign_segment.background_threshold", 1)
        params.set_param("crm_campaign_segment.use_queue_job", "False")
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment(send=True)
        )
        self.assertEqual(logged.job_state, "queued")
        # blacklisted after the segment was queued: found by the batch
        self.env["mail.blacklist"].sudo()._add(blocked.email)
        self.env["crm.segment.logging"]._log_run(logged.with_user(self.user))
        interactions = logged.interaction_ids
        self.assertEqual(len(interactions), 4)
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT COUNT(*) FROM crm_interaction i
             WHERE i.logged_segment_id = %s AND i.mail_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM mail_mail m WHERE m.id = i.mail_id)
            """,
            [logged.id],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        by_partner = {i.partner_id: i for i in interactions}
        self.assertFalse(by_partner[blocked].mail_id)
        self.assertEqual(by_partner[blocked].delivery_status, "error")
        first = by_partner[self.partners[0]]
        self.assertTrue(first.mail_id)
        self.assertEqual(by_partner[twin].mail_id, first.mail_id)
        self.assertEqual(by_partner[twin].covered_by_id, first)
        self.assertEqual(len(interactions.mail_id), 2)
        # checked at once again after the batch
        self.env.cr.execute("SELECT COALESCE(MAX(id), 0) + 1000 FROM mail_mail")
        missing = self.env.cr.fetchone()[0]
        with (
            self.assertRaises(psycopg2.errors.ForeignKeyViolation),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(
                "UPDATE crm_interaction SET mail_id = %s WHERE id = %s",
                [missing, first.id],
            )
