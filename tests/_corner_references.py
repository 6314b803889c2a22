"""Write ``tests/data/corner_references.json``: mpmath L(c, f; θ) at every family's prior corners.

The corner test (``test_family_contract.py``) compares every family at the corners of its
prior box and 9 count pairs against mpmath: up to 144 quadratures per family, about 70 s of
CPU, the largest single cost of the suite. As SciPy does for its special functions
(``scipy/special/tests/data``), the reference values are computed once by this script and
stored; the test reads them, and a second test recomputes one corner of every family live and
must find the stored numbers, so a stale table fails. Regenerate after changing a family, a
prior, the corners or the counts::

    uv run python tests/_corner_references.py
"""

from __future__ import annotations

import json

from _mp_oracles import reference_log_moment
from monkeypower.families import FAMILIES
from test_family_contract import CORNER_REFERENCES, EDGE_COUNTS, corner_params


def main() -> None:
    table = {"edge_counts": EDGE_COUNTS, "families": {
        name: [{"theta": theta,
                "log_moment": [reference_log_moment(name, c, f, theta) for c, f in EDGE_COUNTS]}
               for theta in corner_params(name)]
        for name in sorted(FAMILIES)}}
    CORNER_REFERENCES.parent.mkdir(exist_ok=True)
    CORNER_REFERENCES.write_text(json.dumps(table, indent=1) + "\n")
    print(f"wrote {CORNER_REFERENCES}")


if __name__ == "__main__":
    main()
