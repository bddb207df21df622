# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Logging a segment: validation, interactions, deliveries, background job.

Rendering rights
----------------
``{{ expression }}`` placeholders (Word documents, e-mail bodies and subjects,
letter bodies) are rendered by ``mail.render.mixin`` in its sandbox, always in
the environment of the user who logs the segment (never as superuser), so
record rules apply to everything an expression reads.  Which expressions are
allowed follows Odoo's own rule for mail templates: a text whose last
writer (the ``write_uid`` of the exact record holding it: template language
row, segment line, segment, attachment) is a member of *Mail Template Editor*,
or that comes from data files, renders like a ``mail.template`` (any sandboxed
expression); any other text only renders Odoo's simple field paths
(``{{ object.name }}``), whoever logs the segment.  The segment's and lines'
subjects are judged when the segment is logged (logging writes the segment),
the template rows and attachments again when they are rendered.  An
expression that is not allowed, or that does not compile, is refused when the
segment is checked, before anything is written.
"""

import base64
import io
import logging
import re
import zipfile

import psycopg2.errors

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, email_normalize, format_date, html_escape, is_html_empty
from odoo.tools.rendering_tools import parse_inline_template
from odoo.tools.safe_eval import test_python_expr

from ..tools import docx_merge

_logger = logging.getLogger(__name__)

TEMPLATE_EDITOR_GROUP = "mail.group_mail_template_editor"
LETTER_REPORT = "crm_campaign_segment.action_report_crm_logged_segment_letters"
LOG_CRON = "crm_campaign_segment.ir_cron_crm_segment_log"
MAX_LISTED = 10

# The classic merge field names of Word letters
MERGE_FIELD_NAMES = (
    "ContactNo",
    "ContactName",
    "CompanyName",
    "Name2",
    "Address",
    "Address2",
    "PostCode",
    "City",
    "County",
    "Country",
    "JobTitle",
    "Phone",
    "Mobile",
    "Email",
    "VATNo",
    "HomePage",
    "Salutation",
    "InformalSalutation",
    "SalespersonCode",
    "SalespersonName",
    "SalespersonJobTitle",
    "SalespersonPhone",
    "SalespersonEmail",
    "DocumentDate",
    "CampaignNo",
    "CampaignDescription",
    "SegmentNo",
    "SegmentDescription",
    "Description",
    "Subject",
    "CompanyOwnName",
    "CompanyOwnAddress",
    "CompanyOwnVAT",
    "CompanyOwnRegistrationNo",
    "CompanyOwnPhone",
    "CompanyOwnBank",
)


def _is_docx_name(name):
    return (name or "").lower().endswith(".docx")


def _safe_filename(text):
    return re.sub(r"[^\w.\- ]+", "_", text or "").strip() or "document"


class CrmSegment(models.Model):
    _inherit = "crm.segment"

    logged_segment_id = fields.Many2one(
        "crm.logged.segment",
        compute="_compute_logged_segment_id",
        help="The logged segment created when this segment was logged.",
    )
    log_job_state = fields.Selection(
        [("queued", "Logging in Progress"), ("error", "Error"), ("done", "Done")],
        string="Logging Status",
        compute="_compute_logged_segment_id",
    )
    log_progress = fields.Float(
        string="Logging Progress (%)", compute="_compute_logged_segment_id"
    )

    def _compute_logged_segment_id(self):
        for segment in self:
            logged = segment.logged_segment_ids.sorted("id")[-1:]
            segment.logged_segment_id = logged
            segment.log_job_state = logged.job_state
            segment.log_progress = logged.log_progress

    # -------------------------------------------------------------------------
    # PUBLIC API
    # -------------------------------------------------------------------------
    def log_segment(self, send=False, create_follow_up=False, missing_email=False):
        """Log the segment: one interaction per line, deliveries when ``send``.

        Everything is checked before anything is written.  Above the
        ``crm_campaign_segment.background_threshold`` system parameter the
        interactions and deliveries are made in the background, batch by batch.

        :param bool send: send the e-mails and produce the letters
        :param bool create_follow_up: create "Follow-up on segment ..."
        :param missing_email: what to do with e-mail lines whose contact has
            no valid address: ``"hard_copy"`` (switch them to hard copy) or
            ``"skip"`` (leave them out of the segment); without it such lines
            are refused when sending
        :return: the id of the logged segment
        """
        self.ensure_one()
        self.check_access("write")
        self._log_lock()
        texts_trusted = self._log_texts_trusted()
        missing_lines = self._log_check(send, missing_email, texts_trusted)
        segment = self
        segment._log_apply_missing_email(missing_lines, missing_email)
        logged = segment._log_create_header(send, create_follow_up, texts_trusted)
        params = self.env["ir.config_parameter"].sudo()
        threshold = int(
            params.get_param("crm_campaign_segment.background_threshold", 5000)
        )
        if logged.line_total > threshold:
            # protected field: the engine writes it as superuser
            logged.sudo().job_state = "queued"
            self.env.ref(LOG_CRON).sudo()._trigger()
            return logged.id
        batch_size = segment._log_batch_size()
        while True:
            lines = segment._log_pending_lines(logged, batch_size)
            if not lines:
                break
            segment._log_process_lines(logged, lines)
        segment._log_finalize(logged)
        return logged.id

    # -------------------------------------------------------------------------
    # CHECKS
    # -------------------------------------------------------------------------
    def _log_lock(self):
        """Lock the segment row; a second user logging it gets a clear error."""
        self.ensure_one()
        self.env.flush_all()
        self._log_lock_job()
        self.invalidate_recordset(["state"])
        if self.state != "draft":
            raise UserError(
                _(
                    "Segment %(segment)s is logged already: it cannot be logged twice.",
                    segment=self.display_name,
                )
            )

    def _log_list(self, records):
        names = records[:MAX_LISTED].mapped("display_name")
        if len(records) > MAX_LISTED:
            names.append(_("and %(count)s more", count=len(records) - MAX_LISTED))
        return ", ".join(names)

    def _log_check(self, send, missing_email, texts_trusted=None):
        """Check everything logging needs; raise a UserError, write nothing.

        Set-based: the lines are counted and grouped in SQL, never loaded one
        by one, so that checking a large segment stays quick.

        :param bool texts_trusted: whether the segment's and lines' subjects
            may use any expression (see ``_log_texts_trusted``)
        :return: the e-mail lines whose contact has no valid address
        """
        self.ensure_one()
        if not self.description:
            raise UserError(
                _(
                    "Segment %(segment)s has no description: describe it before "
                    "logging it.",
                    segment=self.name,
                )
            )
        if texts_trusted is None:
            texts_trusted = self._log_texts_trusted()
        Line = self.env["crm.segment.line"]
        if not Line.search_count([("segment_id", "=", self.id)], limit=1):
            raise UserError(
                _(
                    "Segment %(segment)s has no lines: add contacts before logging it.",
                    segment=self.display_name,
                )
            )
        if not self.interaction_template_id:
            no_template = [
                ("segment_id", "=", self.id),
                ("interaction_template_id", "=", False),
            ]
            count = Line.search_count(no_template)
            if count:
                raise UserError(
                    _(
                        "Segment %(segment)s: every line needs an interaction "
                        "template. Lines without one: %(contacts)s.",
                        segment=self.display_name,
                        contacts=self._log_list_lines(
                            Line.search(no_template, limit=MAX_LISTED), count
                        ),
                    )
                )
        if missing_email not in (False, None, "hard_copy", "skip"):
            raise UserError(
                _(
                    "Unknown choice %(choice)s for contacts without an e-mail "
                    "address: use 'hard_copy' or 'skip'.",
                    choice=missing_email,
                )
            )
        missing = self._log_missing_email_lines()
        if send and missing and not missing_email:
            raise UserError(
                _(
                    "Segment %(segment)s: these contacts have no valid e-mail "
                    "address for their e-mail line: %(contacts)s. Choose to switch "
                    "them to hard copy or to leave them out.",
                    segment=self.display_name,
                    contacts=self._log_list(missing.partner_id),
                )
            )
        skipped = missing if send and missing_email == "skip" else missing.browse()
        switched = missing if send and missing_email == "hard_copy" else Line
        self._log_check_deliveries(send, switched, skipped, texts_trusted)
        return missing if send else missing.browse()

    def _log_list_lines(self, lines, count):
        """Name the contacts of the first lines of ``count`` lines."""
        names = lines[:MAX_LISTED].partner_id.mapped("display_name")
        if count > MAX_LISTED:
            names.append(_("and %(count)s more", count=count - MAX_LISTED))
        return ", ".join(names)

    def _log_missing_email_lines(self, limit=None):
        """E-mail lines whose contact has no valid e-mail address, in line order.

        SQL preselects the contacts without a normalized address or with
        several addresses; only those are checked in Python, with the same
        strict rule as before (``email_normalize``).
        """
        self.ensure_one()
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT l.id, p.email
                  FROM crm_segment_line l
                  JOIN res_partner p ON p.id = l.partner_id
                 WHERE l.segment_id = %(segment)s
                   AND l.correspondence_type = 'email'
                   AND (p.email_normalized IS NULL
                        OR LENGTH(p.email) - LENGTH(REPLACE(p.email, '@', '')) > 1)
                 ORDER BY l.id
                """,
                segment=self.id,
            )
        )
        ids = [line_id for line_id, email in rows if not email_normalize(email or "")]
        return self.env["crm.segment.line"].browse(ids[:limit] if limit else ids)

    def _log_line_groups(self, switched, skipped):
        """The lines grouped by what logging them needs, in one query.

        :return: list of dicts (template, lang, ctype, subject, count, line_ids
            = the first line ids of the group, enough to name contacts)
        """
        self.ensure_one()
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT COALESCE(l.interaction_template_id, %(template)s),
                       l.lang,
                       CASE WHEN l.id = ANY(%(switched)s) THEN 'hard_copy'
                            ELSE l.correspondence_type END,
                       NULLIF(l.subject, ''),
                       COUNT(*),
                       (ARRAY_AGG(l.id ORDER BY l.id))[1:%(listed)s]
                  FROM crm_segment_line l
                 WHERE l.segment_id = %(segment)s
                   AND NOT l.id = ANY(%(skipped)s)
                 GROUP BY 1, 2, 3, 4
                 ORDER BY MIN(l.id)
                """,
                template=self.interaction_template_id.id or None,
                switched=switched.ids,
                skipped=skipped.ids,
                listed=MAX_LISTED + 1,
                segment=self.id,
            )
        )
        Template = self.env["crm.interaction.template"]
        return [
            {
                "template": Template.browse(template_id),
                "lang": lang,
                "ctype": ctype,
                "subject": subject,
                "count": count,
                "line_ids": line_ids,
            }
            for template_id, lang, ctype, subject, count, line_ids in rows
        ]

    def _log_check_deliveries(self, send, switched, skipped, texts_trusted):
        """Check subjects, bodies, documents and placeholders of the lines.

        Subjects are rendered on every interaction, so their placeholders are
        always checked; the rest only when sending.
        """
        problems = {"subject": [], "document": [], "letter": [], "empty": []}
        sources = {}
        segment = self.with_context(crm_log_document_cache={})
        other_attachments = any(
            not _is_docx_name(name) for name in self.attachment_ids.mapped("name")
        )
        for group in self._log_line_groups(switched, skipped):
            ctype, template, lang = group["ctype"], group["template"], group["lang"]
            subject, trusted, where = self._log_subject_source(
                template, lang, group["subject"] or self.subject, texts_trusted
            )
            if subject:
                sources[("subject", subject, trusted)] = (subject, where, trusted)
            if not send or ctype not in ("email", "hard_copy"):
                continue
            row = template._get_language(lang)
            documents = segment._log_documents(template, lang)
            if ctype == "email":
                if not subject:
                    problems["subject"].append(group)
                if self.send_word_as_attachment and not documents:
                    problems["document"].append(group)
                elif (
                    is_html_empty(row.body_html)
                    and not documents
                    and not other_attachments
                ):
                    # without a body, the merged Word document is the body
                    problems["empty"].append(group)
                if row.body_html:
                    sources[("body", row.id)] = (
                        row.body_html,
                        template.display_name,
                        self._log_is_trusted(row.write_uid),
                    )
            else:
                if not documents and not row.letter_body:
                    problems["letter"].append(group)
                if row.letter_body:
                    sources[("letter", row.id)] = (
                        row.letter_body,
                        template.display_name,
                        self._log_is_trusted(row.write_uid),
                    )
            if (
                ctype == "hard_copy"
                or self.send_word_as_attachment
                or is_html_empty(row.body_html)
            ):
                for document in documents:
                    sources[document["key"]] = (
                        document,
                        document["name"],
                        document["trusted"],
                    )
        self._log_raise_problems(problems)
        self._log_check_sources(sources)

    def _log_group_summary(self, groups):
        """(template of the first failing line, languages) of failing groups."""
        first = min(groups, key=lambda group: min(group["line_ids"]))
        langs = ", ".join(sorted({group["lang"] or "-" for group in groups}))
        return first["template"].display_name, langs

    def _log_group_contacts(self, groups):
        """Name the contacts of the lines of ``groups``, in line order."""
        line_ids = sorted(line_id for group in groups for line_id in group["line_ids"])
        return self._log_list_lines(
            self.env["crm.segment.line"].browse(line_ids[:MAX_LISTED]),
            sum(group["count"] for group in groups),
        )

    def _log_raise_problems(self, problems):
        if problems["subject"]:
            raise UserError(
                _(
                    "Segment %(segment)s: e-mails need a subject, on the segment or "
                    "in the template's language row. Missing for: %(contacts)s.",
                    segment=self.display_name,
                    contacts=self._log_group_contacts(problems["subject"]),
                )
            )
        for key, label in (
            ("document", _("A Word (.docx) document to attach")),
            ("letter", _("A Word (.docx) document or a letter body")),
        ):
            if problems[key]:
                failing = problems[key]
                template, langs = self._log_group_summary(failing)
                raise UserError(
                    _(
                        "Segment %(segment)s: %(what)s is missing for language "
                        "%(langs)s (template %(template)s). Add it to the template's "
                        "language row or attach it to the segment. Contacts: "
                        "%(contacts)s.",
                        segment=self.display_name,
                        what=label,
                        langs=langs,
                        template=template,
                        contacts=self._log_group_contacts(failing),
                    )
                )
        if problems["empty"]:
            failing = problems["empty"]
            template, langs = self._log_group_summary(failing)
            raise UserError(
                _(
                    "Segment %(segment)s: the e-mails of template %(template)s in "
                    "language %(langs)s would have neither a body nor an "
                    "attachment. Write an e-mail body in the template's language "
                    "row or attach a document. Contacts: %(contacts)s.",
                    segment=self.display_name,
                    template=template,
                    langs=langs,
                    contacts=self._log_group_contacts(failing),
                )
            )

    def _log_check_sources(self, sources):
        for source, where, trusted in sources.values():
            if isinstance(source, dict):
                try:
                    placeholders = docx_merge.find_placeholders(source["data"])
                except docx_merge.DocxMergeError as error:
                    raise UserError(
                        _(
                            "Segment %(segment)s: %(name)s is not a valid Word "
                            "(.docx) document: %(error)s",
                            segment=self.display_name,
                            name=source["name"],
                            error=str(error),
                        )
                    ) from None
                expressions = placeholders["expressions"]
            else:
                expressions = [
                    expression
                    for __, expression, __ in parse_inline_template(str(source))
                    if expression
                ]
            self._log_check_expressions(expressions, where, trusted)

    def _log_check_expressions(self, expressions, where, trusted):
        QWeb = self.env["ir.qweb"]
        for expression in expressions:
            error = test_python_expr(expression, mode="eval")
            if error:
                raise UserError(
                    _(
                        "The placeholder {{ %(expression)s }} in %(where)s is not a "
                        "valid expression: %(error)s",
                        expression=expression,
                        where=where,
                        error=error,
                    )
                )
            if not trusted and not QWeb._is_expression_allowed(
                expression, "res.partner"
            ):
                self._log_raise_untrusted(expression, where)

    def _log_raise_untrusted(self, expression, where):
        raise UserError(
            _(
                "The placeholder {{ %(expression)s }} in %(where)s may only be used "
                "in texts and documents last written by a member of %(group)s; "
                "others may only use simple fields such as {{ object.name }}. Ask "
                "a member to review and save (or upload) it again.",
                expression=expression,
                where=where,
                group=self.env.ref(TEMPLATE_EDITOR_GROUP).sudo().full_name,
            )
        )

    @api.model
    def _log_is_trusted(self, author):
        """Whether a text last written by ``author`` may use any sandboxed
        expression: only when its author is a *Mail Template Editor* (which
        administrators are), or it comes from data files (no author, or the
        superuser/OdooBot).  Who logs the segment does not matter.
        """
        author = author.sudo()
        if not author or author.id == SUPERUSER_ID:
            return True
        return author.has_group(TEMPLATE_EDITOR_GROUP)

    def _log_texts_trusted(self):
        """Whether the segment's subject and its lines' subjects were last
        written by template editors; read before logging writes anything (the
        logging itself writes the segment and may write lines)."""
        self.ensure_one()
        if self.subject and not self._log_is_trusted(self.write_uid):
            return False
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT write_uid FROM crm_segment_line
                 WHERE segment_id = %s AND COALESCE(subject, '') != ''
                """,
                self.id,
            )
        )
        Users = self.env["res.users"]
        return all(self._log_is_trusted(Users.browse(uid)) for (uid,) in rows)

    # -------------------------------------------------------------------------
    # WRITING
    # -------------------------------------------------------------------------
    def _log_apply_missing_email(self, missing_lines, missing_email):
        """Apply the user's choice for e-mail lines without an address."""
        if not missing_lines:
            return
        contacts = self._log_list(missing_lines.partner_id)
        if missing_email == "hard_copy":
            missing_lines.write({"correspondence_type": "hard_copy"})
            body = _(
                "Switched to hard copy (no e-mail address): %(contacts)s",
                contacts=contacts,
            )
        else:
            missing_lines.unlink()
            body = _(
                "Left out of the segment (no e-mail address): %(contacts)s",
                contacts=contacts,
            )
        self._message_log(body=body)

    def _log_create_header(self, send, create_follow_up, texts_trusted=False):
        """Create the logged segment and its campaign entries; mark as logged.

        The header's engine fields (segment, send, job state, trust) are
        protected against RPC writes: the engine creates it as superuser,
        for the logging user.
        """
        self.ensure_one()
        Line = self.env["crm.segment.line"]
        line_domain = [("segment_id", "=", self.id)]
        logged = (
            self.env["crm.logged.segment"]
            .sudo()
            .create(
                {
                    "segment_id": self.id,
                    "description": self.description,
                    "company_id": self.company_id.id,
                    "user_id": self.env.uid,
                    "send": bool(send),
                    "create_follow_up": bool(create_follow_up),
                    "line_total": Line.search_count(line_domain),
                    "job_state": "done",
                    "texts_trusted": bool(texts_trusted),
                }
            )
            .sudo(False)
        )
        if self.campaign_id:
            campaigns = self.campaign_id
        else:
            templates = self.interaction_template_id.union(
                *(
                    template
                    for [template] in Line._read_group(
                        line_domain, ["interaction_template_id"]
                    )
                )
            )
            campaigns = templates.campaign_id
        self.env["crm.campaign.entry"].sudo().create(
            [
                {
                    "campaign_id": campaign.id,
                    "logged_segment_id": logged.id,
                    "description": self.description,
                    "company_id": self.company_id.id,
                    "date": logged.date,
                }
                for campaign in campaigns
            ]
        )
        # engine field: written as superuser, for the logging user
        self.sudo().write({"state": "logged"})
        return logged

    def _log_batch_size(self):
        params = self.env["ir.config_parameter"].sudo()
        return max(1, int(params.get_param("crm_campaign_segment.batch_size", 1000)))

    def _log_pending_lines(self, logged, limit=None):
        """Lines of the segment that have no interaction in ``logged`` yet."""
        self.ensure_one()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT l.id FROM crm_segment_line l
                 WHERE l.segment_id = %(segment)s
                   AND NOT EXISTS (
                        SELECT 1 FROM crm_interaction i
                         WHERE i.logged_segment_id = %(logged)s
                           AND i.segment_line_id = l.id
                   )
                 ORDER BY l.id
                 %(limit)s
                """,
                segment=self.id,
                logged=logged.id,
                limit=SQL("LIMIT %s", limit) if limit else SQL(""),
            )
        )
        return self.env["crm.segment.line"].browse([row[0] for row in rows])

    def _log_process_lines(self, logged, lines):
        """Create the interactions of ``lines`` and deliver them (one batch)."""
        self.ensure_one()
        entries = {entry.campaign_id: entry for entry in logged.campaign_entry_ids}
        vals_list = [
            self._prepare_interaction_values(logged, line, entries) for line in lines
        ]
        interactions = (
            self.env["crm.interaction"]
            .with_context(
                mail_create_nolog=True,
                mail_create_nosubscribe=True,
                mail_notrack=True,
                tracking_disable=True,
            )
            .sudo()  # engine fields (links, delivery status)
            .create(vals_list)
            .sudo(False)
        )
        self._log_render_subjects(logged, interactions, lines)
        if logged.send:
            self._deliver(interactions)
        return interactions

    def _log_render_subjects(self, logged, interactions, lines):
        """Render the subject of each interaction for its contact and store it:
        the e-mail, the letter and the Subject merge field show it."""
        sources = {}
        for interaction, line in zip(interactions, lines, strict=True):
            text, trusted, where = self._log_subject_source(
                interaction.template_id,
                interaction.lang,
                line.subject or self.subject,
                logged.texts_trusted,
            )
            if text:
                sources[interaction.id] = (text, trusted, where)
        self._log_update_column(
            interactions,
            "subject",
            self._log_render_texts(interactions, sources, escape=False),
        )

    def _prepare_interaction_values(self, logged, line, entries):
        """Values of the interaction logged for ``line`` (extension point)."""
        template = line.interaction_template_id or self.interaction_template_id
        header_template = template == self.interaction_template_id
        if self.campaign_id:
            campaign = self.campaign_id
            target, response = self.campaign_target, self.campaign_response
        else:
            campaign = template.campaign_id
            target, response = template.campaign_target, template.campaign_response
        entry = entries.get(campaign)
        ctype = line.correspondence_type
        deliver = logged.send and ctype in ("email", "hard_copy")
        return {
            "logged_segment_id": logged.id,
            "segment_line_id": line.id,
            "campaign_entry_id": entry.id if entry else False,
            "partner_id": line.partner_id.id,
            "company_partner_id": (
                line.company_partner_id or line.partner_id.commercial_partner_id
            ).id,
            "date": logged.date,
            "template_id": template.id,
            "description": template.name,
            # the source text; rendered per contact right after creation
            "subject": self._log_subject_source(
                template, line.lang, line.subject or self.subject, False
            )[0],
            "cost": self.unit_cost if header_template else template.unit_cost,
            "duration": (
                self.unit_duration if header_template else template.unit_duration
            ),
            "information_flow": (
                (header_template and self.information_flow) or template.information_flow
            ),
            "initiated_by": (
                (header_template and self.initiated_by) or template.initiated_by
            ),
            "correspondence_type": ctype,
            "lang": line.lang,
            "campaign_id": campaign.id,
            "campaign_target": target,
            "campaign_response": response,
            "evaluation": line.evaluation,
            "user_id": (line.user_id or self.user_id).id,
            "company_id": self.company_id.id,
            "delivery_status": "in_progress" if deliver else "none",
        }

    def _log_finalize(self, logged):
        """Close the logging job: follow-up segment, message, status."""
        self.ensure_one()
        if logged.create_follow_up and not logged.follow_up_segment_id:
            logged.sudo().follow_up_segment_id = self._log_create_follow_up(logged)
        logged.sudo().job_state = "done"
        logged._message_log(
            body=_(
                "Segment %(segment)s logged: %(count)s interactions.",
                segment=self.display_name,
                count=logged.interaction_count,
            )
        )

    def _log_create_follow_up(self, logged):
        """Create "Follow-up on segment ..." with the same campaign and contacts,
        built by reusing the logged segment (one undoable Add step)."""
        self.ensure_one()
        follow_up = self.env["crm.segment"].create(
            {
                "description": _("Follow-up on segment %(segment)s", segment=self.name),
                "campaign_id": self.campaign_id.id,
                "company_id": self.company_id.id,
                "lang": self.lang,
            }
        )
        follow_up._reuse_logged_segment(logged, ignore_exclusion=True)
        return follow_up

    # -------------------------------------------------------------------------
    # BACKGROUND JOB
    # -------------------------------------------------------------------------
    @api.model
    def _cron_log_segments(self):
        """Log one batch of the oldest queued segment; the cron loops on.

        Each run creates the interactions (and e-mails) of the next lines that
        have none yet, in the cron's transaction, which Odoo commits after the
        run: after a crash the next run starts from the first line without an
        interaction, so each line is logged once and e-mailed at most once.

        Each job runs in a savepoint: a job that fails (a template edited
        into an invalid expression after it was queued, ...) is rolled back,
        set to *Error* with the reason in its chatter, and the run goes on
        with the next queued job; a manager retries or cancels it.  Canceled
        jobs are not processed.
        """
        Logged = self.env["crm.logged.segment"].sudo()
        jobs = Logged.search(
            [("job_state", "=", "queued"), ("canceled", "=", False)], order="id"
        )
        done = 0
        for logged in jobs:
            try:
                with self.env.cr.savepoint():
                    processed = self._log_run_job(logged)
            except psycopg2.OperationalError:
                # transient (lock, serialization): the cron retries later
                raise
            except Exception as error:  # noqa: BLE001 - any error stops the job
                self._log_job_failed(logged, error)
                continue
            if processed is not None:
                done = processed
                break
        self.env["ir.cron"]._notify_progress(
            done=done, remaining=self._log_remaining_count()
        )

    @api.model
    def _log_run_job(self, logged):
        """Log one batch of a queued job.

        :return: the number of lines logged, or None when the job was not
            processed (locked by another transaction, canceled meanwhile)
        """
        if not logged.segment_id:
            # the segment was deleted meanwhile: nothing more can be logged
            logged.sudo().job_state = "done"
            return 0
        segment = logged.segment_id.with_user(logged.user_id).with_company(
            logged.company_id
        )
        logged = logged.with_env(segment.env)
        try:
            segment._log_lock_job()
        except UserError:
            _logger.info("Segment %s is locked, logging it later", segment.name)
            return None
        # canceled (or set to error) while this run waited for the lock
        logged.invalidate_recordset(["job_state", "canceled"])
        if logged.job_state != "queued" or logged.canceled:
            return None
        done = 0
        lines = segment._log_pending_lines(logged, segment._log_batch_size())
        if lines:
            segment._log_process_lines(logged, lines)
            done = len(lines)
        if not segment._log_pending_lines(logged, 1):
            segment._log_finalize(logged)
        return done

    @api.model
    def _log_job_failed(self, logged, error):
        """Stop a job on an error: state *Error*, the reason in its chatter."""
        reason = error.args[0] if isinstance(error, UserError) else str(error)
        _logger.warning("Logging %s failed: %s", logged.name, reason)
        logged = logged.sudo()
        logged.job_state = "error"
        logged._message_log(
            body=_(
                "Logging stopped on an error: %(error)s A campaign manager can "
                "retry it once the cause is fixed, or cancel it.",
                error=reason,
            )
        )

    def _log_lock_job(self):
        """Lock the segment row for this transaction, or raise a UserError."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.execute_query(
                    SQL(
                        "SELECT id FROM crm_segment WHERE id = %s FOR UPDATE NOWAIT",
                        self.id,
                    )
                )
        except psycopg2.errors.LockNotAvailable:
            raise UserError(
                _(
                    "Segment %(segment)s is being logged by another user right now. "
                    "Try again in a moment.",
                    segment=self.display_name,
                )
            ) from None

    @api.model
    def _log_remaining_count(self):
        """Lines of queued logging jobs that have no interaction yet."""
        self.env.flush_all()
        return self.env.execute_query(
            SQL(
                """
                SELECT COUNT(*)
                  FROM crm_logged_segment ls
                  JOIN crm_segment_line l ON l.segment_id = ls.segment_id
                 WHERE ls.job_state = 'queued'
                   AND ls.canceled IS NOT TRUE
                   AND NOT EXISTS (
                        SELECT 1 FROM crm_interaction i
                         WHERE i.logged_segment_id = ls.id
                           AND i.segment_line_id = l.id
                   )
                """
            )
        )[0][0]

    # -------------------------------------------------------------------------
    # DELIVERY
    # -------------------------------------------------------------------------
    def _deliver(self, interactions):
        """Deliver the interactions of one batch by their correspondence type."""
        emails = interactions.filtered(lambda i: i.correspondence_type == "email")
        letters = interactions.filtered(lambda i: i.correspondence_type == "hard_copy")
        if emails:
            self._deliver_email(emails)
        if letters:
            self._deliver_letter(letters)

    def _deliver_email(self, interactions):
        """One ``mail.mail`` per interaction, through Odoo's mail engine.

        Subject and body come from the template's row for the contact's
        language (else the template's default); the Word documents are
        merged for the contact and attached when the segment says so, else,
        when the row has no e-mail body, the merged documents become the
        body; other attachments go as they are.  Blacklisted addresses are
        not mailed: their interactions get an error and the logged segment a
        message.
        """
        self.ensure_one()
        if not interactions:
            return
        blacklisted = self._log_blacklisted(interactions)
        if blacklisted:
            blacklisted._set_delivery_status(
                "error", _("The e-mail address is blacklisted: not sent.")
            )
            for logged in blacklisted.logged_segment_id:
                logged._message_log(
                    body=_(
                        "Not e-mailed, address blacklisted: %(contacts)s",
                        contacts=self._log_list(
                            blacklisted.filtered(
                                lambda i, logged=logged: i.logged_segment_id == logged
                            ).partner_id
                        ),
                    )
                )
        interactions -= blacklisted
        if not interactions:
            return
        bodies = self._log_render_rows(interactions, "body_html", escape=True)
        merged = {}
        if self.send_word_as_attachment:
            merged = self._log_merge_documents(interactions)
        else:
            without_body = interactions.filtered(
                lambda i: is_html_empty(i.template_id._get_language(i.lang).body_html)
            )
            if without_body:
                for interaction_id, documents in self._log_merge_documents(
                    without_body
                ).items():
                    bodies[interaction_id] = "".join(
                        docx_merge.docx_to_html(data) for __, data in documents
                    )
        other_attachments = self.attachment_ids.filtered(
            lambda a: not _is_docx_name(a.name)
        )
        attachment_vals, owners = [], []
        for interaction in interactions:
            for name, data in merged.get(interaction.id, []):
                attachment_vals.append(
                    {
                        "name": name,
                        "raw": data,
                        "res_model": "crm.interaction",
                        "res_id": interaction.id,
                        "mimetype": "application/vnd.openxmlformats-officedocument"
                        ".wordprocessingml.document",
                    }
                )
                owners.append(interaction.id)
        attachments = self.env["ir.attachment"].create(attachment_vals)
        by_interaction = {}
        for owner, attachment in zip(owners, attachments, strict=True):
            by_interaction.setdefault(owner, []).append(attachment.id)
        email_from = (
            self.user_id.email_formatted
            or self.company_id.email_formatted
            or self.env.user.email_formatted
        )
        mail_vals = []
        for interaction in interactions:
            attachment_ids = (
                by_interaction.get(interaction.id, []) + other_attachments.ids
            )
            mail_vals.append(
                {
                    # rendered for the contact when the interaction was logged
                    "subject": interaction.subject,
                    "body_html": bodies.get(interaction.id) or "",
                    "email_from": (interaction.user_id.email_formatted or email_from),
                    "recipient_ids": [(4, interaction.partner_id.id)],
                    "model": "crm.interaction",
                    "res_id": interaction.id,
                    "auto_delete": False,
                    "attachment_ids": [(6, 0, attachment_ids)],
                }
            )
        mails = self.env["mail.mail"].sudo().create(mail_vals)
        self._log_update_column(
            interactions, "mail_id", dict(zip(interactions.ids, mails.ids, strict=True))
        )
        self._log_update_column(
            interactions,
            "attachment_id",
            {iid: ids[0] for iid, ids in by_interaction.items()},
        )
        interactions._set_delivery_status("in_progress")

    def _deliver_letter(self, interactions):
        """Letters for the hard-copy interactions of one batch.

        The letter bodies are merged for each contact, the QWeb letter report
        renders them into one printable PDF in one call, and the merged Word
        letters go into one zip; both are attached to the logged segment and
        posted in its chatter.
        """
        self.ensure_one()
        if not interactions:
            return
        bodies = self._log_render_rows(interactions, "letter_body", escape=True)
        self._log_update_column(interactions, "body_html", bodies)
        logged = interactions.logged_segment_id[:1]
        merged = self._log_merge_documents(interactions)
        # One call, one document: all letters of the batch in one report of
        # the logged segment (wkhtmltopdf runs once per batch).
        content, report_type = (
            self.env["ir.actions.report"]
            .with_context(crm_letter_interaction_ids=interactions.ids)
            ._render_qweb_pdf(LETTER_REPORT, logged.ids)
        )
        label = f"{logged.name} {interactions[0].id}-{interactions[-1].id}"
        attachment_vals = [
            {
                "name": _("Letters %(batch)s", batch=label) + f".{report_type}",
                "raw": content,
                "res_model": "crm.logged.segment",
                "res_id": logged.id,
                "mimetype": "application/pdf" if report_type == "pdf" else "text/html",
            }
        ]
        if merged:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for index, interaction in enumerate(interactions, start=1):
                    for name, data in merged.get(interaction.id, []):
                        archive.writestr(f"{index:05d} {name}", data)
            attachment_vals.append(
                {
                    "name": _("Word letters %(batch)s", batch=label) + ".zip",
                    "raw": buffer.getvalue(),
                    "res_model": "crm.logged.segment",
                    "res_id": logged.id,
                    "mimetype": "application/zip",
                }
            )
        attachments = self.env["ir.attachment"].create(attachment_vals)
        logged._message_log(
            body=_(
                "%(count)s letters to print.",
                count=len(interactions),
            ),
            attachment_ids=attachments.ids,
        )
        self._log_update_column(
            interactions,
            "attachment_id",
            dict.fromkeys(interactions.ids, attachments[0].id),
        )
        interactions._set_delivery_status("delivered")

    # -------------------------------------------------------------------------
    # DELIVERY HELPERS
    # -------------------------------------------------------------------------
    def _log_blacklisted(self, interactions):
        emails = {email_normalize(i.partner_id.email or "") for i in interactions} - {
            False
        }
        if not emails:
            return interactions.browse()
        blacklist = set(
            self.env["mail.blacklist"]
            .sudo()
            .search([("email", "in", list(emails))])
            .mapped("email")
        )
        return interactions.filtered(
            lambda i: email_normalize(i.partner_id.email or "") in blacklist
        )

    def _log_update_column(self, interactions, column, values):
        """Set ``column`` of many interactions to per-record values, in SQL."""
        if not values:
            return
        self.env.flush_all()
        rows = SQL(", ").join(
            SQL("(%s, %s)", key, value) for key, value in values.items()
        )
        self.env.execute_query(
            SQL(
                """
                UPDATE crm_interaction i
                   SET %(column)s = v.value
                  FROM (VALUES %(rows)s) AS v(id, value)
                 WHERE i.id = v.id
                """,
                column=SQL.identifier(column),
                rows=rows,
            )
        )
        interactions.invalidate_recordset([column])

    def _log_documents(self, template, lang):
        """Word documents to merge for a line: [{key, name, data, trusted}].

        ``trusted`` tells whether the last writer of the record holding the
        document (language row, attachment) may use any expression.

        The template's row for the language, else its default-language row,
        else the segment's .docx attachments.
        """
        cache = self.env.context.get("crm_log_document_cache")
        key = (self.id, template.id, lang)
        if cache is not None and key in cache:
            return cache[key]
        rows = template.language_ids
        candidates = (
            rows.filtered(lambda r: r.lang == lang)[:1]
            | rows.filtered(lambda r: r.lang == template.lang)[:1]
        )
        documents = []
        for row in candidates:
            if row.word_document:
                documents = [
                    {
                        "key": ("row", row.id),
                        "name": row.word_document_name or f"{template.code}.docx",
                        "data": row.with_context(bin_size=False).word_document,
                        "trusted": self._log_is_trusted(row.write_uid),
                    }
                ]
                break
        if not documents:
            documents = [
                {
                    "key": ("attachment", attachment.id),
                    "name": attachment.name,
                    "data": attachment.raw,
                    # whoever last wrote the attachment wrote its content
                    "trusted": self._log_is_trusted(attachment.write_uid),
                }
                for attachment in self.attachment_ids
                if _is_docx_name(attachment.name)
            ]
        for row_document in documents:
            if row_document["key"][0] == "row":
                row_document["data"] = base64.b64decode(row_document["data"])
        if cache is not None:
            cache[key] = documents
        return documents

    def _log_render_context(self, salesperson):
        return {
            "segment": self,
            "campaign": self.campaign_id,
            "company": self.company_id,
            "salesperson": salesperson,
        }

    def _log_render_expressions(
        self, expressions, partners, salesperson, lang, trusted, where
    ):
        """Render each expression for all ``partners`` in one call per expression.

        A trusted text renders like a ``mail.template``; any other text only
        renders Odoo's simple field paths, without evaluating anything, even
        when the logging user is a template editor.

        :return: {expression: {partner_id: text}}
        """
        result = {}
        if not trusted:
            renderer = self.env["mail.render.mixin"].with_context(lang=lang)
            QWeb = self.env["ir.qweb"]
            for expression in expressions:
                if not QWeb._is_expression_allowed(expression, "res.partner"):
                    self._log_raise_untrusted(expression, where)
                result[expression] = renderer._render_template_inline_template_regex(
                    "{{ " + expression + " }}", "res.partner", partners.ids
                )
            return result
        renderer = self.env["mail.template"].with_context(lang=lang)
        add_context = self._log_render_context(salesperson)
        for expression in expressions:
            result[expression] = renderer._render_template(
                "{{ " + expression + " }}",
                "res.partner",
                partners.ids,
                engine="inline_template",
                add_context=add_context,
            )
        return result

    def _log_subject_source(self, template, lang, line_subject, texts_trusted):
        """The subject text of a line, whether it is trusted, and where it is.

        The template's row for the contact's own language wins (subjects are
        picked per language), then the line's subject (else the segment's),
        then the template's default-language row.

        :param bool texts_trusted: whether the segment's and lines' subjects
            were last written by template editors
        :return: (text, trusted, where)
        """
        rows = template.language_ids
        own = rows.filtered(lambda r: r.lang == lang)[:1]
        if own.subject:
            return (
                own.subject,
                self._log_is_trusted(own.write_uid),
                template.display_name,
            )
        if line_subject:
            return line_subject, bool(texts_trusted), self.display_name
        default = rows.filtered(lambda r: r.lang == template.lang)[:1]
        return (
            default.subject or False,
            self._log_is_trusted(default.write_uid),
            template.display_name,
        )

    def _log_render_rows(self, interactions, field, escape):
        """Render a field of the language rows (bodies) per interaction.

        :return: {interaction_id: text}
        """
        sources = {}
        for interaction in interactions:
            row = interaction.template_id._get_language(interaction.lang)
            if row and row[field]:
                sources[interaction.id] = (
                    row[field],
                    self._log_is_trusted(row.write_uid),
                    interaction.template_id.display_name,
                )
        return self._log_render_texts(interactions, sources, escape)

    def _log_render_texts(self, interactions, sources, escape):
        """Render texts with ``{{ ... }}`` placeholders for each interaction.

        Each text is parsed once; each expression is rendered for all contacts
        of a (text, trust, salesperson, language) group in one call; values
        are HTML-escaped in HTML bodies.

        :param dict sources: {interaction_id: (text, trusted, where)}
        :return: {interaction_id: text}
        """
        groups = {}
        for interaction in interactions:
            if interaction.id not in sources:
                continue
            text, trusted, where = sources[interaction.id]
            key = (str(text), trusted, where, interaction.user_id, interaction.lang)
            groups.setdefault(key, []).append(interaction)
        result = {}
        for (text, trusted, where, salesperson, lang), members in groups.items():
            parsed = parse_inline_template(text)
            expressions = {expr for __, expr, __ in parsed if expr}
            partners = self.env["res.partner"].concat(*(i.partner_id for i in members))
            values = self._log_render_expressions(
                expressions, partners, salesperson, lang, trusted, where
            )
            for interaction in members:
                parts = []
                for string, expression, default in parsed:
                    parts.append(string)
                    if expression:
                        value = values[expression].get(interaction.partner_id.id)
                        value = value or default or ""
                        parts.append(html_escape(value) if escape else value)
                result[interaction.id] = "".join(str(part) for part in parts)
        return result

    def _log_merge_documents(self, interactions):
        """Merge the Word documents for each interaction's contact.

        :return: {interaction_id: [(file name, merged .docx bytes)]}
        """
        cache = {}
        segment = self.with_context(crm_log_document_cache=cache)
        groups = {}
        for interaction in interactions:
            documents = segment._log_documents(
                interaction.template_id, interaction.lang
            )
            for document in documents:
                group_key = (document["key"], interaction.user_id, interaction.lang)
                groups.setdefault(group_key, (document, []))[1].append(interaction)
        result = {}
        parsed = {}
        for (doc_key, salesperson, lang), (document, members) in groups.items():
            if doc_key not in parsed:
                parsed[doc_key] = docx_merge.DocxTemplate(document["data"])
            template = parsed[doc_key]
            placeholders = template.placeholders()
            partners = self.env["res.partner"].concat(*(i.partner_id for i in members))
            values = self._log_render_expressions(
                placeholders["expressions"],
                partners,
                salesperson,
                lang,
                document["trusted"],
                document["name"],
            )
            fields_by_interaction = self._get_merge_field_values(
                self.env["crm.interaction"].concat(*members)
            )
            stem = document["name"].rsplit(".", 1)[0]
            for interaction in members:
                expressions = {
                    expression: by_partner.get(interaction.partner_id.id, "")
                    for expression, by_partner in values.items()
                }
                data = template.merge(
                    expressions, fields_by_interaction[interaction.id]
                )
                name = _safe_filename(f"{stem} - {interaction.partner_id.name}.docx")
                result.setdefault(interaction.id, []).append((name, data))
        return result

    def _get_merge_field_values(self, interactions):
        """Values of the classic Word merge fields for each interaction.

        :return: {interaction_id: {field name: text}}
        """
        today = fields.Date.context_today(self)
        company = self.company_id
        company_partner = company.partner_id
        company_address = ", ".join(
            part
            for part in company_partner._display_address(without_company=True).split(
                "\n"
            )
            if part.strip()
        )
        bank = company_partner.sudo().bank_ids[:1].acc_number or ""
        campaign = self.campaign_id
        result = {}
        for interaction in interactions:
            partner = interaction.partner_id
            lang = interaction.lang or partner.lang or self.env.lang
            env = self.with_context(lang=lang).env
            salesperson = interaction.user_id or self.user_id
            title = partner.title.with_context(lang=lang)
            title_text = title.shortcut or title.name
            if title_text:
                salutation = env._(
                    "Dear %(title)s %(name)s", title=title_text, name=partner.name
                )
            else:
                salutation = env._("Dear %(name)s", name=partner.name)
            first_name = (partner.name or "").split(" ")[0]
            company_name = (
                partner.commercial_company_name
                if partner.commercial_partner_id != partner
                else ""
            ) or ""
            result[interaction.id] = {
                "ContactNo": partner.ref or str(partner.id),
                "ContactName": partner.name or "",
                "CompanyName": company_name,
                "Name2": partner.company_name or "",
                "Address": partner.street or "",
                "Address2": partner.street2 or "",
                "PostCode": partner.zip or "",
                "City": partner.city or "",
                "County": partner.state_id.name or "",
                "Country": partner.country_id.with_context(lang=lang).name or "",
                "JobTitle": partner.function or "",
                "Phone": partner.phone or "",
                "Mobile": partner.mobile or "",
                "Email": partner.email or "",
                "VATNo": partner.vat or "",
                "HomePage": partner.website or "",
                "Salutation": salutation,
                "InformalSalutation": env._("Dear %(name)s", name=first_name),
                "SalespersonCode": salesperson.partner_id.ref
                or salesperson.login
                or "",
                "SalespersonName": salesperson.name or "",
                "SalespersonJobTitle": salesperson.partner_id.function or "",
                "SalespersonPhone": salesperson.phone or "",
                "SalespersonEmail": salesperson.email or "",
                "DocumentDate": format_date(env, today, lang_code=lang),
                "CampaignNo": campaign.code or "",
                "CampaignDescription": campaign.name or "",
                "SegmentNo": self.name or "",
                "SegmentDescription": self.description or "",
                "Description": interaction.description or "",
                "Subject": interaction.subject or "",
                "CompanyOwnName": company.name or "",
                "CompanyOwnAddress": company_address,
                "CompanyOwnVAT": company.vat or "",
                "CompanyOwnRegistrationNo": company.company_registry or "",
                "CompanyOwnPhone": company.phone or "",
                "CompanyOwnBank": bank,
            }
        return result
