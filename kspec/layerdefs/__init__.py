"""The layer vocabulary, one module per family; :func:`kspec.layers.layer_class` loads a module
the first time a spec names one of its layers. :mod:`.arguments` holds the initializer,
regularizer and constraint objects, loaded the first time a spec writes one."""
