"""Provider clients: small async libraries with no Home Assistant imports."""
