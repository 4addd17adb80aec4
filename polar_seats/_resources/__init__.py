"""The operations of Polar's API, one module per resource.

Each module builds its requests as values (``_protocol.Request``), names the model to
decode, and leaves sending, retries, pacing and errors to the client's ``_call``. The
client (``_client.AsyncClient``) inherits every group, so adding an operation touches only
its resource's module.
"""
