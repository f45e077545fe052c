#!/usr/bin/env bash
# make.sh regenerates the spreadsheet fixtures from book.fods and
# names.fods with LibreOffice Calc, headless (Debian's
# libreoffice-calc-nogui, LibreOffice 7.4). Run it from this folder; the
# files it writes are committed, LibreOffice is not needed by the tests.
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
lo() { soffice --headless --norestore --convert-to "$1" --outdir "$out" "$2" >/dev/null 2>&1; }

# The workbook: a hidden sheet "Old" first, then "Contacts" with a title
# row, zip and phone numbers formatted 00000 and 00000 000000, the same as
# text cells, dd/mm/yyyy dates, a 12-digit id, a hidden row and =NA().
lo xlsx book.fods && cp "$out/book.xlsx" book.xlsx
lo ods book.fods && cp "$out/book.ods" book.ods
# LibreOffice 7.4 headless writes its first sheet visible in XLSX whatever
# the sheet says (the active tab must be visible, and without a window it
# is the first). hidden-first.xlsx is book.xlsx with the first sheet
# marked hidden and the second made active, as Excel writes such a book.
python3 - book.xlsx hidden-first.xlsx <<'PY'
import sys, zipfile
src, dst = sys.argv[1:3]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename == "xl/workbook.xml":
            data = data.replace(b'name="Old" sheetId="1" state="visible"', b'name="Old" sheetId="1" state="hidden"', 1)
            data = data.replace(b'activeTab="0"', b'activeTab="1"', 1)
        zout.writestr(item, data)
PY
# The Contacts sheet as CSV UTF-8 (token 9: cells as shown; 12: the sheet): title row,
# zeros kept.
lo 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,2' book.fods && cp "$out/book-Contacts.csv" title.csv

# names.fods holds Łukasz Żółkiewski, 王芳 and José Núñez.
# Windows-1252 ("CSV" of Excel on Windows): Ł, Ż, ł, 王, 芳 become "?".
lo 'csv:Text - txt - csv (StarCalc):44,34,1,1' names.fods && cp "$out/names.csv" names-1252.csv
# UTF-16 ("Unicode text": tab-separated, with a byte order mark), and the
# same without its byte order mark.
lo 'csv:Text - txt - csv (StarCalc):9,34,65535,1' names.fods && cp "$out/names.csv" names-utf16.txt
tail -c +3 names-utf16.txt > names-utf16-nobom.txt
# Semicolons, with Excel's "sep=;" first line added (LibreOffice does not
# write one; Excel does in some locales).
lo 'csv:Text - txt - csv (StarCalc):59,34,76,1' names.fods
{ printf 'sep=;\r\n'; cat "$out/names.csv"; } > names-sep.csv
# Excel for Mac's CSV ends lines with a bare CR.
lo 'csv:Text - txt - csv (StarCalc):44,34,76,1' names.fods
tr '\n' '\r' < "$out/names.csv" > names-mac.csv
