"""Reading an .xlsx back in the tests, with the standard library only: a workbook is a zip of XML
parts (ECMA-376). Enough for what XlsxWriter writes: shared strings, numbers, booleans."""
from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _column(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference)[0]
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1


def read_xlsx(content: bytes) -> dict[str, list[list]]:
    """{sheet name: rows}, each row a list of values (None for an empty cell), in tab order.
    Fails on a formula: the workbooks write every text as text."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        strings = []
        if "xl/sharedStrings.xml" in book.namelist():
            for item in ElementTree.fromstring(book.read("xl/sharedStrings.xml")).findall("m:si", NS):
                strings.append("".join(t.text or "" for t in item.iter(f"{{{NS['m']}}}t")))
        targets = {rel.get("Id"): rel.get("Target") for rel in
                   ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels")).iter(f"{RELATIONSHIPS}Relationship")}
        sheets = {}
        for sheet in ElementTree.fromstring(book.read("xl/workbook.xml")).find("m:sheets", NS):
            part = ElementTree.fromstring(book.read("xl/" + targets[sheet.get(f"{{{NS['r']}}}id")]))
            rows: list[list] = []
            for row in part.iter(f"{{{NS['m']}}}row"):
                number = int(row.get("r")) - 1
                while len(rows) <= number:
                    rows.append([])
                for cell in row.findall("m:c", NS):
                    assert cell.find("m:f", NS) is None, "a formula in the workbook"
                    value = cell.find("m:v", NS)
                    if value is None:
                        continue
                    kind = cell.get("t")
                    text = value.text
                    parsed = strings[int(text)] if kind == "s" else (text == "1") if kind == "b" else float(text)
                    column = _column(cell.get("r"))
                    rows[number].extend([None] * (column + 1 - len(rows[number])))
                    rows[number][column] = parsed
            sheets[sheet.get("name")] = rows
        return sheets
