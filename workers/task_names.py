"""The name of every task, written once: senders (web, CLI, beat, other tasks) use these constants."""

PING = "odop.ping"
PROCESS_INBOUND = "odop.process_inbound"
DELIVER_OUTBOX = "odop.deliver_outbox"
RUN_SYNC = "odop.run_sync"
SCHEDULE_SYNCS = "odop.schedule_syncs"
SWEEP = "odop.sweep"
PULL_ORDERS = "odop.pull_orders"
