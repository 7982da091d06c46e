"""Hindi for the validation report: each English message pattern and its Hindi form.

The catalogue core reports problems in English; cooperatives who read Hindi get the same report with every
known message translated (column names, values and codes stay as written in the spreadsheet). An unknown
message stays in English rather than being guessed at.
"""

from __future__ import annotations

import re

PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), hindi) for pattern, hindi in (
        (r"^(?P<c>\w+) must be a number like (?P<a>[\d.]+) or (?P<b>[\d.]+)$",
         "{c} एक संख्या होनी चाहिए, जैसे {a} या {b}"),
        (r"^(?P<c>\w+) is required and is empty$", "{c} भरना ज़रूरी है, यह खाली है"),
        (r"^(?P<c>\w+) is required for (?P<cat>.+) items$", "{cat} के सामान के लिए {c} भरना ज़रूरी है"),
        (r"^mrp \((?P<m>[\d.]+)\) is lower than price \((?P<p>[\d.]+)\)$",
         "mrp ({m}) कीमत ({p}) से कम है; mrp कीमत से कम नहीं हो सकता"),
        (r"^category '(?P<v>.*)' is not an ONDC category; use one of: (?P<rest>.*)$",
         "श्रेणी '{v}' ONDC की श्रेणी नहीं है; इनमें से एक लिखें: {rest}"),
        (r"^(?P<c>\w+) must be yes or no .*$", "{c} में हाँ या नहीं (yes या no) लिखें"),
        (r"^(?P<c>\w+) must be https:// links; '(?P<u>.*)' is not$",
         "{c} में https:// वाले लिंक होने चाहिए; '{u}' ऐसा लिंक नहीं है"),
        (r"^(?P<c>\w+) needs at least one https:// link$", "{c} में कम से कम एक https:// लिंक चाहिए"),
        (r"^(?P<c>\w+) contains the HTML tag (?P<t>.*); buyer apps show plain text, so remove the tags$",
         "{c} में HTML टैग {t} है; खरीदार ऐप सादा टेक्स्ट दिखाते हैं, इसलिए टैग हटा दें"),
        (r"^(?P<c>\w+) link '(?P<u>.*)' contains a character a link cannot have .*$",
         "{c} के लिंक '{u}' में ऐसा चिह्न है जो लिंक में नहीं हो सकता (उद्धरण चिह्न, < > या \\)"),
        (r"^(?P<c>\w+) starts with '(?P<ch>.)' which spreadsheets treat as a formula.*$",
         "{c} '{ch}' से शुरू होता है, जिसे स्प्रेडशीट फ़ॉर्मूला मानती है; यह अक्षर हटा दें"),
        (r"^id '(?P<i>.*)' is also used on row (?P<r>\d+); every item needs its own id$",
         "id '{i}' पंक्ति {r} में भी है; हर सामान की अपनी अलग id होनी चाहिए"),
        (r"^(?P<c>\w+) must be a whole number (?P<n>\d+) or more, like (?P<e>\d+)$",
         "{c} {n} या उससे बड़ी पूरी संख्या होनी चाहिए, जैसे {e}"),
        (r"^(?P<c>\w+) must be a 3-letter country code like IND$", "{c} तीन अक्षरों का देश कोड होना चाहिए, जैसे IND"),
        (r"^(?P<c>\w+) must be a hex colour code like (?P<h>#\w+).*$",
         "{c} रंग का hex कोड होना चाहिए, जैसे {h} (रंग का नाम colour_name में लिखें)"),
        (r"^(?P<c>\w+) must be a time like 7 days, 48 hours or P7D$",
         "{c} समय होना चाहिए, जैसे 7 days, 48 hours या P7D"),
        (r"^(?P<c>\w+) must be month/year like 03/2025, or NA$", "{c} महीना/साल होना चाहिए, जैसे 03/2025, या NA"),
        (r"^(?P<c>\w+) must be the 14-digit FSSAI licence number$", "{c} 14 अंकों का FSSAI लाइसेंस नंबर होना चाहिए"),
        (r"^(?P<c>\w+) must be more than 0$", "{c} 0 से ज़्यादा होना चाहिए"),
        (r"^(?P<d>.+) items should have code_type ean and code: .*$",
         "{d} के सामान के लिए code_type में ean और code में बारकोड के नीचे छपा 13 अंकों का नंबर लिखें (बारकोड न हों तो "
         "GS1 India, www.gs1india.org से मिलते हैं); इसके बिना ONDC की जाँच और कुछ खरीदार ऐप सामान को अस्वीकार करते हैं"),
        (r"^(?P<d>.+) items should have code_type hsn and code: .*$",
         "{d} के सामान के लिए code_type में hsn और code में GST बिल वाला 4, 6 या 8 अंकों का HSN कोड लिखें; इसके बिना "
         "ONDC की जाँच और कुछ खरीदार ऐप सामान को अस्वीकार करते हैं"),
        (r"^(?P<d>.+) items should have code_type gtin and code: .*$",
         "{d} के सामान के लिए code_type में gtin और code में बारकोड नंबर (GTIN) लिखें; इसके बिना ONDC की जाँच और कुछ "
         "खरीदार ऐप सामान को अस्वीकार करते हैं"),
        (r"^(?P<c>\w+) '(?P<v>.*)' is not in ONDC's list for fashion; write the main one from the list, "
         r"e\.g\. (?P<e>.*)$",
         "{c} '{v}' फ़ैशन के लिए ONDC की सूची में नहीं है; सूची में से मुख्य वाला लिखें, जैसे {e}"),
        (r"^ONDC's review currently rejects the category '(?P<v>.*)' \(its checker misspells it\); "
         r"to pass the review use '(?P<i>.*)'$",
         "ONDC की जाँच अभी श्रेणी '{v}' को अस्वीकार करती है (उसकी जाँच में इसकी वर्तनी गलत है); जाँच पास करने के "
         "लिए '{i}' लिखें"),
        (r"^size_chart is needed for (?P<cat>.+) items: .*$",
         "{cat} के सामान के लिए size_chart में साइज़ चार्ट की तस्वीर का https:// लिंक ज़रूरी है; इसके बिना ONDC की जाँच "
         "सामान को अस्वीकार करती है"),
        (r"^column '(?P<c>.*)' is not used and will be ignored.*$",
         "कॉलम '{c}' काम में नहीं आता, इसे छोड़ दिया जाएगा"),
    )
)


def to_hindi(message: str) -> str:
    """The Hindi form of a validation message, or the English one when the pattern is not known."""
    for pattern, hindi in PATTERNS:
        match = pattern.match(message)
        if match:
            return hindi.format(**match.groupdict())
    return message
