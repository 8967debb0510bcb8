"""an XLSX of 300 KB whose sheet expands to 300 MB: refused from the zip directory, before it is inflated"""

import pathlib
import zipfile


def build(root: pathlib.Path) -> None:
    with zipfile.ZipFile(root / "export.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b"<worksheet><sheetData>")
            for _ in range(300):
                sheet.write(b" " * (1 << 20))
            sheet.write(b"</sheetData></worksheet>")
