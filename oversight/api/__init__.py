"""The REST API's shared machinery: pagination, CSV rendering, throttling, errors, the token schema."""
