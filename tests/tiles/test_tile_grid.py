"""Splitting a weight matrix into tiles and summing their outputs."""

from __future__ import annotations

import pytest
import torch

from analog_deploy.config import IdealNoiseModel, InferenceRPUConfig, IOParameters, MappingParameter
from analog_deploy.tiles import AnalogTile, split_ranges, tile_grid, tiled_mvm

# Multi-tile sums add up partial products in a different order than one GEMM, and each tile
# scales its block to max|w| = 1 and back: float32 differences ~1e-6 on O(1) outputs.
TOL = 1e-5


@pytest.mark.parametrize("size", [1, 2, 7, 16, 17, 100, 511, 512, 513, 1000, 1025, 1536, 2049])
@pytest.mark.parametrize("max_size", [1, 3, 16, 512])
def test_split_ranges_cover_exactly_with_balanced_pieces(size, max_size):
    ranges = split_ranges(size, max_size)
    expected_count = -(-size // max_size)  # fewest pieces
    assert len(ranges) == expected_count
    assert ranges[0][0] == 0 and ranges[-1][1] == size
    for (start, stop), (next_start, _) in zip(ranges, ranges[1:]):
        assert stop == next_start  # contiguous, no overlap
    sizes = [stop - start for start, stop in ranges]
    assert all(0 < s <= max_size for s in sizes)
    assert max(sizes) - min(sizes) <= 1  # balanced


def test_split_ranges_examples():
    assert split_ranges(512, 512) == [(0, 512)]
    assert split_ranges(513, 512) == [(0, 256), (256, 513)] or split_ranges(513, 512) == [(0, 257), (257, 513)]
    assert split_ranges(10, 4) in ([(0, 3), (3, 7), (7, 10)], [(0, 3), (3, 6), (6, 10)], [(0, 4), (4, 7), (7, 10)])


@pytest.mark.parametrize(("out_size", "in_size"), [(40, 50), (512, 512), (513, 1025), (1, 1)])
def test_tile_grid_covers_matrix_exactly(out_size, in_size):
    mapping = MappingParameter(max_input_size=16, max_output_size=24) if out_size < 100 else MappingParameter()
    grid = tile_grid(out_size, in_size, mapping)
    covered = torch.zeros(out_size, in_size, dtype=torch.int32)
    for (o0, o1), (i0, i1) in grid:
        assert 0 < o1 - o0 <= mapping.max_output_size
        assert 0 < i1 - i0 <= mapping.max_input_size
        covered[o0:o1, i0:i1] += 1
    assert torch.all(covered == 1)  # every weight on exactly one tile
    assert len(grid) == len(split_ranges(out_size, mapping.max_output_size)) * len(
        split_ranges(in_size, mapping.max_input_size)
    )
    assert grid == sorted(grid)  # row-major order


def make_tiles(config: InferenceRPUConfig, out_size: int, in_size: int) -> list[AnalogTile]:
    return [
        AnalogTile(out_range, in_range, config, seed=index)
        for index, (out_range, in_range) in enumerate(tile_grid(out_size, in_size, config.mapping))
    ]


def perfect_config(**mapping) -> InferenceRPUConfig:
    return InferenceRPUConfig(
        forward=IOParameters(is_perfect=True),
        noise_model=IdealNoiseModel(),
        drift_compensation=None,
        mapping=MappingParameter(**mapping),
    )


def weights_and_inputs(out_size=40, in_size=50, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(out_size, in_size, generator=generator), torch.randn(8, in_size, generator=generator)


@pytest.mark.parametrize(
    "mapping",
    [
        dict(max_input_size=16, max_output_size=24),
        dict(max_input_size=7, max_output_size=5, weight_scaling_columnwise=True),
        dict(max_input_size=50, max_output_size=13, weight_scaling_omega=0.0),
    ],
    ids=["tile_scaling", "column_scaling", "no_scaling"],
)
@pytest.mark.parametrize("use_programmed", [False, True])
def test_tiled_mvm_equals_single_tile_product_with_perfect_io(mapping, use_programmed):
    weight, x = weights_and_inputs()
    config = perfect_config(**mapping)
    tiles = make_tiles(config, 40, 50)
    assert len(tiles) > 1
    single = AnalogTile((0, 40), (0, 50), perfect_config(), seed=99)
    if use_programmed:
        for tile in tiles:
            tile.program(weight)
        single.program(weight)
    expected = x @ weight.T
    torch.testing.assert_close(tiled_mvm(tiles, x, weight, use_programmed), expected, rtol=TOL, atol=TOL)
    torch.testing.assert_close(tiled_mvm([single], x, weight, use_programmed), expected, rtol=TOL, atol=TOL)


def test_tiled_mvm_sums_independent_tile_outputs_with_default_io():
    # noise off, default DAC/ADC: each tile quantizes its own input slice and output, the
    # digital periphery adds the tiles of a row band and concatenates the bands
    weight, x = weights_and_inputs(seed=1)
    config = InferenceRPUConfig(
        forward=IOParameters(out_noise=0.0), noise_model=IdealNoiseModel(), drift_compensation=None,
        mapping=MappingParameter(max_input_size=16, max_output_size=24),
    )
    tiles = make_tiles(config, 40, 50)
    y = tiled_mvm(tiles, x, weight, use_programmed=False)
    expected = torch.zeros(8, 40)
    for tile in tiles:
        (o0, o1), (i0, i1) = tile.out_range, tile.in_range
        expected[:, o0:o1] += tile(x[:, i0:i1], weight, use_programmed=False)
    assert torch.equal(y, expected)
    relative = (y - x @ weight.T).norm() / (x @ weight.T).norm()
    assert 1e-4 < relative < 0.05  # quantized (7-bit DAC, 9-bit ADC), but close


def test_tile_forward_uses_only_its_block():
    weight, x = weights_and_inputs(seed=2)
    tile = AnalogTile((8, 24), (16, 32), perfect_config(), seed=0)
    y = tile(x[:, 16:32], weight, use_programmed=False)
    torch.testing.assert_close(y, x[:, 16:32] @ weight[8:24, 16:32].T, rtol=TOL, atol=TOL)
    assert tile.block(weight).shape == (16, 16)
