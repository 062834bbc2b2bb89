"""Notices: telling people what the desk needs from them.

A message sent for verification is told to the supervisors who may verify it
(those on duty first), escalated to every supervisor when it waits too long,
and its author hears of a rejection, a publication or a channel that failed.
Each notice is a row per (event, recipient, channel), written in the same
transaction as the action (an outbox); Celery tasks send the e-mail and webhook
rows after commit, under a lease, and the scheduler's pass picks up any whose
wake-up was lost. Live notices are read by the recipient's open consoles.
"""
