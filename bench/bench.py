# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Benchmark of crm_campaign_segment on many contacts (``make bench``).

A development tool, not part of the addon: Odoo never imports this folder. It
opens the registry of a database where the addon is installed, creates contacts
set-based and times each suite against its anchor in the same run::

    python3 bench/bench.py --config odoo.conf --database DB [--contacts N]

Suites: ``steps`` (the segment builder), ``opportunities`` (opportunities
from a segment of at most 10,000 lines), ``docx`` (the Word merge), ``logging``
(logging a segment against Odoo's Email Marketing), ``logging_memory`` (peak
memory of a large logging job), ``fanout`` (one logging job over one, then
two queue_job worker processes). Everything runs in one transaction per suite,
rolled back at the end unless ``--keep``.
"""

import argparse
import importlib
import sys
import time

# suite name: module of this folder with a ``run(env, args)`` function, imported
# once the configuration has put the addon on Odoo's addons path
SUITES = {
    "steps": "bench_steps",
    "opportunities": "bench_opportunities",
    "docx": "bench_docx",
    "logging": "bench_logging",
    "logging_memory": "bench_logging:run_memory",
    "fanout": "bench_fanout",
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="Odoo configuration file")
    parser.add_argument("--database", required=True)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(SUITES),
        help="run only this suite (repeatable); default: all",
    )
    parser.add_argument(
        "--keep", action="store_true", help="commit the contacts and the segment"
    )
    args = parser.parse_args(argv)

    import odoo
    from odoo import SUPERUSER_ID, api

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = odoo.modules.registry.Registry(args.database)
    for name in args.only or list(SUITES):
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            admin = env.ref("base.user_admin")
            env = api.Environment(
                cr,
                admin.id,
                {
                    "lang": "en_US",
                    "tracking_disable": True,
                    "allowed_company_ids": admin.company_id.ids,
                },
            )
            start = time.perf_counter()
            module, __, function = SUITES[name].partition(":")
            getattr(importlib.import_module(module), function or "run")(env, args)
            sys.stdout.write(f"suite {name}: {time.perf_counter() - start:.1f} s\n")
            if args.keep:
                cr.commit()
            else:
                cr.rollback()
    return 0


if __name__ == "__main__":
    sys.exit(main())
