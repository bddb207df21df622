# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models
from odoo.exceptions import AccessError

from ..tools.markers import as_engine, is_engine


class CrmEngineMixin(models.AbstractModel):
    """Fields only the addon's engine writes: what was logged, delivery,
    job state, canceling (which must cascade).

    The engine marks its own changes with a Python object in the context
    (``tools.markers``, as OCA ``queue_job`` has its edit sentinel): no RPC
    client, import or automated action can send it, superuser or not.  A
    model lists its protected fields in ``_engine_fields``, the values a new
    record may still be given (what its form sends) in
    ``_engine_field_defaults``, and words its refusal in
    ``_engine_fields_error``.
    """

    _name = "crm.engine.mixin"
    _description = "Fields Written by the Engine Only"

    _engine_fields = frozenset()
    _engine_field_defaults = {}

    @api.model_create_multi
    def create(self, vals_list):
        self._check_engine_vals_list(vals_list)
        return super().create(vals_list)

    @api.model
    def _check_engine_vals_list(self, vals_list):
        """Refuse new records that set the engine's fields."""
        for vals in vals_list:
            self._check_engine_fields(
                {
                    fname
                    for fname in self._engine_fields & set(vals)
                    if vals[fname]
                    and vals[fname] != self._engine_field_defaults.get(fname)
                }
            )

    def write(self, vals):
        self._check_engine_fields(self._engine_fields & set(vals))
        return super().write(vals)

    def _check_engine_fields(self, fnames):
        """Refuse the engine's fields ``fnames`` to anyone but the engine."""
        if fnames and not is_engine(self.env):
            raise AccessError(self._engine_fields_error(fnames))

    def _engine_fields_error(self, fnames):
        """The message refusing ``fnames`` (extension point)."""
        return self.env._(
            "%(record)s: %(fields)s can only be set by the campaign engine.",
            record=self[:1].display_name or self._description,
            fields=self._engine_field_labels(fnames),
        )

    def _engine_field_labels(self, fnames):
        return ", ".join(
            self._fields[fname].get_description(self.env)["string"]
            for fname in sorted(fnames)
        )

    def _as_engine(self):
        """These records as the engine writes them: superuser, marked."""
        return as_engine(self.sudo())
