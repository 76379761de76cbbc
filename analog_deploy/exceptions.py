"""Exceptions raised by analog-deploy (names as in aihwkit)."""


class ModuleError(Exception):
    """An analog module was used in a way its state does not allow (e.g. drifting weights in
    training mode, loading a checkpoint of an incompatible tile layout)."""
