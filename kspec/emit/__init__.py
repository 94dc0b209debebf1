"""Stage 5, emit: a resolved spec -> Keras objects (model, optimizer, loss, callbacks) and input data.

This is the first stage that imports TensorFlow/Keras; nothing below it may.
"""
