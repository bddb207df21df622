# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Logging a segment: who may write expressions, sanitized bodies, failing
background jobs, canceling, protected fields, rendered subjects."""

import base64

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import MockEmail

from ..tools.markers import as_engine
from .test_segment_log import MANAGER_GROUPS, SegmentLogCase

SECRET = "{{ object.env['ir.config_parameter'].sudo().get_param('database.secret') }}"
EDITOR_GROUPS = MANAGER_GROUPS + ",mail.group_mail_template_editor"
LOGGING_LOGGER = "odoo.addons.crm_campaign_segment.models.crm_segment_logging"


class ReviewCase(SegmentLogCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.editor = new_test_user(
            cls.env,
            login="log_editor",
            groups=EDITOR_GROUPS,
            email="editor@cronus.example",
        )
        cls.secret = cls.env["ir.config_parameter"].sudo().get_param("database.secret")

    def _template_copy(self, code, **row_values):
        row = {
            "lang": "en_US",
            "subject": False,
            "body_html": "<p>Hello {{ object.name }}</p>",
            "letter_body": "<p>Hi {{ object.name }}</p>",
        }
        row.update(row_values)
        return self.template.copy({"code": code, "language_ids": [(0, 0, row)]})

    def _write_subject_unchecked(self, segment, subject):
        """``subject`` on the segment and its lines as data written before
        subjects were checked on write: logging checks them again."""
        self.env.cr.execute(
            "UPDATE crm_segment SET subject = %s WHERE id = %s", (subject, segment.id)
        )
        self.env.cr.execute(
            "UPDATE crm_segment_line SET subject = %s WHERE segment_id = %s",
            (subject, segment.id),
        )
        self.env.invalidate_all()

    def _counts(self):
        return (
            self.env["crm.logged.segment"].search_count([]),
            self.env["crm.interaction"].search_count([]),
            self.env["mail.mail"].search_count([]),
        )

    def _assert_refused(self, segment, pattern, user, **kwargs):
        before = self._counts()
        with self.assertRaisesRegex(UserError, pattern):
            segment.with_user(user).log_segment(**kwargs)
        self.assertEqual(self._counts(), before)
        self.assertEqual(segment.state, "draft")


@tagged("post_install", "-at_install")
class TestExpressionTrust(ReviewCase):
    """Only template editors save dynamic placeholders, in interaction
    templates; subjects typed on segments and lines and documents attached to
    segments render simple fields only, whoever logs."""

    def test_subject_by_non_editor_refused_for_editor(self):
        template = self._template_copy("TRUST-SUBJ")
        segment = self._make_segment(
            "email",
            interaction_template_id=template.id,
            send_word_as_attachment=False,
            subject="Welcome",
        )
        # a campaign user (no template editor) writes the exploit: refused
        # when written, and when logged if it was stored anyway
        with self.assertRaisesRegex(UserError, "may only be used"):
            segment.with_user(self.user).write({"subject": SECRET})
        self._write_subject_unchecked(segment, SECRET)
        self.assertEqual(set(segment.line_ids.mapped("subject")), {SECRET})
        self._assert_refused(segment, "may only be used", self.editor, send=True)
        # refused without sending too: subjects are rendered on every interaction
        self._assert_refused(segment, "may only be used", self.editor)
        # an editor writing it would be trusted; the user's text never is
        segment.with_user(self.user).write({"subject": "Hi {{ object.name }}"})
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.editor).log_segment(send=True)
        )
        mails = logged.interaction_ids.mail_id
        self.assertEqual(len(mails), 3)
        for interaction in logged.interaction_ids:
            expected = f"Hi {interaction.partner_id.name}"
            self.assertEqual(interaction.subject, expected)
            self.assertEqual(interaction.mail_id.subject, expected)
        self.assertFalse(any(self.secret in (m.subject or "") for m in mails))

    def test_line_subject_by_non_editor_refused(self):
        template = self._template_copy("TRUST-LINE")
        segment = self._make_segment(
            "email",
            interaction_template_id=template.id,
            send_word_as_attachment=False,
        )
        line = segment.line_ids[0]
        with self.assertRaisesRegex(UserError, "may only be used"):
            line.with_user(self.user).write({"subject": SECRET})
        # stored before the check on write existed: refused when logged
        self.env.cr.execute(
            "UPDATE crm_segment_line SET subject = %s WHERE id = %s", (SECRET, line.id)
        )
        line.invalidate_recordset(["subject"])
        self._assert_refused(segment, "may only be used", self.editor, send=True)

    def test_editor_text_renders_for_any_logger(self):
        template = self._template_copy("TRUST-ED")
        template.language_ids.with_user(self.editor).write(
            {"subject": "{{ object.name.upper() }} - {{ segment.campaign_id.title }}"}
        )
        segment = self._make_segment(
            "hard_copy",
            interaction_template_id=template.id,
            send_word_as_attachment=False,
            subject=False,
        )
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment(send=True)
        )
        first = logged.interaction_ids.filtered(
            lambda i: i.partner_id == self.partners[0]
        )
        self.assertEqual(first.subject, "CONTACT 1 - Office Futurus trade fair")
        # the Subject merge field shows the rendered subject
        values = self.env["crm.interaction.render"]._get_merge_field_values(
            segment, first
        )
        self.assertEqual(values[first.id]["Subject"], first.subject)

    def test_segment_subject_renders_restricted_even_from_editor(self):
        template = self._template_copy("TRUST-SEG")
        segment = self._make_segment(
            "hard_copy",
            interaction_template_id=template.id,
            send_word_as_attachment=False,
        )
        with self.assertRaisesRegex(UserError, "may only be used"):
            segment.with_user(self.editor).write(
                {"subject": "{{ object.name.upper() }}"}
            )
        self._write_subject_unchecked(segment, "{{ object.name.upper() }}")
        self._assert_refused(segment, "may only be used", self.editor, send=True)
        segment.with_user(self.editor).write({"subject": "To {{ object.name }}"})
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.editor).log_segment(send=True)
        )
        self.assertEqual(
            sorted(logged.interaction_ids.mapped("subject")),
            ["To Contact 1", "To Contact 2", "To Contact 3"],
        )

    def test_template_row_by_non_editor_refused(self):
        manager = new_test_user(
            self.env, login="log_manager_no_editor", groups=MANAGER_GROUPS
        )
        template = self._template_copy("TRUST-ROW", subject="Welcome")
        for values in (
            {"body_html": f"<p>{SECRET}</p>"},
            {"letter_body": f"<p>{SECRET}</p>"},
            {"subject": SECRET},
        ):
            with self.assertRaisesRegex(AccessError, "Only members of"):
                template.language_ids.with_user(manager).write(values)
        with self.assertRaisesRegex(AccessError, "Only members of"):
            self.env["crm.interaction.template.lang"].with_user(manager).create(
                {"template_id": template.id, "lang": "nb_NO", "subject": SECRET}
            )
        # simple fields are fine from anyone
        template.language_ids.with_user(manager).write(
            {"body_html": "<p>Dear {{ object.name }}</p>"}
        )
        segment = self._make_segment(
            "email", interaction_template_id=template.id, send_word_as_attachment=False
        )
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.editor).log_segment(send=True)
        )
        first = logged.interaction_ids.filtered(
            lambda i: i.partner_id == self.partners[0]
        )
        self.assertIn("Dear Contact 1", first.mail_id.body_html)

    def test_word_document_by_non_editor_refused(self):
        """The demo letter uses placeholders beyond simple fields."""
        manager = new_test_user(
            self.env, login="log_manager_no_editor_doc", groups=MANAGER_GROUPS
        )
        template = self._template_copy("TRUST-DOC", subject="Welcome")
        document = {
            "word_document": base64.b64encode(self.docx_en),
            "word_document_name": "letter.docx",
        }
        with self.assertRaisesRegex(AccessError, "Only members of"):
            template.language_ids.with_user(manager).write(document)
        template.language_ids.with_user(self.editor).write(document)
        segment = self._make_segment(
            "hard_copy", interaction_template_id=template.id, description="Row"
        )
        self.assertTrue(segment.with_user(self.user).log_segment(send=True))
        # the same document attached to a segment renders simple fields only
        attached = self._make_segment(
            "hard_copy",
            interaction_template_id=self._template_copy("TRUST-ATT").id,
            description="Attached",
        )
        attachment = (
            self.env["ir.attachment"]
            .with_user(self.editor)
            .create(
                {
                    "name": "letter.docx",
                    "raw": self.docx_en,
                    "res_model": "crm.segment",
                    "res_id": attached.id,
                }
            )
        )
        attached.write({"attachment_ids": [(6, 0, attachment.ids)]})
        self._assert_refused(attached, "may only be used", self.editor, send=True)


@tagged("post_install", "-at_install")
class TestSanitizedBodies(ReviewCase):
    """Bodies are sanitized: no script in letters or e-mails."""

    def test_no_event_handler_survives(self):
        evil = "<p>Hi</p><img src=x onerror=alert(1)>"
        template = self._template_copy("XSS", body_html=evil, letter_body=evil)
        row = template.language_ids
        self.assertNotIn("onerror", row.body_html)
        self.assertNotIn("onerror", row.letter_body)
        segment = self._make_segment("hard_copy", interaction_template_id=template.id)
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment()
        )
        interaction = logged.interaction_ids[0]
        # the merged letter is the engine's: users cannot rewrite it
        with self.assertRaises(AccessError):
            interaction.with_user(self.user).write({"body_html": evil})
        as_engine(interaction.sudo()).write({"body_html": evil})
        self.assertIn("Hi", interaction.body_html)
        self.assertNotIn("onerror", interaction.body_html)


@tagged("post_install", "-at_install")
class TestFailingBackgroundJob(ReviewCase, MockEmail):
    """A failing job stops in error; the others go on; retry logs once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("crm_campaign_segment.background_threshold", 4)
        params.set_param("crm_campaign_segment.batch_size", 3)
        # the ir.cron path, also where OCA queue_job is installed
        params.set_param("crm_campaign_segment.use_queue_job", "False")
        cls.visitors = cls.env["res.partner"].create(
            [
                {"name": f"Job Visitor {index}", "email": f"job{index}@example.com"}
                for index in range(7)
            ]
        )

    def _queue(self, code):
        template = self._template_copy(code, subject="Welcome {{ object.name }}")
        segment = self._make_segment(
            "email",
            partners=self.visitors,
            interaction_template_id=template.id,
            send_word_as_attachment=False,
            description=f"Job {code}",
        )
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment(send=True)
        )
        self.assertEqual(logged.job_state, "queued")
        return template, segment, logged

    def _run(self, times=1):
        for __ in range(times):
            with mute_logger(LOGGING_LOGGER):
                self.env["crm.logged.segment"]._cron_log_segments()
        self.env.invalidate_all()

    def _assert_logged_once(self, logged, segment):
        interactions = logged.interaction_ids
        self.assertEqual(logged.job_state, "done")
        self.assertEqual(len(interactions), 7)
        self.assertEqual(interactions.segment_line_id, segment.line_ids)
        self.assertEqual(len(interactions.mail_id), 7)
        self.assertEqual(
            self.env["mail.mail"].search_count(
                [("model", "=", "crm.interaction"), ("res_id", "in", interactions.ids)]
            ),
            7,
        )

    def test_failing_job_does_not_block_the_next(self):
        template_a, segment_a, job_a = self._queue("JOB-A")
        __, segment_b, job_b = self._queue("JOB-B")
        self._run()
        self.assertEqual(len(job_a.interaction_ids), 3)
        self.assertFalse(job_b.interaction_ids)
        # the template is broken after the job was queued
        template_a.language_ids.write({"body_html": "<p>{{ object.name + }}</p>"})
        self._run()
        self.assertEqual(job_a.job_state, "error")
        self.assertEqual(segment_a.log_job_state, "error")
        self.assertIn("Logging stopped on an error", job_a.message_ids[0].body)
        # the failing batch was rolled back entirely
        self.assertEqual(len(job_a.interaction_ids), 3)
        # ... and the next job was processed in the same run
        self.assertEqual(len(job_b.interaction_ids), 3)
        self._run(2)
        self.assertEqual(job_a.job_state, "error")
        self._assert_logged_once(job_b, segment_b)

        # only a manager retries, once the cause is fixed
        with self.assertRaises(AccessError):
            job_a.with_user(self.user).action_retry_logging()
        template_a.language_ids.write({"body_html": "<p>Hello {{ object.name }}</p>"})
        job_a.with_user(self.manager).action_retry_logging()
        self.assertEqual(job_a.job_state, "queued")
        with self.assertRaisesRegex(UserError, "Only logging jobs in error"):
            job_a.with_user(self.manager).action_retry_logging()
        self._run(3)
        self._assert_logged_once(job_a, segment_a)
        self._run()
        self._assert_logged_once(job_a, segment_a)

    def test_untrusted_edit_after_queueing_refused_when_saved(self):
        template, segment, job = self._queue("JOB-TRUST")
        manager = new_test_user(self.env, login="job_manager", groups=MANAGER_GROUPS)
        # refused when saved: the queued job never sees it
        with self.assertRaisesRegex(AccessError, "Only members of"):
            template.language_ids.with_user(manager).write(
                {"body_html": f"<p>{SECRET}</p>"}
            )
        self._run(3)
        self._assert_logged_once(job, segment)
        self.assertFalse(
            any(
                self.secret in (mail.body_html or "")
                for mail in job.interaction_ids.mail_id
            )
        )

    def test_canceled_queued_job_is_not_processed(self):
        __, segment, job = self._queue("JOB-CANCEL")
        self._run()
        self.assertEqual(len(job.interaction_ids), 3)
        mails = job.interaction_ids.mail_id
        job.with_user(self.manager).action_cancel()
        self.assertTrue(job.canceled)
        self.assertEqual(set(mails.mapped("state")), {"cancel"})
        self._run(3)
        self.assertEqual(len(job.interaction_ids), 3)
        self.assertEqual(job.job_state, "queued")
        self.assertEqual(self.env["crm.segment.logging"]._log_remaining_count(), 0)
        # restoring it resumes the job
        job.with_user(self.manager).action_restore()
        self._run(3)
        self._assert_logged_once(job, segment)


@tagged("post_install", "-at_install")
class TestCancelStopsEmails(ReviewCase, MockEmail):
    """Canceling stops the e-mails still queued; canceled is never delivered."""

    def _log_emails(self):
        template = self._template_copy("CANCEL-MAIL", subject="Welcome")
        segment = self._make_segment(
            "email", interaction_template_id=template.id, send_word_as_attachment=False
        )
        return self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment(send=True)
        )

    def test_cancel_logged_segment_cancels_queued_emails(self):
        logged = self._log_emails()
        interactions = logged.interaction_ids
        mails = interactions.mail_id
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})
        logged.with_user(self.manager).action_cancel()
        self.assertEqual(set(mails.mapped("state")), {"cancel"})
        self.assertEqual(set(interactions.mapped("delivery_status")), {"error"})
        with self.mock_mail_gateway():
            self.env["mail.mail"].process_email_queue(ids=mails.ids)
        self.assertNotSentEmail()
        self.assertEqual(set(interactions.mapped("delivery_status")), {"error"})

    def test_cancel_campaign_entry_cancels_queued_emails(self):
        logged = self._log_emails()
        mails = logged.interaction_ids.mail_id
        logged.campaign_entry_ids.with_user(self.manager).action_cancel()
        self.assertEqual(set(mails.mapped("state")), {"cancel"})

    def test_canceled_interaction_never_delivered(self):
        logged = self._log_emails()
        interaction = logged.interaction_ids[0]
        interaction.with_user(self.user).action_cancel()
        self.assertEqual(interaction.mail_id.state, "cancel")
        # the e-mail goes out anyway (put back in the queue by hand)
        interaction.mail_id.mark_outgoing()
        with self.mock_mail_gateway():
            interaction.mail_id.send()
        self.assertEqual(interaction.mail_id.state, "sent")
        self.assertNotEqual(interaction.delivery_status, "delivered")
        other = logged.interaction_ids[1]
        with self.mock_mail_gateway():
            other.mail_id.send()
        self.assertEqual(other.delivery_status, "delivered")


@tagged("post_install", "-at_install")
class TestProtectedEngineFields(ReviewCase):
    """Canceling and the job fields go through the engine, not plain writes."""

    def test_user_cannot_write_engine_fields(self):
        segment = self._make_segment()
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment()
        )
        entry = logged.campaign_entry_ids
        as_user = logged.with_user(self.user)
        for vals in (
            {"canceled": True},
            {"job_state": "queued"},
            {"segment_id": False},
            {"send": True},
            {"texts_trusted": True},
        ):
            with self.assertRaises(AccessError):
                as_user.write(vals)
        with self.assertRaises(AccessError):
            entry.with_user(self.user).write({"canceled": True})
        with self.assertRaises(AccessError):
            self.env["crm.logged.segment"].with_user(self.user).create(
                {"description": "Fake", "canceled": True}
            )
        for vals in ({"texts_trusted": True}, {"job_state": "queued"}):
            with self.assertRaises(AccessError):
                logged.with_user(self.manager).write(vals)
        self.assertFalse(logged.canceled)
        self.assertFalse(entry.canceled)
        # plain fields stay writable, and the actions work
        as_user.write({"description": "Renamed"})
        entry.with_user(self.manager).action_cancel()
        self.assertTrue(entry.canceled)
        self.assertTrue(all(logged.interaction_ids.mapped("canceled")))


@tagged("post_install", "-at_install")
class TestLogChecksReview(ReviewCase):
    """Subjects of letters are checked; e-mails need a body or an attachment."""

    def test_letter_subject_checked_and_rendered(self):
        template = self._template_copy("LETTER-SUBJ")
        segment = self._make_segment(
            "hard_copy",
            interaction_template_id=template.id,
            send_word_as_attachment=False,
        )
        self._write_subject_unchecked(segment, SECRET)
        self._assert_refused(segment, "may only be used", self.editor, send=True)
        segment.with_user(self.user).write({"subject": "Dear {{ object.name }}"})
        logged = self.env["crm.logged.segment"].browse(
            segment.with_user(self.user)
            .with_context(force_report_rendering=True)
            .log_segment(send=True)
        )
        for interaction in logged.interaction_ids:
            self.assertEqual(interaction.subject, f"Dear {interaction.partner_id.name}")
        html = self.env["ir.actions.report"]._render_qweb_html(
            "crm_campaign_segment.action_report_crm_interaction_letter",
            logged.interaction_ids[:1].ids,
        )[0]
        self.assertIn(b"Dear Contact", html)
        self.assertNotIn(b"{{", html)

    def test_email_without_body_nor_attachment_refused(self):
        template = self._template_copy(
            "EMPTY-MAIL", subject="Welcome", body_html="<p><br></p>"
        )
        segment = self._make_segment(
            "email", interaction_template_id=template.id, send_word_as_attachment=False
        )
        self._assert_refused(
            segment,
            "EMPTY-MAIL.*neither a body nor an attachment",
            self.user,
            send=True,
        )
        # an attachment is enough
        attachment = (
            self.env["ir.attachment"]
            .with_user(self.user)
            .create({"name": "price list.pdf", "raw": base64.b64decode(b"JVBERi0=")})
        )
        segment.write({"attachment_ids": [(6, 0, attachment.ids)]})
        self.assertTrue(segment.with_user(self.user).log_segment(send=True))

    def test_many_missing_emails_listed_and_counted(self):
        no_mail = self.env["res.partner"].create(
            [{"name": f"Paper Person {index:02d}"} for index in range(25)]
        )
        segment = self._make_segment("email", partners=self.partners | no_mail)
        wizard = (
            self.env["crm.segment.log"]
            .with_user(self.user)
            .create({"segment_id": segment.id, "send": True})
        )
        self.assertEqual(wizard.missing_email_count, 25)
        self.assertEqual(wizard.missing_email_partner_ids, no_mail)
        # the first ten contacts in line order are named, the rest counted
        self._assert_refused(
            segment,
            "Paper Person 00, .*Paper Person 09, and 15 more",
            self.user,
            send=True,
        )

    def test_interaction_indexes(self):
        self.env.cr.execute(
            """
            SELECT indexdef FROM pg_indexes
             WHERE tablename = 'crm_interaction'
               AND (indexdef LIKE '%%(mail_id)%%'
                    OR indexdef LIKE '%%(attachment_id)%%')
            """
        )
        indexes = [row[0] for row in self.env.cr.fetchall()]
        self.assertEqual(len(indexes), 2)
        self.assertTrue(all("IS NOT NULL" in index for index in indexes))
