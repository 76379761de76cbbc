"""Analog tiles: the analog MVM, one crossbar's state, and splitting layers into tiles."""

from .array import split_ranges, tile_grid, tiled_mvm
from .mvm import analog_mvm, probe_outputs
from .tile import AnalogTile

__all__ = ["AnalogTile", "analog_mvm", "probe_outputs", "split_ranges", "tile_grid", "tiled_mvm"]
