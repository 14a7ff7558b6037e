"""journeymine: mine real customer journeys from clickstream, call-center and store logs."""

__version__ = "0.1.0"
