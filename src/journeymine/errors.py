"""Typed errors. Each message says what was wrong, where, and what was expected."""


class JourneymineError(Exception):
    """Base class: an error the user can fix (bad config, bad input), shown without a traceback."""


class ConfigError(JourneymineError):
    """The config file is missing, malformed, or has an unknown key or a bad value."""


class SourceError(JourneymineError):
    """A source's files cannot be read as its preset or mapping expects."""
