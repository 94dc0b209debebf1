"""The rarer part of the ``compile`` vocabulary, one module per kind; :mod:`kspec.compiling` loads a
module the first time a spec names one of its members."""
