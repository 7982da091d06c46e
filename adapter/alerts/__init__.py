"""Alerts to cooperatives: a new order, a return requested, a complaint raised, told by webhook, email or a
channel the operator adds (docs/alerts.md).

- ``model``: the alert, the ``Channel`` protocol and its error, the webhook body and signature (pure);
- ``texts``: the alert's words in the cooperative's language (the console's gettext catalogues);
- ``channels``: the registry of channels, with the webhook and email channels;
- ``store``: each cooperative's choice, and the alert rows written with the event that causes them;
- ``service``: delivering one alert row (retries, backoff, giving up), and the console's test alert.
"""
