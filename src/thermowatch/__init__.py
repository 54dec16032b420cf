"""thermowatch: predict and watch the temperature of oil-immersed power transformers."""

__version__ = "0.1.0"
