"""The live event stream: a brand's events as Server-Sent Events, resumable by event id.

The outbox's `stream` consumer (`consumer.py`, run by the worker) copies each event, with
the body a webhook would receive, into `stream_events` under a commit-ordered `seq`;
readers (`live.py`: the API's `GET /v1/brands/{brandId}/events/stream`, later the
dashboard) tail that table by `seq`, in short read-only transactions.
"""
