"""kspec: declarative Keras training specs. Validate, lint, compile and run."""

__version__ = "0.1.0"
