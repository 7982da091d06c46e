"""The console's message catalogue (English and Hindi) and the language of the current request."""

from __future__ import annotations

from flask import request, session

from catalog_sync.report_hi import to_hindi

LANGUAGES = ("en", "hi")

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "app": "ODOP seller console", "skip": "Skip to main content", "language": "Language",
        "switch": "हिन्दी", "nav": "Main menu", "home": "Home", "catalogue": "Catalogue", "syncs": "Syncs",
        "orders": "Orders", "operator": "Operator", "outbox": "Outbox", "transactions": "Transactions",
        "logout": "Sign out", "login": "Sign in", "api_key": "API key",
        "login_help": "Enter your cooperative's API key (operators: the admin key).",
        "login_failed": "That key was not recognised.", "signed_in_as": "Signed in as",
        "too_many_attempts": "Too many wrong keys from this device. Please try again in {wait} seconds.",
        "admin": "operator (admin)", "items": "Items", "enabled_items": "Items on sale",
        "orders_open": "Open orders", "orders_today": "Orders today", "last_sync": "Last sync",
        "none": "none", "no_cooperative": "No cooperative (answers to requests naming none)",
        "photo": "Photo", "name": "Name", "price": "Price (₹)", "stock": "Stock",
        "enabled": "On sale", "save": "Save", "preview": "Preview", "yes": "yes", "no": "no",
        "template": "Download a template", "category": "Category", "download": "Download",
        "upload": "Upload a catalogue", "file": "Catalogue file (CSV, XLSX or JSON)", "upload_btn": "Upload",
        "upload_bad": "{count} problem(s) found. Nothing was imported: fix them and upload the whole file again.",
        "upload_ok": "Imported {count} item(s).", "upload_same": "This file is the same as the current catalogue.",
        "upload_working": "Checking and importing the file ({size} KB). This page refreshes by itself; you can "
                          "leave it and come back.",
        "back_to_catalogue": "Back to the catalogue",
        "plan_title": "Check what this file changes",
        "plan_counts": "Items on sale now: {before}. In the file: {after}.",
        "plan_nothing": "Nothing would change: the file matches the catalogue.",
        "plan_stale": "The catalogue changed since this file was checked (another upload or an undo): this is "
                      "what it would change now. Check it again before you apply it.",
        "plan_removes_many": "This file would remove {removed} of your {before} items from sale.",
        "plan_template": "This file is the unchanged template: it has only the example row.",
        "plan_conflicts": "{count} item(s) were sold or counted again since the file's stock was counted: the "
                          "stock shown keeps those sales and the newer count.",
        "plan_added": "New items", "plan_removed": "Items that will be removed",
        "plan_edited": "Items with other changes",
        "plan_prices": "Price changes", "plan_stock": "Stock changes",
        "plan_stock_line": "stock {now} → {new} (file says {sheet}, sold since {sold})",
        "plan_conflict": "Sold or counted again since the file's count.",
        "plan_held": "One of a kind, already sold: stays off sale.",
        "plan_confirm_removal": "Yes, I want these items removed", "plan_counted_now":
            "I counted this stock just now (use the file's figures as they are)",
        "plan_apply": "Apply these changes", "plan_discard": "Cancel: change nothing",
        "upload_discarded": "The file was not imported; nothing changed.",
        "undo": "Undo the last upload", "undone": "The catalogue is back as it was before the last upload.",
        "download_catalogue": "Download the catalogue",
        "closure": "Shop closed for a while?",
        "closure_help": "Closing for a festival or for winter? Say until when: buyer apps are told at once, and no "
                        "orders come in until you reopen.",
        "closed_until": "Closed until {until}: no orders are taken.",
        "closure_planned": "Closing from {start} until {until}.",
        "closed_from": "Closed from (blank: from today)", "closed_until_label": "Closed until (last day closed)",
        "closure_note": "Note for buyers (optional)", "closure_save": "Save the closure",
        "reopen": "Open the shop again now", "reopened": "The shop is open again; buyer apps are being told.",
        "closure_saved": "Closure saved; buyer apps are being told.",
        "closure_bad": "The closure was not saved:",
        "sure": "Yes, I am sure: this cannot be undone",
        "returns": "Returns", "return_waiting": "Return requested: decide", "returns_to_decide": "Returns to decide",
        "return_reason": "Reason", "return_photos": "Photos", "decide_by": "Decide by",
        "buyer_words": "Buyer's words", "requested": "Requested",
        "tick_sure": "Nothing was done: tick \"Yes, I am sure\" to {action}.",
        "closure_until_needed": "give the last closed day, today or later.",
        "row": "Row", "column": "Column", "value": "Value", "fix": "How to fix",
        "saved": "Saved {item}.", "no_items": "No items yet: download a template, fill it in and upload it.",
        "cooperative": "Cooperative", "choose_coop": "Choose a cooperative", "show": "Show",
        "start_sync": "Start a sync", "full_sync": "Full sync (send everything again)", "state": "State",
        "kind": "Kind", "progress": "Progress", "started": "Started", "finished": "Finished",
        "errors": "Errors", "sync_job": "Sync", "step": "Step", "no_syncs": "No syncs yet.",
        "sync_started": "Sync {id} started.", "refreshing": "This page refreshes every 2 seconds while the sync runs.",
        "sync_sent_none": "Nothing was sent: no buyer app has subscribed to this cooperative's catalogue updates "
                          "yet. Buyer apps still get the whole catalogue every time they search.",
        "sync_sent_nothing_changed": "Checked {items} items: nothing changed since each buyer app's last update, "
                                     "so nothing was sent.",
        "sync_sent": "Sent {changed} changed items (of {items}) to {subscribers} buyer apps, in {pushed} messages.",
        "sync_details": "Figures",
        "err_refused": "The buyer app's server refused the connection: it may be down. We try again.",
        "err_dns": "The buyer app's address could not be found (DNS). We try again.",
        "err_timeout": "The buyer app did not answer in time. We try again.",
        "err_tls": "The buyer app's HTTPS certificate was not accepted.",
        "err_unsafe": "The buyer app's address is not allowed (a private address, or not https).",
        "err_ttl": "The buyer app's time to answer (ttl) ran out before it could be delivered.",
        "err_signature": "The buyer app rejected our signature: check our registry keys.",
        "err_nack": "The buyer app refused the message (NACK).",
        "err_server": "The buyer app's server failed. We try again.",
        "recorded_error": "As recorded",
        "order_transaction": "Every network message of this order, with payloads and delivery attempts",
        "order": "Order", "total": "Total", "created": "Received", "fulfilment": "Delivery",
        "no_orders": "No orders yet.", "buyer": "Buyer", "address": "Delivery address", "quote": "Price breakup",
        "quantity": "Quantity", "timeline": "Timeline", "events": "Order history", "messages": "Network messages",
        "actions": "Next steps", "no_actions": "Nothing to do for this order now.", "reason": "Reason",
        "action_done": "Done: {action}.", "action_failed": "Could not {action}: {error}", "when": "When",
        "who": "By", "direction": "Direction", "action": "Action", "status": "Status",
        "signature": "Signature", "answer": "Answer", "attempts": "Attempts", "dead": "Dead letters",
        "pending": "Pending", "replay": "Replay", "replay_all": "Replay all dead letters",
        "maybe_delivered": "May already have reached the buyer app: a send whose result was lost.",
        "replay_anyway": "Send again anyway",
        "replayed": "Replayed {count} message(s).", "transaction_id": "Transaction id", "search": "Search",
        "no_messages": "No messages.", "error": "Error",
        "failed_requests": "Failed requests",
        "failed_requests_help": "Requests a handler failed on. Each buyer app got an error callback; the cause is "
                                "shown here and in the transaction's timeline.", "not_found": "Not found.",
        "bad_request": "The form was stale or incomplete. Go back, reload and try again.",
        "forbidden": "Operators only.", "item_id": "Item id", "mrp": "MRP", "description": "Description",
        "back": "Back", "cooperatives": "Cooperatives", "last_error": "Last error", "bap": "Buyer app",
        "part_cancel_qty": "Quantity to cancel", "return_id": "Return id",
        "act_accept": "Accept", "act_reject": "Reject", "act_pack": "Mark packed",
        "act_assign_agent": "Agent assigned", "act_out_for_pickup": "Out for pickup", "act_at_pickup": "At pickup",
        "act_pickup_failed": "Pickup failed", "act_pick_up": "Picked up", "act_ship": "Ship",
        "act_out_for_delivery": "Out for delivery", "act_at_delivery": "At delivery",
        "act_deliver": "Mark delivered", "act_cancel": "Cancel order", "act_initiate_rto": "Return to origin",
        "act_part_cancel": "Cancel part", "act_approve_return": "Approve return",
        "act_reject_return": "Reject return", "act_return_picked": "Return picked up",
        "act_return_delivered": "Return received", "act_liquidate": "Liquidate",
        "act_rto_delivered": "RTO delivered", "act_rto_disposed": "RTO disposed",
        "act_at_destination_hub": "At destination hub", "act_delivery_failed": "Delivery failed",
        "rejections": "Refused by buyer apps",
        "rejections_help": "Buyer apps did not show these items or this shop. Fix the row and column named, upload "
                           "the sheet again, then press Done.",
        "item": "Item", "version": "version", "buyer_app_words": "Buyer app's words", "buyer_app": "Buyer app",
        "dismiss": "Done", "rejection_dismissed": "Marked as done.", "profile_field": "Shop profile field",
    },
    "hi": {
        "app": "ओडीओपी विक्रेता कंसोल", "skip": "मुख्य सामग्री पर जाएँ", "language": "भाषा",
        "switch": "English", "nav": "मुख्य मेन्यू", "home": "मुखपृष्ठ", "catalogue": "सूची (कैटलॉग)",
        "syncs": "सिंक", "orders": "ऑर्डर", "operator": "संचालक", "outbox": "आउटबॉक्स",
        "transactions": "लेन-देन", "logout": "साइन आउट", "login": "साइन इन", "api_key": "एपीआई कुंजी",
        "login_help": "अपनी सहकारी समिति की एपीआई कुंजी डालें (संचालक: एडमिन कुंजी)।",
        "login_failed": "यह कुंजी पहचानी नहीं गई।", "signed_in_as": "साइन इन:", "admin": "संचालक (एडमिन)",
        "too_many_attempts": "इस डिवाइस से बहुत बार गलत कुंजी डाली गई। कृपया {wait} सेकंड बाद फिर कोशिश करें।",
        "items": "उत्पाद", "enabled_items": "बिक्री पर उत्पाद", "orders_open": "खुले ऑर्डर",
        "orders_today": "आज के ऑर्डर", "last_sync": "पिछला सिंक", "none": "कोई नहीं",
        "no_cooperative": "कोई सहकारी समिति नहीं (ऐसे अनुरोधों के जवाब जिनमें कोई समिति नहीं)", "photo": "फ़ोटो",
        "name": "नाम", "price": "कीमत (₹)", "stock": "स्टॉक", "enabled": "बिक्री पर", "save": "सहेजें",
        "preview": "झलक", "yes": "हाँ", "no": "नहीं", "template": "टेम्पलेट डाउनलोड करें", "category": "श्रेणी",
        "download": "डाउनलोड", "upload": "कैटलॉग अपलोड करें", "file": "कैटलॉग फ़ाइल (CSV, XLSX या JSON)",
        "upload_btn": "अपलोड करें",
        "upload_bad": "{count} समस्या(एँ) मिलीं। कुछ भी आयात नहीं हुआ: इन्हें ठीक करके पूरी फ़ाइल फिर से अपलोड करें।",
        "upload_ok": "{count} उत्पाद आयात हुए।", "upload_same": "यह फ़ाइल मौजूदा कैटलॉग जैसी ही है।",
        "upload_working": "फ़ाइल ({size} KB) की जाँच और आयात हो रहा है। यह पेज अपने-आप ताज़ा होता है; आप इसे छोड़कर बाद में "
                          "लौट सकते हैं।",
        "back_to_catalogue": "कैटलॉग पर वापस जाएँ",
        "plan_title": "देखें कि यह फ़ाइल क्या बदलेगी", "plan_counts": "अभी बिक्री पर उत्पाद: {before}। फ़ाइल में: {after}।",
        "plan_nothing": "कुछ नहीं बदलेगा: फ़ाइल कैटलॉग जैसी ही है।",
        "plan_stale": "इस फ़ाइल की जाँच के बाद कैटलॉग बदल गया (कोई और अपलोड या वापसी): अब यह इतना बदलेगी। "
                      "लागू करने से पहले फिर से देख लें।",
        "plan_removes_many": "यह फ़ाइल आपके {before} में से {removed} उत्पाद बिक्री से हटा देगी।",
        "plan_template": "यह बिना बदला हुआ टेम्पलेट है: इसमें केवल उदाहरण वाली पंक्ति है।",
        "plan_conflicts": "{count} उत्पाद फ़ाइल की गिनती के बाद बिके या फिर से गिने गए: दिखाया गया स्टॉक वे "
                          "बिक्री और नई गिनती मानकर है।",
        "plan_added": "नए उत्पाद", "plan_removed": "हटाए जाने वाले उत्पाद", "plan_edited": "अन्य बदलाव वाले उत्पाद",
        "plan_prices": "कीमत में बदलाव", "plan_stock": "स्टॉक में बदलाव",
        "plan_stock_line": "स्टॉक {now} → {new} (फ़ाइल में {sheet}, तब से बिके {sold})",
        "plan_conflict": "फ़ाइल की गिनती के बाद बिका या फिर से गिना गया।",
        "plan_held": "एक ही नग, पहले ही बिक चुका: बिक्री से बाहर रहेगा।",
        "plan_confirm_removal": "हाँ, मैं ये उत्पाद हटाना चाहता/चाहती हूँ", "plan_counted_now":
            "यह स्टॉक मैंने अभी गिना है (फ़ाइल की संख्या जैसी है वैसी लें)",
        "plan_apply": "ये बदलाव लागू करें", "plan_discard": "रद्द करें: कुछ न बदलें",
        "upload_discarded": "फ़ाइल आयात नहीं हुई; कुछ नहीं बदला।",
        "undo": "पिछला अपलोड वापस लें", "undone": "कैटलॉग पिछले अपलोड से पहले जैसा हो गया है।",
        "download_catalogue": "कैटलॉग डाउनलोड करें",
        "closure": "दुकान कुछ समय के लिए बंद?",
        "closure_help": "त्योहार या सर्दी के लिए बंद कर रहे हैं? बताएँ कब तक: खरीदार ऐप को तुरंत बताया जाएगा, और "
                        "दोबारा खोलने तक कोई ऑर्डर नहीं आएगा।",
        "closed_until": "{until} तक बंद: कोई ऑर्डर नहीं लिया जाता।",
        "closure_planned": "{start} से {until} तक बंद रहेगी।",
        "closed_from": "कब से बंद (खाली: आज से)", "closed_until_label": "कब तक बंद (बंद रहने का आख़िरी दिन)",
        "closure_note": "खरीदारों के लिए टिप्पणी (वैकल्पिक)", "closure_save": "बंदी सहेजें",
        "reopen": "दुकान अभी फिर खोलें", "reopened": "दुकान फिर खुल गई है; खरीदार ऐप को बताया जा रहा है।",
        "closure_saved": "बंदी सहेजी गई; खरीदार ऐप को बताया जा रहा है।",
        "closure_bad": "बंदी सहेजी नहीं गई:",
        "sure": "हाँ, मुझे यक़ीन है: इसे वापस नहीं लिया जा सकता",
        "returns": "वापसी", "return_waiting": "वापसी का अनुरोध: फ़ैसला करें", "returns_to_decide": "फ़ैसले के लिए वापसी",
        "return_reason": "कारण", "return_photos": "फ़ोटो", "decide_by": "फ़ैसला इतने बजे तक",
        "buyer_words": "खरीदार के शब्द", "requested": "अनुरोध",
        "tick_sure": "कुछ नहीं किया गया: {action} के लिए \"हाँ, मुझे यक़ीन है\" पर निशान लगाएँ।",
        "closure_until_needed": "बंद रहने का आख़िरी दिन बताएँ, आज या उसके बाद का।",
        "row": "पंक्ति", "column": "कॉलम", "value": "मान", "fix": "कैसे ठीक करें", "saved": "{item} सहेजा गया।",
        "no_items": "अभी कोई उत्पाद नहीं: टेम्पलेट डाउनलोड करें, भरें और अपलोड करें।",
        "cooperative": "सहकारी समिति", "choose_coop": "सहकारी समिति चुनें", "show": "दिखाएँ",
        "start_sync": "सिंक शुरू करें", "full_sync": "पूरा सिंक (सब कुछ फिर से भेजें)", "state": "स्थिति",
        "kind": "प्रकार", "progress": "प्रगति", "started": "शुरू", "finished": "समाप्त", "errors": "त्रुटियाँ",
        "sync_job": "सिंक", "step": "चरण", "no_syncs": "अभी कोई सिंक नहीं।", "sync_started": "सिंक {id} शुरू हुआ।",
        "refreshing": "सिंक चलने तक यह पेज हर 2 सेकंड में ताज़ा होता है।",
        "sync_sent_none": "कुछ नहीं भेजा गया: अभी किसी खरीदार ऐप ने इस सहकारी समिति के कैटलॉग बदलाव नहीं माँगे हैं। "
                          "खरीदार ऐप हर खोज पर पूरा कैटलॉग फिर भी पाते हैं।",
        "sync_sent_nothing_changed": "{items} सामान जाँचे: किसी खरीदार ऐप के पिछले अपडेट के बाद कुछ नहीं बदला, "
                                     "इसलिए कुछ नहीं भेजा गया।",
        "sync_sent": "{items} में से {changed} बदले हुए सामान {subscribers} खरीदार ऐप को {pushed} संदेशों में भेजे गए।",
        "sync_details": "आँकड़े",
        "err_refused": "खरीदार ऐप के सर्वर ने कनेक्शन मना कर दिया: वह शायद बंद है। हम फिर कोशिश करेंगे।",
        "err_dns": "खरीदार ऐप का पता नहीं मिला (DNS)। हम फिर कोशिश करेंगे।",
        "err_timeout": "खरीदार ऐप ने समय पर जवाब नहीं दिया। हम फिर कोशिश करेंगे।",
        "err_tls": "खरीदार ऐप का HTTPS प्रमाणपत्र स्वीकार नहीं हुआ।",
        "err_unsafe": "खरीदार ऐप का पता मान्य नहीं है (निजी पता, या https नहीं)।",
        "err_ttl": "पहुँचाने से पहले खरीदार ऐप का जवाब-समय (ttl) खत्म हो गया।",
        "err_signature": "खरीदार ऐप ने हमारा हस्ताक्षर नहीं माना: हमारी रजिस्ट्री कुंजियाँ जाँचें।",
        "err_nack": "खरीदार ऐप ने संदेश मना कर दिया (NACK)।",
        "err_server": "खरीदार ऐप का सर्वर विफल रहा। हम फिर कोशिश करेंगे।",
        "recorded_error": "जैसा दर्ज हुआ",
        "order_transaction": "इस ऑर्डर के सभी नेटवर्क संदेश, उनके पूरे रूप और भेजने की कोशिशों के साथ",
        "order": "ऑर्डर", "total": "कुल",
        "created": "प्राप्त", "fulfilment": "डिलीवरी", "no_orders": "अभी कोई ऑर्डर नहीं।", "buyer": "खरीदार",
        "address": "डिलीवरी पता", "quote": "कीमत का ब्योरा", "quantity": "मात्रा", "timeline": "समय-रेखा",
        "events": "ऑर्डर का इतिहास", "messages": "नेटवर्क संदेश", "actions": "अगले कदम",
        "no_actions": "इस ऑर्डर पर अभी कुछ करना नहीं है।", "reason": "कारण", "action_done": "हो गया: {action}।",
        "action_failed": "{action} नहीं हो सका: {error}", "when": "कब", "who": "किसने", "direction": "दिशा",
        "action": "कार्य", "status": "स्थिति", "signature": "हस्ताक्षर", "answer": "उत्तर",
        "attempts": "प्रयास", "dead": "विफल संदेश", "pending": "लंबित", "replay": "फिर से भेजें",
        "maybe_delivered": "शायद खरीदार ऐप तक पहुँच चुका है: एक भेजे गए संदेश का परिणाम दर्ज नहीं हुआ।",
        "replay_anyway": "फिर भी दोबारा भेजें",
        "replay_all": "सभी विफल संदेश फिर से भेजें", "replayed": "{count} संदेश फिर से भेजे गए।",
        "transaction_id": "लेन-देन आईडी", "search": "खोजें", "no_messages": "कोई संदेश नहीं।", "error": "त्रुटि",
        "failed_requests": "विफल अनुरोध",
        "failed_requests_help": "जिन अनुरोधों पर काम पूरा नहीं हो सका। हर खरीदार ऐप को त्रुटि वाला उत्तर भेजा गया; "
                                "कारण यहाँ और लेन-देन की समय-रेखा में दिखता है।",
        "not_found": "नहीं मिला।", "bad_request": "फ़ॉर्म पुराना या अधूरा था। वापस जाएँ, पेज ताज़ा करें और फिर कोशिश करें।",
        "forbidden": "केवल संचालकों के लिए।", "item_id": "उत्पाद आईडी", "mrp": "एमआरपी", "description": "विवरण",
        "back": "वापस", "cooperatives": "सहकारी समितियाँ", "last_error": "पिछली त्रुटि", "bap": "खरीदार ऐप",
        "part_cancel_qty": "रद्द करने की मात्रा", "return_id": "वापसी आईडी",
        "act_accept": "स्वीकार करें", "act_reject": "अस्वीकार करें", "act_pack": "पैक हो गया",
        "act_assign_agent": "एजेंट तय", "act_out_for_pickup": "पिकअप के लिए निकला", "act_at_pickup": "पिकअप पर",
        "act_pickup_failed": "पिकअप विफल", "act_pick_up": "पिकअप हो गया", "act_ship": "भेजें",
        "act_out_for_delivery": "डिलीवरी के लिए निकला", "act_at_delivery": "डिलीवरी पर",
        "act_deliver": "डिलीवर हो गया", "act_cancel": "ऑर्डर रद्द करें", "act_initiate_rto": "मूल स्थान पर वापसी",
        "act_part_cancel": "आंशिक रद्द करें", "act_approve_return": "वापसी स्वीकारें",
        "act_reject_return": "वापसी अस्वीकारें", "act_return_picked": "वापसी उठाई गई",
        "act_return_delivered": "वापसी प्राप्त", "act_liquidate": "निपटान करें",
        "act_rto_delivered": "आरटीओ पहुँचा", "act_rto_disposed": "आरटीओ निपटाया",
        "act_at_destination_hub": "गंतव्य हब पर", "act_delivery_failed": "डिलीवरी विफल",
        "rejections": "खरीदार ऐप ने अस्वीकार किया",
        "rejections_help": "खरीदार ऐप ने ये सामान या यह दुकान नहीं दिखाई। बताई गई पंक्ति और कॉलम ठीक करें, शीट फिर से "
                           "अपलोड करें, फिर 'हो गया' दबाएँ।",
        "item": "सामान", "version": "संस्करण", "buyer_app_words": "खरीदार ऐप के शब्द", "buyer_app": "खरीदार ऐप",
        "dismiss": "हो गया", "rejection_dismissed": "हो गया के रूप में दर्ज किया।",
        "profile_field": "दुकान की प्रोफ़ाइल में",
    },
}

# Seller cancellation reasons (ONDC RET 1.2) offered in the cancel form.
CANCEL_REASONS: dict[str, dict[str, str]] = {
    "002": {"en": "One or more items not available", "hi": "एक या अधिक उत्पाद उपलब्ध नहीं"},
    "005": {"en": "Merchant rejected the order", "hi": "विक्रेता ने ऑर्डर अस्वीकार किया"},
    "018": {"en": "Delivery pin code not serviceable", "hi": "डिलीवरी पिन कोड पर सेवा नहीं"},
    "022": {"en": "Order could not be packed in time", "hi": "ऑर्डर समय पर पैक नहीं हो सका"},
    "998": {"en": "Order confirmation failure", "hi": "ऑर्डर पुष्टि विफल"},
}
# Order, fulfilment, return and RTO states in plain words (the ONDC code stays in the page for operators).
STATES: dict[str, dict[str, str]] = {
    "Created": {"en": "New: accept or reject", "hi": "नया: स्वीकार या अस्वीकार करें"},
    "Accepted": {"en": "Accepted", "hi": "स्वीकार किया"},
    "In-progress": {"en": "On its way", "hi": "रास्ते में"},
    "Completed": {"en": "Completed", "hi": "पूरा हुआ"},
    "Cancelled": {"en": "Cancelled", "hi": "रद्द"},
    "Pending": {"en": "To pack", "hi": "पैक करना है"},
    "Packed": {"en": "Packed", "hi": "पैक हो गया"},
    "Agent-assigned": {"en": "Courier assigned", "hi": "कूरियर तय"},
    "Out-for-pickup": {"en": "Courier on the way to pick up", "hi": "कूरियर लेने आ रहा है"},
    "At-pickup": {"en": "Courier at the workshop", "hi": "कूरियर कार्यशाला पर"},
    "Pickup-failed": {"en": "Pick-up failed", "hi": "पिकअप नहीं हो सका"},
    "Order-picked-up": {"en": "Picked up by the courier", "hi": "कूरियर ने उठा लिया"},
    "In-transit": {"en": "In transit", "hi": "रास्ते में"},
    "At-destination-hub": {"en": "At the buyer's city hub", "hi": "खरीदार के शहर के केंद्र पर"},
    "Out-for-delivery": {"en": "Out for delivery", "hi": "डिलीवरी के लिए निकला"},
    "At-delivery": {"en": "At the buyer's door", "hi": "खरीदार के दरवाज़े पर"},
    "Delivery-failed": {"en": "Delivery failed", "hi": "डिलीवरी नहीं हो सकी"},
    "Order-delivered": {"en": "Delivered", "hi": "पहुँच गया"},
    "Return_Initiated": {"en": "Return requested", "hi": "वापसी का अनुरोध"},
    "Return_Approved": {"en": "Return approved", "hi": "वापसी स्वीकृत"},
    "Return_Rejected": {"en": "Return rejected", "hi": "वापसी अस्वीकृत"},
    "Return_Picked": {"en": "Return picked up", "hi": "वापसी का सामान उठाया"},
    "Return_Delivered": {"en": "Returned to the workshop", "hi": "सामान कार्यशाला वापस आया"},
    "Liquidated": {"en": "Written off (not sent back)", "hi": "बट्टे खाते (वापस नहीं भेजा)"},
    "RTO-Initiated": {"en": "Coming back (not delivered)", "hi": "वापस आ रहा है (डिलीवर नहीं हुआ)"},
    "RTO-Delivered": {"en": "Back at the workshop", "hi": "कार्यशाला वापस आया"},
    "RTO-Disposed": {"en": "Disposed of by the courier", "hi": "कूरियर ने निपटा दिया"},
}


# A sync job's states, kinds and steps (adapter.store.sync, catalog_sync.services.sync).
SYNC_WORDS: dict[str, dict[str, str]] = {
    "queued": {"en": "Waiting to start", "hi": "शुरू होने की प्रतीक्षा"},
    "running": {"en": "Running", "hi": "चल रहा है"},
    "succeeded": {"en": "Done", "hi": "पूरा हुआ"},
    "failed": {"en": "Failed", "hi": "विफल"},
    "cancelled": {"en": "Cancelled", "hi": "रद्द"},
    "incremental": {"en": "Changes only", "hi": "केवल बदलाव"},
    "full": {"en": "Everything again", "hi": "सब कुछ फिर से"},
    "fetching source": {"en": "Fetching the sheet", "hi": "शीट ला रहे हैं"},
    "importing": {"en": "Importing", "hi": "आयात हो रहा है"},
    "comparing": {"en": "Comparing", "hi": "तुलना हो रही है"},
    "pushing": {"en": "Sending to buyer apps", "hi": "खरीदार ऐप को भेज रहे हैं"},
    "done": {"en": "Done", "hi": "पूरा हुआ"},
}


def sync_label(word: str | None) -> str:
    """A sync job's state, kind or step in the reader's language (the word itself when it has no label)."""
    return SYNC_WORDS.get(word or "", {}).get(current_language()) or (word or "")


def state_label(state: str | None) -> str:
    """A state in the reader's language (the state itself when it has no label)."""
    return STATES.get(state or "", {}).get(current_language()) or (state or "")


# Why a buyer returns an item (ONDC RET 1.2 return reason codes).
RETURN_REASONS: dict[str, dict[str, str]] = {
    "001": {"en": "Buyer does not want the product any more", "hi": "खरीदार अब उत्पाद नहीं चाहता"},
    "002": {"en": "Product available at a lower price", "hi": "उत्पाद कम कीमत पर उपलब्ध है"},
    "003": {"en": "Product damaged or not usable", "hi": "उत्पाद क्षतिग्रस्त या इस्तेमाल लायक नहीं"},
    "004": {"en": "Wrong quantity or size", "hi": "गलत मात्रा या आकार"},
    "005": {"en": "Not what was shown and ordered", "hi": "जो दिखाया और मँगाया गया, वह नहीं मिला"},
}
RTO_REASONS: dict[str, dict[str, str]] = {
    "011": {"en": "Buyer not found or cannot be contacted", "hi": "खरीदार नहीं मिला या संपर्क नहीं हुआ"},
    "012": {"en": "Buyer does not want the product any more", "hi": "खरीदार अब उत्पाद नहीं चाहता"},
    "013": {"en": "Buyer refused to accept delivery", "hi": "खरीदार ने डिलीवरी लेने से मना किया"},
    "014": {"en": "Address not found", "hi": "पता नहीं मिला"},
    "015": {"en": "Buyer not available at location", "hi": "खरीदार स्थान पर उपलब्ध नहीं"},
}


def current_language() -> str:
    """The toggle stored in the session wins; otherwise the browser's Accept-Language; otherwise English."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES, default="en") or "en"


def translate(key: str, **values: object) -> str:
    """The message for `key` in the current language (English, then the key itself, as fallbacks)."""
    lang = current_language()
    text = MESSAGES[lang].get(key) or MESSAGES["en"].get(key) or key
    return text.format(**values) if values else text


def validation_fix(message: str) -> str:
    """A validation report message in the reader's language (Hindi where the message is known)."""
    return to_hindi(message) if current_language() == "hi" else message


# What a failed delivery's recorded reason means, in words (the first pattern found in it wins).
_DELIVERY_ERRORS = (
    (("Connection refused", "[Errno 111]"), "err_refused"),
    (("Name or service not known", "name resolution", "nodename nor servname", "could not be resolved"), "err_dns"),
    (("timeout:", "timed out", "Read timed out"), "err_timeout"),
    (("CERTIFICATE", "SSLError", "certificate verify"), "err_tls"),
    (("unsafe callback URL",), "err_unsafe"),
    (("ttl expired",), "err_ttl"),
    (("HTTP 401",), "err_signature"),
    (("NACK",), "err_nack"),
    (("HTTP 5",), "err_server"),
)


def delivery_error(reason: str | None) -> str:
    """A delivery failure in words the operator's language has (the recorded text is shown beside it)."""
    if not reason:
        return ""
    lowered = reason.lower()
    for needles, key in _DELIVERY_ERRORS:
        if any(needle.lower() in lowered for needle in needles):
            return translate(key)
    return reason


def action_label(action: str) -> str:
    """A button label for an order action."""
    key = f"act_{action}"
    return translate(key) if key in MESSAGES["en"] else action.replace("_", " ")
