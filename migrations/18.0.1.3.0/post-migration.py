# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""After the update, the consent log is kept per company: rows written before
take the company of their topic, else of their contact (rows of neither stay
shared, as blacklisted addresses are)."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE crm_consent_log l
           SET company_id = COALESCE(g.company_id, p.company_id)
          FROM crm_consent_log o
          LEFT JOIN crm_mailing_group g ON g.id = o.mailing_group_id
          LEFT JOIN res_partner p ON p.id = o.partner_id
         WHERE o.id = l.id
           AND l.company_id IS NULL
           AND COALESCE(g.company_id, p.company_id) IS NOT NULL
        """
    )
