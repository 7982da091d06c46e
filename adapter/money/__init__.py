"""Money the cooperative can account for: what each order earned, what the buyer app kept and paid, and when.

- ``ledger``: the pure figures of one order (value, finder fee, withholding, TCS/TDS, refunds, the settlement
  expected and received, its state), from facts passed in;
- ``recon``: RSF 2.0 reconciliation, pure: a collector's figures against ours, and our ``on_recon`` entries;
- ``payouts``: what each artisan's items earned in a period, pure: each order split between its lines to the
  paisa of its ledger, less the cooperative's share;
- ``export``: the accountant's CSV files (the ledger's and the payouts') and the monthly totals;
- ``store``: the ledger's facts read from the database, and the collectors' figures kept;
- ``service``: answering a buyer app's ``recon`` (the worker's handler), and a cooperative's artisan payouts;
- ``gst``, ``words``, ``documents``: GST tax invoices and credit notes, pure (the tax split, amounts in words, the
  frozen document); ``invoices``: their gapless numbers and storage (``adapter.orders.invoicing`` issues them).

docs/money.md explains the rules and what is assumed.
"""
