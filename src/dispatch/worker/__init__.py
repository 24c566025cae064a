"""The background worker: outbox fan-out, signed webhook delivery with retries, and the
periodic jobs (abandoned uploads, expired idempotency records).

Runs inside `dispatch serve` (embedded) or alone as `dispatch worker`; any number of
workers may run at once: events are claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL
(SQLite has a single writer) and deliveries are leased, so none is sent twice concurrently
and a killed worker's leases lapse for another to take over.
"""
