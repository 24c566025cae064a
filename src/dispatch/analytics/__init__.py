"""Analytics: reports computed in SQL from the stored history (tickets, comments, the
activity log's status changes), per brand and across an account's brands."""
