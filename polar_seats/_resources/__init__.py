"""The operations of Polar's API, one module per resource.

Each module declares its operations once (``_operation.Operation``: name, method, path
template, decoder, retry kind, credential), and the client's methods that check their
arguments, build the request from the declaration and leave sending, retries, pacing and
errors to the client's ``_call``. The client (``_client.AsyncClient``) inherits every
group; ``docs/architecture.md`` has the checklist for adding an operation.
"""
