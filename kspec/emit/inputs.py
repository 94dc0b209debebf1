"""What ``model.fit`` / ``evaluate`` / ``predict`` consume: :class:`Inputs`, built by
:mod:`kspec.emit.data` and by the series, table and text builders it dispatches to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Inputs:
    """What ``model.fit`` / ``evaluate`` / ``predict`` consume."""

    train: Any
    """(x, y) arrays, or a tf.data.Dataset of batches."""
    validation: Any = None
    test: Any = None
    class_names: list[str] | None = None
    steps_per_epoch: int | None = None
    validation_steps: int | None = None
    batch_size: int = 32
    shuffle: bool = True
    fingerprint: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    skipped_files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Things the user should know about the data (printed by the runner)."""
    images: Any = None
    """The image-folder pipeline (``emit.images.ImageInputs``) these came from, for error messages."""
    state: Any = None
    """What a series, text or table run keeps after training (windows and normalisation, vocabulary, column layout)."""
    fixed_batch: Any = None
    """``n -> (x, y)``: ``n`` training samples as ``train`` yields them (decoded, scaled, no augmentation), read
    apart from ``train`` in a fixed order, so taking them changes nothing that training sees; the layer
    monitor's batch when ``train`` is a tf.data pipeline. None: arrays, or a source without one."""

    @property
    def in_memory(self) -> bool:
        return isinstance(self.train, tuple)

    def fit_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {}
        if self.in_memory:
            kw.update(x=self.train[0], y=self.train[1], batch_size=self.batch_size, shuffle=self.shuffle)
        else:
            kw.update(x=self.train, shuffle=False)  # a dataset shuffles itself; Keras warns otherwise
            if self.steps_per_epoch:
                kw["steps_per_epoch"] = self.steps_per_epoch
        if self.validation is not None:
            kw["validation_data"] = self.validation
            if self.validation_steps and not isinstance(self.validation, tuple):
                kw["validation_steps"] = self.validation_steps
        return kw
