# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Who may save dynamic placeholders in interaction templates.

The rule of ``mail.template`` (``mail.render.mixin``,
``_check_access_right_dynamic_template``), checked when a language row is
saved: only a *Mail Template Editor* may save a subject, body or Word document
with expressions beyond simple field paths; rendering then trusts the stored
text, whoever logs the segment.
"""

import base64
import binascii
import logging

from odoo import api, models
from odoo.exceptions import AccessError

from ..tools import docx_merge

_logger = logging.getLogger(__name__)


class CrmInteractionTemplateLang(models.Model):
    _inherit = "crm.interaction.template.lang"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_access_right_dynamic_template(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_access_right_dynamic_template(vals)
        return super().write(vals)

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
