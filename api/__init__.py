"""HTTP service: FastAPI app, routes, widget and console. Nothing imports this package."""
