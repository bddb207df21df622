# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models
from odoo.tools import SQL


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(
        self, success_pids, failure_reason=False, failure_type=None
    ):
        """Let the interactions follow the state of their e-mails.

        The mail engine calls this right after each sending attempt, with the
        mail's final state written (``sent`` or ``exception``) and before an
        auto-deleted mail disappears, so this is the one place where both
        outcomes are known.  Bounces arrive later by inbound mail and are
        handled by ``crm.interaction._message_receive_bounce``.
        """
        interactions = (
            self.env["crm.interaction"].sudo().search([("mail_id", "in", self.ids)])
        )
        # a canceled interaction is never marked delivered
        interactions = interactions.filtered(lambda i: not i.canceled)
        if interactions:
            by_mail = interactions.grouped("mail_id")
            delivered = interactions.browse()
            failed_by_reason = {}
            for mail in self:
                records = by_mail.get(mail)
                if not records:
                    continue
                if mail.state == "sent":
                    delivered |= records
                    continue
                reason = (
                    mail.failure_reason
                    or failure_reason
                    or self.env._(
                        "The e-mail could not be sent (%(type)s).",
                        type=mail.failure_type or failure_type or "unknown",
                    )
                )
                failed_by_reason[reason] = (
                    failed_by_reason.get(reason, interactions.browse()) | records
                )
            delivered._set_delivery_status("delivered")
            for reason, records in failed_by_reason.items():
                records._set_delivery_status("error", reason)
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )

    # -------------------------------------------------------------------------
    # SET-BASED CREATION
    # -------------------------------------------------------------------------
    @api.model
    def _create_bulk(self, vals_list, sanitized=(), ids=None):
        """Create e-mails with their messages in a fixed number of statements.

        Writes the same rows as ``create`` given the same values: the defaults
        of both models are computed once, every value goes through its field's
        conversion (HTML sanitizing included), many2many values are written
        to their relation tables.  The caller gives what ``mail.message``'s
        create would compute per record (``message_id``, ``reply_to``,
        ``email_from``, ``record_name``), computed once per batch.  Many2many
        values are lists of ids.  Attachments must be readable by the caller:
        they are not checked again.

        :param sanitized: names of the HTML fields whose values the caller
            sanitized as the field would (written as they are)
        :param ids: the ids of the new e-mails, taken by the caller from
            their sequence (``nextval``), in the order of ``vals_list``

        :return: the new ``mail.mail`` records, in the order of ``vals_list``
        """
        if not vals_list:
            return self.browse()
        self.env.flush_all()
        mail_sudo = self.sudo()
        message_sudo = self.env["mail.message"].sudo()
        # as create does through _inherits: the message's own defaults, then
        # the mail's (its defaults of inherited fields included)
        defaults = message_sudo.default_get(
            [name for name, field in message_sudo._fields.items() if field.store]
        )
        defaults.update(
            mail_sudo.default_get(
                [name for name, field in self._fields.items() if field.store]
            )
        )
        message_rows, mail_rows = [], []
        for vals in vals_list:
            vals = {**defaults, **vals}
            if vals.get("mail_message_id"):
                raise ValueError("_create_bulk creates the messages itself")
            message_vals, mail_vals = {}, {}
            for name, value in vals.items():
                field = self._fields[name]
                target = mail_vals
                if field.inherited:
                    target = message_vals
                target[name] = value
            message_rows.append(message_vals)
            mail_rows.append(mail_vals)
        message_ids = _insert_rows(message_sudo, message_rows, sanitized)
        for row, message_id in zip(mail_rows, message_ids, strict=True):
            row["mail_message_id"] = message_id
        if ids:
            for row, mail_id in zip(mail_rows, ids, strict=True):
                row["id"] = mail_id
        mail_ids = _insert_rows(mail_sudo, mail_rows, sanitized)
        return self.browse(mail_ids)


def _insert_rows(model, rows, sanitized=()):
    """One INSERT for the columns, one per many2many relation."""
    fields_ = model._fields
    names = sorted({name for row in rows for name in row})
    columns = [name for name in names if fields_[name].column_type]
    relations = [name for name in names if fields_[name].type == "many2many"]
    # one array per column, unnested: one parameter per column, not per value
    arrays = [
        [_column_value(fields_[name], row, model, sanitized) for row in rows]
        for name in columns
    ]
    types = [fields_[name].column_type[0] for name in columns]
    ids = [
        row[0]
        for row in model.env.execute_query(
            SQL(
                """
                INSERT INTO %s (%s, create_uid, create_date, write_uid, write_date)
                SELECT *, %s, %s, %s, %s FROM unnest(%s)
                RETURNING id
                """,
                SQL.identifier(model._table),
                SQL(", ").join(SQL.identifier(name) for name in columns),
                model.env.uid,
                model.env.cr.now(),
                model.env.uid,
                model.env.cr.now(),
                SQL(", ").join(
                    SQL("%s::%s[]", array, SQL(column_type))
                    for array, column_type in zip(arrays, types, strict=True)
                ),
            )
        )
    ]
    for name in relations:
        field = fields_[name]
        pairs = [
            (record_id, target)
            for record_id, row in zip(ids, rows, strict=True)
            for target in row.get(name) or ()
        ]
        if pairs:
            model.env.execute_query(
                SQL(
                    """
                    INSERT INTO %s (%s, %s)
                    SELECT * FROM unnest(%s::int4[], %s::int4[])
                    ON CONFLICT DO NOTHING
                    """,
                    SQL.identifier(field.relation),
                    SQL.identifier(field.column1),
                    SQL.identifier(field.column2),
                    [pair[0] for pair in pairs],
                    [pair[1] for pair in pairs],
                )
            )
    return ids


def _column_value(field, row, model, sanitized):
    value = row.get(field.name)
    if field.name in sanitized and value:
        return str(value)
    return field.convert_to_column_insert(value, model, row)
