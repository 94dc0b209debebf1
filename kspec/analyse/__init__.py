"""Stage 4, analyse: static shapes and lint rules over a resolved spec. Never imports TensorFlow."""
