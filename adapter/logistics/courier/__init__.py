"""A bundled test courier: an ONDC logistics seller (BPP) on ONDC:LOG10 and LOG11, for tests and the demo.

It verifies signed LOG requests against the registry like the adapter does, ACKs or NACKs them, and answers with
signed on_* callbacks; it quotes by distance and weight (`rates`), books parcels with an AWB, a label and a
tracking page, and moves them through the LOG states on a schedule or on command (`states`, `service`).
`odop-adapter courier` (adapter/cli/courier.py) runs it; docs/logistics.md, "The test courier".

Modules: `rates`, `states`, `checks` and `messages` are pure; `store` (its own SQLite file), `sender` (signed
POSTs), `service` (the rules) and `server` (WSGI, threads) do the rest.
"""
