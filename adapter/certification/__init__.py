"""Certification: ONDC's review checks a seller app's logs with its log-validation-utility.

* ``validator``: the vendored utility (third_party/ondc-validator), unpacked and run on a flow's messages, with
  the utility's known defects told apart from faults of ours;
* ``bundle``: a transaction's messages as ONDC's review asks for logs (one numbered file per message) and the
  utility's payload keys for them; ``export`` builds one from the stored timeline (``odop-adapter certify``).

docs/certification.md.
"""
