"""The fake's app core, which knows no resource: the clock, the store every resource's
tables build on, the route marker, the middleware, request validation, the faults and the
app that serves a route table."""
