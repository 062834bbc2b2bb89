"""Fan-out: the delivery rows planned at approval, leases, sending through the
channels, outcomes (retry, reconcile), the message roll-up, rate limits, the
sweeper, and the Celery app and tasks."""
