"""The HTTP front: the app, the one request pipeline, wire helpers and the server."""
