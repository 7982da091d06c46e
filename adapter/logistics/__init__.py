"""The seller app as a logistics buyer on ONDC:LOG10/LOG11 (DESIGN.md), and a bundled test courier."""
