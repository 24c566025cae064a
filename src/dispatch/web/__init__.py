"""The web channel: the agent dashboard (and next the customer portal), rendered on the
server with Jinja2 and htmx. Routes build a member actor from the session cookie and call
the same services as the API, through the same transaction runner."""
