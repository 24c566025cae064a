"""The agent dashboard: a module per screen, each with a `router` (found by
`web.mount`), its templates under web/templates/."""
