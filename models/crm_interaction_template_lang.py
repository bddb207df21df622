# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The language rows of interaction templates: subject, bodies and Word
document per language.

Who may save dynamic placeholders follows ``mail.template``
(``mail.render.mixin``, ``_check_access_right_dynamic_template``), checked
when a row is saved: only a *Mail Template Editor* may save a subject, body or
Word document with expressions beyond simple field paths; rendering then
trusts the stored text, whoever logs the segment.  The Word document is an
attachment, which can be rewritten apart from its row: it is trusted only
when an editor (or the superuser) wrote it last (``_word_document_trust``).
"""

import base64
import binascii
import logging
import re

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..tools import docx_merge
from .crm_interaction_template import _lang_get

_logger = logging.getLogger(__name__)

# an image pasted into an HTML body: <img src="data:image/png;base64,...">
INLINE_IMAGE = re.compile(
    r"""(?P<before><img\b[^>]*?\bsrc=["'])"""
    r"data:image/[\w.+-]+;base64,(?P<data>[A-Za-z0-9+/=\s]+)"
    r"""(?P<after>["'])""",
    re.IGNORECASE,
)


class CrmInteractionTemplateLang(models.Model):
    _name = "crm.interaction.template.lang"
    _description = "Interaction Template Language"
    _order = "template_id, lang"

    template_id = fields.Many2one(
        "crm.interaction.template", required=True, ondelete="cascade", index=True
    )
    lang = fields.Selection(_lang_get, string="Language", required=True)
    subject = fields.Char()
    body_html = fields.Html(
        string="E-mail Body",
        sanitize="email_outgoing",
        help="Body of the e-mail. Placeholders such as {{ object.name }} are "
        "filled in for each contact.",
    )
    letter_body = fields.Html(
        sanitize="email_outgoing",
        help="Body of the printed letter. Placeholders such as "
        "{{ object.name }} are filled in for each contact.",
    )
    word_document = fields.Binary(attachment=True)
    word_document_name = fields.Char()

    _sql_constraints = [
        (
            "template_lang_unique",
            "UNIQUE(template_id, lang)",
            "An interaction template has at most one row per language.",
        ),
    ]

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------
    @api.constrains("word_document", "word_document_name")
    def _check_word_document(self):
        for row in self:
            name = row.word_document_name or ""
            if row.word_document and name and not name.lower().endswith(".docx"):
                raise ValidationError(
                    self.env._(
                        "The Word document of %(template)s (%(lang)s) must be a "
                        ".docx file, not %(name)s.",
                        template=row.template_id.display_name,
                        lang=row.lang,
                        name=name,
                    )
                )

    # -------------------------------------------------------------------------
    # ORM overrides
    # -------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        # every row is checked before any pasted image becomes an attachment
        for vals in vals_list:
            self._check_access_right_dynamic_template(vals)
        for vals in vals_list:
            self._inline_images_to_urls(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_access_right_dynamic_template(vals)
        self._inline_images_to_urls(vals)
        return super().write(vals)

    # -------------------------------------------------------------------------
    # DYNAMIC PLACEHOLDERS
    # -------------------------------------------------------------------------
    @api.model
    def _check_access_right_dynamic_template(self, vals):
        """Refuse placeholders beyond simple field paths from non-editors,
        before anything is saved.  Values saved earlier were checked then."""
        render = self.env["crm.interaction.render"]
        if render._may_save_dynamic():
            return
        unsafe = render._unsafe_expressions(self._dynamic_expressions(vals))
        if unsafe:
            raise AccessError(
                self.env._(
                    "Only members of %(group)s may save placeholders such as "
                    "{{ %(expression)s }} in interaction templates; others may "
                    "use simple fields such as {{ object.name }}.",
                    group=self.env.ref("mail.group_mail_template_editor")
                    .sudo()
                    .full_name,
                    expression=unsafe[0],
                )
            )

    def _word_document_attachment(self):
        """The attachment that holds the row's Word document."""
        self.ensure_one()
        return (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_field", "=", "word_document"),
                    ("res_id", "=", self.id),
                ],
                limit=1,
            )
        )

    def _word_document_trust(self):
        """Whether the row's Word document renders like a ``mail.template``,
        and how a refusal names it: ``(trusted, where)``.

        Saving the row checks the document's placeholders
        (``_check_access_right_dynamic_template``), but the document is an
        attachment, which anyone who may change the row may also rewrite
        directly.  So the check is made again when it renders: the document
        is trusted only when whoever last wrote the attachment may save
        dynamic placeholders (the superuser or a *Mail Template Editor*);
        otherwise only simple field paths render.
        """
        self.ensure_one()
        author = self._word_document_attachment().write_uid
        if author and (
            author._is_superuser()
            or author.has_group("mail.group_mail_template_editor")
        ):
            return True, self.template_id.display_name
        return False, self.env._(
            "the Word document of %(template)s (%(lang)s), last changed by %(user)s",
            template=self.template_id.display_name,
            lang=self.lang,
            user=author.name,
        )

    @api.model
    def _dynamic_expressions(self, vals):
        """The placeholders of the texts and Word document in ``vals``."""
        render = self.env["crm.interaction.render"]
        expressions = []
        for name in ("subject", "body_html", "letter_body"):
            if vals.get(name):
                expressions += render._text_expressions(vals[name])
        document = vals.get("word_document")
        if document:
            try:
                data = base64.b64decode(document)
                expressions += docx_merge.find_placeholders(data)["expressions"]
            except (binascii.Error, ValueError, docx_merge.DocxMergeError) as error:
                # not a readable document: logging refuses it with the reason
                _logger.debug("Word document not checked for placeholders: %s", error)
        return expressions

    # -------------------------------------------------------------------------
    # PASTED IMAGES
    # -------------------------------------------------------------------------
    @api.model
    def _inline_images_to_urls(self, vals):
        """Images pasted into a body (``data:`` URLs) become attachments, as
        in Odoo's Email Marketing: each e-mail and letter then links the
        same image instead of carrying it, and no message of a logged segment
        gets an attachment per image."""
        for fname in ("body_html", "letter_body"):
            html = vals.get(fname)
            if not html or "data:image/" not in html:
                continue
            converted = INLINE_IMAGE.sub(self._inline_image_url({}), str(html))
            vals[fname] = Markup(converted) if isinstance(html, Markup) else converted

    @api.model
    def _inline_image_url(self, images):
        """A replacement function for ``INLINE_IMAGE``: each distinct image
        becomes one attachment, linked with its access token.

        :param dict images: {base64 data: URL}, shared by the body's images
        """

        def to_url(match):
            data = re.sub(r"\s+", "", match.group("data"))
            if data not in images:
                attachment = (
                    self.env["ir.attachment"]
                    .sudo()
                    .create(
                        {
                            "name": f"image{len(images) + 1}",
                            "datas": data,
                            "res_model": self._name,
                        }
                    )
                )
                attachment.generate_access_token()
                images[data] = (
                    f"/web/image/{attachment.id}?access_token={attachment.access_token}"
                )
            return match.group("before") + images[data] + match.group("after")

        return to_url
