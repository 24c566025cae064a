from dispatch.cli import app

app()
