# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from . import crm_interaction
from . import mail_mail
from . import mail_message
