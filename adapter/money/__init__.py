"""Money the cooperative accounts for: GST tax invoices and credit notes (docs/money.md)."""
