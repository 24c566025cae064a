"""Dashboard benchmark: the pages an agent loads all day (the inbox in its common views,
All inboxes, a ticket page, its history), fetched over HTTP from `dispatch serve` with a
signed-in session, on a brand of N tickets and a second brand a fifth its size.

    python -m bench.dashboard --db postgres --tickets 100000

The owner is made with `dispatch users create ... --password-stdin` and signs in through
the real `/signin` form; `wrk` then sends the session's cookie. Needs `wrk`. Results go
to bench/results/ as JSON and to a section of bench/RESULTS.md.
"""
