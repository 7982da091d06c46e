"""What a buyer app's catalogue rejection means for a cooperative: which item, which spreadsheet column, what to do.

A buyer app that will not show part of a catalogue says so with ``catalog_rejection`` (ONDC RET 1.2.x flows 7 and
9): a list of ``{code, type, path, message}``. Codes are ONDC's (90xxx the shop, 91xxx an item, 92xxx the seller
app); paths come in several spellings, and this module reads all we have met:

- index paths: ``bpp/providers/0/items/4/price/value``, ``message.catalog['bpp/providers'][0].items[4].price``,
  JSON pointers ``/message/catalog/bpp~1providers/0/items/4/price/value``;
- id filters (JSONPath): ``message.catalog.bpp/providers[?(@.id==P1)].items[?(@.id=='I5')]``.

``parse_path`` finds the provider and item (by id or position) and the field; ``locate`` resolves positions against
the on_search we sent; ``column_for`` names the spreadsheet column (or, for a shop-level reason, the profile field);
``explain`` gives the meaning and the fix in English or Hindi. Pure: no database, no network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["REASONS", "Located", "Reason", "Target", "column_for", "explain", "locate", "parse_path"]


@dataclass(frozen=True)
class Reason:
    """One ONDC rejection code: its kind, ONDC's wording (English, Hindi) and the column or profile field it is
    about when the path does not say."""

    kind: str
    en: str
    hi: str
    column: str | None = None


_P, _I, _B = "PROVIDER-ERROR", "ITEM-ERROR", "BPP-ERROR"
# ONDC's catalogue rejection codes (the codes ONDC's log-validation-utility knows, with their kinds).
REASONS: dict[str, Reason] = {
    "90001": Reason(_P, "Fulfilment rate below declared standards", "पूरे किए गए ऑर्डर तय मानक से कम"),
    "90002": Reason(_P, "On-time delivery rate below declared standards", "समय पर डिलीवरी तय मानक से कम"),
    "90003": Reason(_P, "Select call failure more than published threshold", "select के जवाब बहुत बार विफल"),
    "90004": Reason(_P, "Init call failure more than published threshold", "init के जवाब बहुत बार विफल"),
    "90005": Reason(_P, "Confirm call failure more than published threshold", "confirm के जवाब बहुत बार विफल"),
    "90006": Reason(_P, "Customer issues not resolved within resolution times", "ग्राहकों की शिकायतें समय पर हल नहीं हुईं"),
    "90007": Reason(_P, "Duplicate store", "यह दुकान दो बार दर्ज है"),
    "90008": Reason(_P, "Customer complaints more than published standards", "ग्राहकों की शिकायतें तय मानक से ज़्यादा"),
    "90009": Reason(_P, "Store rejected: too many items rejected", "बहुत सारे सामान अस्वीकार हुए, इसलिए दुकान अस्वीकार"),
    "90010": Reason("INTEGRATION-ERROR", "Missing authorisation from the network participant",
                    "नेटवर्क सहभागी की अनुमति नहीं मिली"),
    "90011": Reason(_P, "Merchant status sent by the seller app is unavailable", "दुकान की स्थिति 'उपलब्ध नहीं' भेजी गई"),
    "90012": Reason(_P, "Country of origin not present (packaged products)", "पैक सामान में मूल देश नहीं लिखा",
                    "country_of_origin"),
    "90013": Reason(_P, "Only hyperlocal delivery allowed", "केवल आस-पास (हाइपरलोकल) डिलीवरी की अनुमति है",
                    "profile.serviceability"),
    "90014": Reason(_P, "Invalid latitude", "अक्षांश (latitude) ग़लत है", "profile.locations.gps"),
    "90015": Reason(_P, "Invalid longitude", "देशांतर (longitude) ग़लत है", "profile.locations.gps"),
    "90016": Reason(_P, "Invalid customisation group data", "कस्टमाइज़ेशन समूह की जानकारी ग़लत है"),
    "90017": Reason(_P, "Stores less than declared threshold", "दुकानें तय संख्या से कम हैं"),
    "90018": Reason(_P, "Empty address field", "पते का कोई हिस्सा खाली है", "profile.locations.address"),
    "90019": Reason(_P, "Other provider error", "दुकान से जुड़ी कोई और समस्या"),
    "90020": Reason(_P, "Tags type not present against items", "सामान के साथ टैग नहीं भेजे गए"),
    "90021": Reason(_P, "Invalid address received", "पता ग़लत है", "profile.locations.address"),
    "90022": Reason(_P, "Invalid city received", "शहर ग़लत है", "profile.locations.city"),
    "90023": Reason(_P, "Invalid contact number: not 10 digits", "संपर्क नंबर 10 अंकों का नहीं है",
                    "profile.consumer_care.phone"),
    "90024": Reason(_P, "Invalid FSSAI licence number", "FSSAI लाइसेंस नंबर ग़लत है", "profile.fssai_license_no"),
    "90025": Reason(_P, "Delivery radius not given", "डिलीवरी का दायरा नहीं बताया", "profile.serviceability"),
    "90026": Reason(_P, "Store timing not in the correct format", "दुकान खुलने का समय सही रूप में नहीं है",
                    "profile.opening"),
    "90027": Reason(_P, "Locality and city mismatch", "इलाक़ा और शहर मेल नहीं खाते", "profile.locations.city"),
    "90028": Reason(_P, "Store not received on search for 2 consecutive days",
                    "लगातार 2 दिन खोज के जवाब में दुकान नहीं आई"),
    "90029": Reason(_P, "Store disabled by the seller app", "सेलर ऐप ने दुकान बंद की हुई है"),
    "90030": Reason(_P, "Store category mapping empty or unavailable at the buyer app",
                    "खरीदार ऐप के पास दुकान की श्रेणी नहीं है"),
    "90031": Reason("INTEGRATION-ERROR", "Network integration version mismatch", "नेटवर्क संस्करण मेल नहीं खाता"),
    "90032": Reason(_P, "Store location error", "दुकान की जगह (लोकेशन) में ग़लती", "profile.locations.gps"),
    "90033": Reason(_P, "Provider is blacklisted", "दुकान प्रतिबंधित सूची में है"),
    "91001": Reason(_I, "Item price is higher than its MRP", "सामान की कीमत MRP से ज़्यादा है", "price"),
    "91002": Reason(_I, "Use of restricted keywords", "प्रतिबंधित शब्दों का इस्तेमाल", "name"),
    "91003": Reason(_I, "No images found", "कोई फ़ोटो नहीं मिली", "images"),
    "91004": Reason(_I, "Duplicate images found", "एक जैसी फ़ोटो दोबारा लगी हैं", "images"),
    "91005": Reason(_I, "Low-quality image found", "फ़ोटो की गुणवत्ता कम है", "images"),
    "91006": Reason(_I, "Image and title do not match", "फ़ोटो और नाम मेल नहीं खाते", "images"),
    "91007": Reason(_I, "Another mandatory or statutory field is missing", "कोई और ज़रूरी या क़ानूनी जानकारी नहीं है"),
    "91008": Reason(_I, "Duplicate product", "यह सामान दो बार दर्ज है", "name"),
    "91010": Reason(_I, "Price is zero", "कीमत शून्य है", "price"),
    "91011": Reason(_I, "Incorrect image file format", "फ़ोटो की फ़ाइल का प्रकार सही नहीं है", "images"),
    "91012": Reason(_I, "Country of origin not present (packaged products)", "पैक सामान में मूल देश नहीं लिखा",
                    "country_of_origin"),
    "91013": Reason(_I, "Net quantity not present", "कुल मात्रा (net quantity) नहीं लिखी", "net_quantity"),
    "91014": Reason(_I, "FSSAI or statutory requirement not present (packaged products)",
                    "FSSAI या क़ानूनी जानकारी नहीं है", "fssai_license_no"),
    "91015": Reason(_I, "BIS mark not present", "BIS चिह्न नहीं है"),
    "91016": Reason(_I, "Product miscategorised", "सामान ग़लत श्रेणी में है", "category_id"),
    "91017": Reason(_I, "Other item error (see the buyer app's description)",
                    "सामान से जुड़ी कोई और समस्या (खरीदार ऐप का विवरण देखें)"),
    "91018": Reason(_I, "Available quantity is absent or invalid", "उपलब्ध मात्रा नहीं है या ग़लत है", "stock"),
    "91019": Reason(_I, "Category does not exist", "यह श्रेणी मौजूद नहीं है", "category_id"),
    "91020": Reason(_I, "Customisation parameters not shared", "कस्टमाइज़ेशन की जानकारी नहीं भेजी गई",
                    "variant_attributes"),
    "91021": Reason(_I, "Category field is missing", "श्रेणी नहीं लिखी", "category_id"),
    "91022": Reason(_I, "Customer care contact details missing", "ग्राहक सेवा का संपर्क नहीं है",
                    "profile.consumer_care"),
    "91023": Reason(_I, "MRP less than zero", "MRP शून्य से कम है", "mrp"),
    "91024": Reason(_I, "Price less than zero", "कीमत शून्य से कम है", "price"),
    "91025": Reason(_I, "Item status sent by the seller app is unavailable", "सामान 'उपलब्ध नहीं' भेजा गया", "enabled"),
    "91026": Reason(_I, "Invalid item id", "सामान की id ग़लत है", "id"),
    "91027": Reason(_I, "Invalid service provider id", "दुकान की id ग़लत है"),
    "91028": Reason(_I, "Customisation not present", "कस्टमाइज़ेशन नहीं है", "variant_attributes"),
    "91029": Reason(_I, "Invalid customisation group", "कस्टमाइज़ेशन समूह ग़लत है", "parent_item_id"),
    "92001": Reason(_B, "Network integration version mismatch", "नेटवर्क संस्करण मेल नहीं खाता"),
    "92002": Reason(_B, "Missing authorisation from the network participant", "नेटवर्क सहभागी की अनुमति नहीं मिली"),
    "92003": Reason(_B, "Mandatory field missing or wrong format for all providers",
                    "सभी दुकानों में कोई ज़रूरी जानकारी नहीं है या ग़लत रूप में है"),
    "92004": Reason(_B, "Invalid domain sent", "ग़लत डोमेन भेजा गया"),
    "92005": Reason(_B, "Seller app is blacklisted, inactive or not onboarded yet",
                    "सेलर ऐप प्रतिबंधित, निष्क्रिय या अभी जुड़ा नहीं है"),
    "92006": Reason(_B, "Provider rejections crossed the threshold in one transaction",
                    "एक ही लेन-देन में बहुत सारी दुकानें अस्वीकार हुईं"),
}

# What to do, per spreadsheet column or profile field: (English, Hindi).
FIXES: dict[str, tuple[str, str]] = {
    "price": ("Correct the price column of this row: it must be more than 0 and not above mrp.",
              "इस पंक्ति का price ठीक करें: यह 0 से ज़्यादा और mrp से ज़्यादा नहीं होना चाहिए।"),
    "mrp": ("Correct the mrp column: the printed maximum retail price, not lower than the price.",
            "mrp ठीक करें: छपा हुआ अधिकतम खुदरा मूल्य, जो price से कम न हो।"),
    "images": ("Replace the photos in the images column: clear JPEG or PNG pictures of this very item, each "
               "different, at least 500 by 500 pixels, on https:// links.",
               "images में फ़ोटो बदलें: इसी सामान की साफ़ JPEG या PNG फ़ोटो, हर एक अलग, कम से कम 500 x 500 पिक्सल, "
               "https:// लिंक पर।"),
    "name": ("Reword the name (and descriptions): say what the item is, without words such as 'best', 'cheapest' "
             "or other sellers' brands, and make each item's name different.",
             "name (और विवरण) बदलें: सामान क्या है यह लिखें, 'सबसे अच्छा', 'सबसे सस्ता' या दूसरों के ब्रांड जैसे शब्द "
             "नहीं, और हर सामान का नाम अलग रखें।"),
    "category_id": ("Choose the right category in category_id (the template for each category lists them).",
                    "category_id में सही श्रेणी चुनें (हर श्रेणी के टेम्पलेट में सूची है)।"),
    "stock": ("Fill in stock with the number of pieces on hand (0 when sold out).",
              "stock में हाथ में मौजूद नग लिखें (ख़त्म हो गया हो तो 0)।"),
    "net_quantity": ("Fill in net_quantity and unit as printed on the pack, e.g. 250 and gram.",
                     "net_quantity और unit पैक पर छपे जैसा लिखें, जैसे 250 और gram।"),
    "country_of_origin": ("Fill in country_of_origin (IND for goods made in India).",
                          "country_of_origin भरें (भारत में बने सामान के लिए IND)।"),
    "fssai_license_no": ("Fill in the FSSAI licence number (14 digits) in the profile or the fssai_license_no "
                         "column.", "प्रोफ़ाइल या fssai_license_no कॉलम में FSSAI लाइसेंस नंबर (14 अंक) भरें।"),
    "variant_attributes": ("Check the variant columns: parent_item_id groups the variants, variant_attributes "
                           "names what differs (e.g. size,colour) and every variant fills those columns.",
                           "वैरिएंट के कॉलम देखें: parent_item_id वैरिएंट का समूह बताता है, variant_attributes बताता है "
                           "कि क्या अलग है (जैसे size,colour), और हर वैरिएंट वे कॉलम भरे।"),
    "parent_item_id": ("Check parent_item_id: items of one variant group share it and differ only in the columns "
                       "named in variant_attributes.",
                       "parent_item_id देखें: एक समूह के सभी वैरिएंट में यह एक जैसा हो और वे सिर्फ़ variant_attributes "
                       "वाले कॉलम में अलग हों।"),
    "enabled": ("The item was sent as not on sale: set enabled to yes when it is available.",
                "सामान बिक्री से बाहर भेजा गया: उपलब्ध हो तो enabled में yes लिखें।"),
    "id": ("Give this item a short id of letters, digits, - or _ (at most 36), different from every other item.",
           "इस सामान को अक्षर, अंक, - या _ से बनी छोटी id दें (36 तक), जो किसी और सामान की न हो।"),
    "profile.locations.gps": ("Correct the shop's GPS position in the profile (latitude,longitude of the shop, "
                              "e.g. 32.1109,76.5363).",
                              "प्रोफ़ाइल में दुकान की GPS जगह ठीक करें (दुकान का अक्षांश,देशांतर, जैसे 32.1109,76.5363)।"),
    "profile.locations.address": ("Complete the shop's address in the profile: street, locality, city, state "
                                  "and PIN code.", "प्रोफ़ाइल में दुकान का पूरा पता भरें: गली, इलाक़ा, शहर, राज्य और पिन कोड।"),
    "profile.locations.city": ("Correct the city and locality of the shop in the profile so they match its PIN "
                               "code.", "प्रोफ़ाइल में दुकान का शहर और इलाक़ा पिन कोड से मेल खाता हुआ लिखें।"),
    "profile.consumer_care": ("Fill in customer care (name, e-mail, 10-digit phone) in the profile.",
                              "प्रोफ़ाइल में ग्राहक सेवा भरें (नाम, ई-मेल, 10 अंकों का फ़ोन)।"),
    "profile.consumer_care.phone": ("Give a 10-digit mobile or landline number for customer care in the "
                                    "profile.", "प्रोफ़ाइल में ग्राहक सेवा के लिए 10 अंकों का नंबर दें।"),
    "profile.fssai_license_no": ("Fill in the 14-digit FSSAI licence number in the profile.",
                                 "प्रोफ़ाइल में 14 अंकों का FSSAI लाइसेंस नंबर भरें।"),
    "profile.serviceability": ("Set where the shop delivers in the profile (serviceability: all India, some "
                               "cities or a radius in km).",
                               "प्रोफ़ाइल में बताएँ कि दुकान कहाँ तक डिलीवरी करती है (पूरा भारत, कुछ शहर, या कितने "
                               "किलोमीटर का दायरा)।"),
    "profile.opening": ("Set the shop's opening days and hours in the profile (e.g. days 1-6, 10:00 to 18:00).",
                        "प्रोफ़ाइल में दुकान खुलने के दिन और समय लिखें (जैसे दिन 1-6, 10:00 से 18:00)।"),
}
GENERIC_FIX = {
    _I: ("Read the buyer app's description, correct the item in your spreadsheet and upload it again.",
         "खरीदार ऐप का विवरण पढ़ें, स्प्रेडशीट में सामान ठीक करें और फिर से अपलोड करें।"),
    _P: ("This is about the shop, not one item: read the buyer app's description and ask your operator to help "
         "with the profile or the service.",
         "यह पूरी दुकान के बारे में है, किसी एक सामान के नहीं: खरीदार ऐप का विवरण पढ़ें और प्रोफ़ाइल या सेवा के लिए अपने "
         "ऑपरेटर से मदद लें।"),
    _B: ("This is about the seller app as a whole: your operator has been told; nothing to change in your "
         "catalogue.", "यह पूरे सेलर ऐप के बारे में है: आपके ऑपरेटर को बताया गया है; आपकी सूची में कुछ नहीं बदलना।"),
}

# Field paths under an item, most specific first: (leading keys, column).
_ITEM_FIELDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("price", "maximum_value"), "mrp"),
    (("price",), "price"),
    (("descriptor", "name"), "name"),
    (("descriptor", "short_desc"), "short_desc"),
    (("descriptor", "long_desc"), "long_desc"),
    (("descriptor", "images"), "images"),
    (("descriptor", "symbol"), "images"),
    (("descriptor", "code"), "code"),
    (("quantity", "available"), "stock"),
    (("quantity", "maximum"), "max_per_order"),
    (("quantity", "unitized"), "net_quantity"),
    (("category_id",), "category_id"),
    (("category_ids",), "category_id"),
    (("parent_item_id",), "parent_item_id"),
    (("location_id",), "location_id"),
    (("id",), "id"),
    (("time", "label"), "enabled"),
    (("@ondc", "org", "returnable"), "returnable"),
    (("@ondc", "org", "return_window"), "return_window"),
    (("@ondc", "org", "seller_pickup_return"), "seller_pickup_return"),
    (("@ondc", "org", "cancellable"), "cancellable"),
    (("@ondc", "org", "time_to_ship"), "time_to_ship"),
    (("@ondc", "org", "available_on_cod"), "cod"),
    (("@ondc", "org", "contact_details_consumer_care"), "profile.consumer_care"),
)
# Keys inside the statutory blocks and tags, and the column each fills.
_NAMED_FIELDS: dict[str, str] = {
    "manufacturer_or_packer_name": "manufacturer_name",
    "manufacturer_or_packer_address": "manufacturer_address",
    "common_or_generic_name_of_commodity": "common_name",
    "net_quantity_or_measure_of_commodity_in_pkg": "net_quantity",
    "month_year_of_manufacture_packing_import": "month_year_of_manufacture",
    "imported_product_country_of_origin": "country_of_origin",
    "origin": "country_of_origin",
    "nutritional_info": "nutritional_info",
    "additives_info": "additives_info",
    "brand_owner_FSSAI_license_no": "fssai_license_no",
    "colour": "colour", "colour_name": "colour_name", "size": "size", "size_chart": "size_chart",
    "material": "material", "pattern": "pattern", "gender": "gender", "fabric": "fabric", "brand": "brand",
    "veg": "veg_nonveg", "non_veg": "veg_nonveg", "gi_tag": "gi_tag", "artisan": "artisan", "craft": "craft",
}
_PROVIDER_FIELDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("locations", "gps"), "profile.locations.gps"),
    (("locations", "address", "city"), "profile.locations.city"),
    (("locations", "address"), "profile.locations.address"),
    (("locations",), "profile.locations.address"),
    (("@ondc", "org", "fssai_license_no"), "profile.fssai_license_no"),
    (("time",), "profile.opening"),
    (("descriptor",), "profile.name"),
    (("fulfillments", "contact", "phone"), "profile.consumer_care.phone"),
    (("fulfillments", "contact"), "profile.consumer_care"),
)


@dataclass(frozen=True)
class Target:
    """Where a rejection points in an on_search: the provider and item, by id or by position, and the field
    under the item (or the provider) as a tuple of keys."""

    provider_id: str | None = None
    provider_index: int | None = None
    item_id: str | None = None
    item_index: int | None = None
    field: tuple[str, ...] = ()
    has_item: bool = False


# An id filter: ``[?(@.id=='I5')]``. The id holds no space or quote and is at most 128 characters, which keeps
# the match linear on hostile paths (a path may be 2,000 characters, a message 1,000 paths).
_FILTER = r"\[\?\(\s*@\.id\s*={1,3}\s*['\"]?(?P<{g}id>[^'\"\)\]\s]{1,128})['\"]?\s*\)\]"
_SEGMENT = r"(?:/(?P<{g}a>\d+)|\[(?P<{g}b>\d+)\]|\.(?P<{g}c>\d+)(?![\w])|" + _FILTER + ")"
_PROVIDERS = re.compile(r"bpp/providers['\"]?\]?" + _SEGMENT.replace("{g}", "p"))
_ITEMS = re.compile(r"(?<![\w@])items" + _SEGMENT.replace("{g}", "i"))
_WORD = re.compile(r"@?[A-Za-z_][A-Za-z0-9_]*")


def parse_path(path: str | None) -> Target:
    """The provider, item and field a rejection's path names (whatever is missing is None or empty)."""
    text = (path or "").replace("~1", "/").replace("~0", "~")
    provider = _PROVIDERS.search(text)
    rest = text[provider.end():] if provider else text
    item = _ITEMS.search(rest)
    tail = rest[item.end():] if item else (rest if provider else "")
    provider_index, provider_id = _position(provider, "p")
    item_index, item_id = _position(item, "i")
    return Target(provider_id=provider_id, provider_index=provider_index, item_id=item_id, item_index=item_index,
                  field=tuple(_WORD.findall(tail)), has_item=item is not None)


def _position(match: re.Match[str] | None, group: str) -> tuple[int | None, str | None]:
    if match is None:
        return None, None
    index = next((match.group(group + k) for k in "abc" if match.group(group + k) is not None), None)
    return (int(index) if index is not None else None), match.group(group + "id")


def column_for(code: str, target: Target) -> str | None:
    """The spreadsheet column (or ``profile.<field>``) a reason is about: from the path when it says, else from
    the code."""
    field = target.field
    table = _ITEM_FIELDS if target.has_item else _PROVIDER_FIELDS
    for keys, column in table:
        if field[:len(keys)] == keys:
            return column
    for word in reversed(field):
        if word in _NAMED_FIELDS:
            return _NAMED_FIELDS[word]
    reason = REASONS.get(code)
    return reason.column if reason else None


def explain(code: str, kind: str | None, column: str | None, language: str = "en") -> tuple[str, str]:
    """(what the code means, what to do) in ``language`` (en or hi); unknown codes say so."""
    hindi = language == "hi"
    reason = REASONS.get(code)
    if reason is None:
        meaning = f"कोड {code}: खरीदार ऐप का विवरण देखें" if hindi else f"Code {code}: see the buyer app's description"
    else:
        meaning = reason.hi if hindi else reason.en
    fix = FIXES.get(column or "") or GENERIC_FIX.get(reason.kind if reason else (kind or _I), GENERIC_FIX[_I])
    if column and column not in FIXES and not column.startswith("profile."):
        generic = GENERIC_FIX[_I]
        fix = (f"Check the {column} column of this row. " + generic[0], f"इस पंक्ति का {column} कॉलम देखें। " + generic[1])
    return meaning, fix[1] if hindi else fix[0]


@dataclass(frozen=True)
class Located:
    """A rejection traced into one of our answers: which answer (its index), the provider and the item ids."""

    answer: int | None
    provider_id: str | None
    item_id: str | None


def locate(target: Target, answers: Sequence[dict[str, Any]], message: str | None = None,
           owners: Sequence[object] | None = None) -> Located:
    """Resolve a target against the on_search bodies we sent in that transaction (one per cooperative).

    Positions are read in the answer they index; when several answers fit (every answer has a provider at
    position 0), the buyer app's message decides if it names the item found at that position in exactly one of
    them; fits that all belong to one owner (``owners``, parallel to ``answers``: pages or pushes of one
    cooperative) with one item are that item. Otherwise the answer is unknown (``answer`` None) and the operator
    sorts it out. Only when the path names no item at all may the message name one anywhere in the answers.
    """
    fits: list[tuple[int, dict[str, Any], dict[str, Any] | None]] = []
    for number, body in enumerate(answers):
        providers = _providers(body)
        provider = _pick(providers, target.provider_id, target.provider_index)
        if provider is None and (target.provider_id is not None or target.provider_index is not None):
            continue
        candidates = [provider] if provider is not None else providers
        for candidate in candidates:
            item = _pick(candidate.get("items") or [], target.item_id, target.item_index)
            if target.has_item and item is None and (target.item_id or target.item_index is not None):
                continue
            fits.append((number, candidate, item))
    words = _words(message)
    if len(fits) > 1 and words:
        named = [fit for fit in fits if fit[2] is not None and str(fit[2].get("id", "")) in words]
        if len(named) == 1:
            fits = named
        elif not target.has_item:
            mentioned = [(n, p, i) for n, p, _ in fits for i in p.get("items") or [] if str(i.get("id", "")) in words]
            if len(mentioned) == 1:
                fits = mentioned
    if len(fits) > 1 and owners is not None and len({owners[n] for n, _, _ in fits}) == 1 and len(
            {str((i or {}).get("id")) for _, _, i in fits}) == 1:
        fits = fits[:1]  # the same item of one cooperative, in several of its pages or pushes
    if len(fits) != 1:
        return Located(answer=None, provider_id=target.provider_id, item_id=target.item_id)
    number, provider, item = fits[0]
    return Located(answer=number, provider_id=str(provider.get("id")) if provider.get("id") else None,
                   item_id=str(item.get("id")) if item and item.get("id") else target.item_id)


def _providers(body: dict[str, Any]) -> list[dict[str, Any]]:
    catalog = (body.get("message") or {}).get("catalog") or {}
    providers = catalog.get("bpp/providers") or []
    return [p for p in providers if isinstance(p, dict)]


def _pick(entries: Iterable[Any], wanted_id: str | None, index: int | None) -> dict[str, Any] | None:
    listed = [e for e in entries if isinstance(e, dict)]
    if wanted_id is not None:
        return next((e for e in listed if str(e.get("id")) == wanted_id), None)
    if index is not None:
        return listed[index] if 0 <= index < len(listed) else None
    return None


_TOKEN = re.compile(r"[\w-]+")


def _words(message: str | None) -> frozenset[str]:
    """The ids a buyer app's message could name (letters, digits, - and _), read once."""
    return frozenset(_TOKEN.findall(message[:2000])) if message else frozenset()
