"""The version of kspec, in a module of its own so any stage can name it without importing the package."""

__version__ = "0.1.0"
