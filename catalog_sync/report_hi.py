"""The validation report in the reader's language: each English message pattern and its gettext msgid.

The catalogue core reports problems in English. A reader of another language gets the same report with every
known message translated by the console's gettext catalogue (adapter/web/translations; the msgids below are
extracted into it): the regular expression finds the message and its parts (column names, values and codes stay
as written in the spreadsheet), the catalogue gives the sentence. An unknown or untranslated message stays in
English rather than being guessed at. (The module keeps its name from when the only translation was Hindi.)
"""

from __future__ import annotations

import re
from collections.abc import Callable


def N_(message: str) -> str:
    """Mark a msgid for extraction (gettext's usual name for it); the translation happens in `localise`."""
    return message


PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), msgid) for pattern, msgid in (
        (r"^(?P<c>\w+) must be a number like (?P<a>[\d.]+) or (?P<b>[\d.]+)$",
         N_("%(c)s must be a number like %(a)s or %(b)s")),
        (r"^(?P<c>\w+) is required and is empty$", N_("%(c)s is required and is empty")),
        (r"^(?P<c>\w+) is required for (?P<cat>.+) items$", N_("%(c)s is required for %(cat)s items")),
        (r"^mrp \((?P<m>[\d.]+)\) is lower than price \((?P<p>[\d.]+)\)$",
         N_("mrp (%(m)s) is lower than price (%(p)s)")),
        (r"^category '(?P<v>.*)' is not an ONDC category; use one of: (?P<rest>.*)$",
         N_("category '%(v)s' is not an ONDC category; use one of: %(rest)s")),
        (r"^(?P<c>\w+) must be yes or no .*$",
         N_("%(c)s must be yes or no (true/false, 1/0 and हाँ/नहीं also work)")),
        (r"^(?P<c>\w+) must be https:// links; '(?P<u>.*)' is not$",
         N_("%(c)s must be https:// links; '%(u)s' is not")),
        (r"^(?P<c>\w+) needs at least one https:// link$", N_("%(c)s needs at least one https:// link")),
        (r"^(?P<c>\w+) contains the HTML tag (?P<t>.*); buyer apps show plain text, so remove the tags$",
         N_("%(c)s contains the HTML tag %(t)s; buyer apps show plain text, so remove the tags")),
        (r"^(?P<c>\w+) link '(?P<u>.*)' contains a character a link cannot have .*$",
         N_("%(c)s link '%(u)s' contains a character a link cannot have (quotes, < > or \\)")),
        (r"^(?P<c>\w+) starts with '(?P<ch>.)' which spreadsheets treat as a formula.*$",
         N_("%(c)s starts with '%(ch)s' which spreadsheets treat as a formula; remove it or add a word first")),
        (r"^id '(?P<i>.*)' is also used on row (?P<r>\d+); every item needs its own id$",
         N_("id '%(i)s' is also used on row %(r)s; every item needs its own id")),
        (r"^(?P<c>\w+) must be a whole number (?P<n>\d+) or more, like (?P<e>\d+)$",
         N_("%(c)s must be a whole number %(n)s or more, like %(e)s")),
        (r"^(?P<c>\w+) must be a 3-letter country code like IND$",
         N_("%(c)s must be a 3-letter country code like IND")),
        (r"^(?P<c>\w+) must be a hex colour code like (?P<h>#\w+).*$",
         N_("%(c)s must be a hex colour code like %(h)s (use colour_name for words)")),
        (r"^(?P<c>\w+) must be a time like 7 days, 48 hours or P7D$",
         N_("%(c)s must be a time like 7 days, 48 hours or P7D")),
        (r"^(?P<c>\w+) must be month/year like 03/2025, or NA$", N_("%(c)s must be month/year like 03/2025, or NA")),
        (r"^(?P<c>\w+) must be the 14-digit FSSAI licence number$",
         N_("%(c)s must be the 14-digit FSSAI licence number")),
        (r"^(?P<c>\w+) must be more than 0$", N_("%(c)s must be more than 0")),
        (r"^(?P<d>.+) items should have code_type ean and code: .*$",
         N_("%(d)s items should have code_type ean and code: the 13-digit barcode number printed under the barcode "
            "(a cooperative without barcodes can get them from GS1 India, www.gs1india.org); without it ONDC's "
            "review and some buyer apps reject the item")),
        (r"^(?P<d>.+) items should have code_type hsn and code: .*$",
         N_("%(d)s items should have code_type hsn and code: the 4, 6 or 8-digit HSN code on your GST invoices; "
            "without it ONDC's review and some buyer apps reject the item")),
        (r"^(?P<d>.+) items should have code_type gtin and code: .*$",
         N_("%(d)s items should have code_type gtin and code: the barcode number (GTIN) of the product; without it "
            "ONDC's review and some buyer apps reject the item")),
        (r"^(?P<c>\w+) '(?P<v>.*)' is not in ONDC's list for fashion; write the main one from the list, "
         r"e\.g\. (?P<e>.*)$",
         N_("%(c)s '%(v)s' is not in ONDC's list for fashion; write the main one from the list, e.g. %(e)s")),
        (r"^ONDC's review currently rejects the category '(?P<v>.*)' \(its checker misspells it\); "
         r"to pass the review use '(?P<i>.*)'$",
         N_("ONDC's review currently rejects the category '%(v)s' (its checker misspells it); to pass the review "
            "use '%(i)s'")),
        (r"^size_chart is needed for (?P<cat>.+) items: .*$",
         N_("size_chart is needed for %(cat)s items: an https:// link to the size chart image; without it ONDC's "
            "review rejects the item")),
        (r"^hsn '(?P<v>.*)' is not an HSN code: .*$",
         N_("hsn '%(v)s' is not an HSN code: write the 4, 6 or 8-digit HSN code from your GST records, digits only, "
            "e.g. 6304")),
        (r"^gst_rate '(?P<v>.*)' is not a GST rate: write one of (?P<r>[\d., ]+) \(the percent, .*\)$",
         N_("gst_rate '%(v)s' is not a GST rate: write one of %(r)s (the percent, e.g. 5 for 5%%)")),
        (r"^(?P<n>\d+) item\(s\) have no hsn or gst_rate, the first on row (?P<r>\d+): .*$",
         N_("%(n)s item(s) have no hsn or gst_rate, the first on row %(r)s: their tax invoices will say 'HSN "
            "missing' and split no GST; fill in both columns from your GST records")),
        (r"^(?P<c>\w+) must be at least (?P<n>\d+)$", N_("%(c)s must be at least %(n)s")),
        (r"^(?P<c>\w+) must be at most (?P<n>\d+)$", N_("%(c)s must be at most %(n)s")),
        (r"^(?P<c>\w+) must be a size in centimetres like 30 or 12\.5$",
         N_("%(c)s must be a size in centimetres like 30 or 12.5")),
        (r"^(?P<c>\w+) is needed too: give length_cm, breadth_cm and height_cm together, or none of them$",
         N_("%(c)s is needed too: give length_cm, breadth_cm and height_cm together, or none of them")),
        (r"^column '(?P<c>.*)' is not used and will be ignored.*$",
         N_("column '%(c)s' is not used and will be ignored")),
        # A file that cannot be read at all (catalog_sync.ingest's IngestError): the upload's only problem.
        (r"^the file is saved in Windows-1252 .*, not UTF-8: byte 0x[0-9A-F]{2}(?: \('(?P<ch>.*)'\))? on line "
         r"(?P<l>\d+) cannot be read; .*$",
         N_("the file is saved in Windows-1252 (Excel's 'CSV (Comma delimited)'), not UTF-8: line %(l)s cannot be "
            "read. In Excel use 'Save As' > 'CSV UTF-8 (comma delimited)'; in LibreOffice choose 'Character set: "
            "Unicode (UTF-8)'.")),
        (r"^the file is saved in an old encoding, not UTF-8: byte 0x[0-9A-F]{2} on line (?P<l>\d+) cannot be read; .*$",
         N_("the file is saved in an old encoding, not UTF-8: line %(l)s cannot be read. In Excel use 'Save As' > "
            "'CSV UTF-8 (comma delimited)'; in LibreOffice choose 'Character set: Unicode (UTF-8)'.")),
        (r"^the file is saved as UTF-16 \('Unicode Text'\), not UTF-8; .*$",
         N_("the file is saved as UTF-16 ('Unicode Text'), not UTF-8. In Excel use 'Save As' > 'CSV UTF-8 (comma "
            "delimited)'; in LibreOffice choose 'Character set: Unicode (UTF-8)'.")),
        (r"^the file is empty$", N_("the file is empty")),
        (r"^the file has no items: only a header row, or an empty list$",
         N_("the file has no items: only a header row, or an empty list")),
        (r"^unknown file type '(?P<f>.*)'; upload a .* file$",
         N_("'%(f)s' is not a file type we can read; upload a CSV, XLSX or JSON file")),
        (r"^'\.(?P<e>\w+)' files are not supported; save the sheet as .*$",
         N_("'.%(e)s' files cannot be read; save the sheet as CSV, XLSX or JSON")),
        (r"^'(?P<f>.*)' is an Excel \(\.xlsx\) file with a \.(?P<e>\w+) name; rename it to \.xlsx$",
         N_("'%(f)s' is an Excel (.xlsx) file with a .%(e)s name; rename it to .xlsx")),
        (r"^the file is (?P<size>[\d.]+ MB), larger than the (?P<max>[\d.]+ MB) limit; split it into smaller files$",
         N_("the file is %(size)s, larger than the %(max)s limit; split it into smaller files")),
        (r"^the file has more than (?P<n>\d+) item rows; split it into smaller files$",
         N_("the file has more than %(n)s item rows; split it into smaller files")),
        (r"^column (?P<n>\d+) of the header has no name$", N_("column %(n)s of the header has no name")),
        (r"^the \.xlsx file is damaged or is not really an Excel file$",
         N_("the .xlsx file is damaged or is not really an Excel file")),
    )
)


def localise(message: str, gettext: Callable[[str], str]) -> str:
    """A validation message through ``gettext`` (the English message itself when unknown or untranslated)."""
    for pattern, msgid in PATTERNS:
        match = pattern.match(message)
        if match:
            translated = gettext(msgid)
            return message if translated == msgid else translated % match.groupdict()
    return message
