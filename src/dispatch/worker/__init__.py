"""The background worker: outbox fan-out, signed webhook delivery with retries, the email
channel's jobs, and timers (the periodic jobs: abandoned uploads, expired idempotency
records).

Runs inside `dispatch serve` (embedded) or alone as `dispatch worker`; any number of
workers may run at once: events are taken from each consumer's inbox with `FOR UPDATE SKIP
LOCKED` on PostgreSQL (SQLite has a single writer) and deliveries and timers are leased, so
none is handled twice and a killed worker's leases lapse for another to take over.
"""
