"""The web page and HTTP API of `approval serve` (Starlette, served by uvicorn).

Imported only by `approval serve` and by scripts that mount the app: other commands never load
starlette or uvicorn. `from approval_cli.web.app import create_app`.
"""
