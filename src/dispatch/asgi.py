"""ASGI entry point for uvicorn (`dispatch.asgi:app`), configured from the environment."""

import gc

from dispatch.app import create_app
from dispatch.core import parent

app = create_app()

# One of several server processes of `dispatch serve`: it stops when `serve` is gone.
parent.stop_with_serve()

# What is loaded by now (modules, the app, its routes and models) lives as long as the
# process: the collector need not walk it again at each full collection. Measured on the
# dashboard's inbox: full collections of 100-160 ms, one every few requests, made its p95.
gc.freeze()
