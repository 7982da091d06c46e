"""The seller app as a logistics buyer on ONDC:LOG10 (hyperlocal) and ONDC:LOG11 (intercity): docs/logistics.md.

Pure modules: ``parcel`` (an order's weight and size), ``search`` (the LOG search we send), ``quotes`` (courier
catalogues read into quotes, and the choice by the cooperative's policy). With a session: ``couriers`` (asking
couriers and keeping their answers) and ``store`` (the tables). Orders ask this package for quotes; courier
callbacks reach orders through a worker. ``courier/``: the bundled test courier (``odop-adapter courier serve``), an
outside party that speaks to us only over the network.
"""
