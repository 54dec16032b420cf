"""Error types shared by every layer.

A dependency-free leaf module: the core (``thermal``, ``data``, ``learn``) raises these, the shell
(CLI, service) turns them into exit code 2 or an HTTP 4xx with the message as the one sentence a
user reads. Anything else that escapes is an internal error (exit code 1, HTTP 500).
"""


class InputError(ValueError):
    """Bad input from a user: a file, a column, a value or an option.

    The message is one clear sentence naming the field, the row or the file.
    """


class NotFoundError(LookupError):
    """Something a user named does not exist (a transformer, a model, an alert)."""
