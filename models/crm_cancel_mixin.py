# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models
from odoo.exceptions import UserError


class CrmCancelMixin(models.AbstractModel):
    """Cancel and Restore of what logging wrote: logged segments, campaign
    entries, interactions.

    A canceled record stays (the interaction log is kept) but counts in no
    statistics; restoring it counts it again.  The actions check the state
    and the user's rights, then set the engine field ``canceled`` (see
    ``crm.engine.mixin``) with ``_set_canceled``.  A model declares its own
    ``canceled`` field and words its messages (``_cancel_state_error``);
    its hooks add who may cancel (``_check_cancel_access``), when a record
    cannot be restored (``_check_restorable``) and what canceling does to
    what the record logged (``_cancel_cascade``).
    """

    _name = "crm.cancel.mixin"
    _inherit = ["crm.engine.mixin"]
    _description = "Cancel and Restore"

    def action_cancel(self):
        """Cancel these records and what they logged."""
        self._check_cancel_access()
        canceled = self.filtered("canceled")
        if canceled:
            raise UserError(canceled[:1]._cancel_state_error(True))
        self.check_access("write")
        self._set_canceled(True)
        return True

    def action_restore(self):
        """Restore these canceled records and what they logged."""
        self._check_cancel_access()
        active = self.filtered(lambda record: not record.canceled)
        if active:
            raise UserError(active[:1]._cancel_state_error(False))
        self._check_restorable()
        self.check_access("write")
        self._set_canceled(False)
        return True

    def _check_cancel_access(self):
        """Refuse Cancel and Restore to users who may not (hook)."""

    def _cancel_state_error(self, cancel):
        """The message refusing to cancel (``cancel``) this canceled record,
        or to restore it when it is not canceled (extension point)."""
        if cancel:
            return self.env._(
                "%(record)s is canceled already.", record=self.display_name
            )
        return self.env._(
            "%(record)s is not canceled: there is nothing to restore.",
            record=self.display_name,
        )

    def _check_restorable(self):
        """Refuse to restore records while what they belong to is canceled
        (hook)."""

    def _set_canceled(self, canceled):
        """Cancel or restore these records, once the caller checked the
        user's rights: the engine field, then ``_cancel_cascade``."""
        self._as_engine().write({"canceled": canceled})
        self._cancel_cascade(canceled)
        return True

    def _cancel_cascade(self, canceled):
        """Cancel or restore what these records logged (hook)."""
