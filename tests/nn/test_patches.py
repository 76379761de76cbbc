"""Patches gathered by offsets (the C++ input stage's view of a convolution input) are the
patches of the torch reference."""

import pytest
import torch

from analog_deploy import IOParameters, kernels
from analog_deploy.nn.patches import extract_patches, gathered_patches

CASES = [
    ((2, 3, 11), (3,), (2,), (1,), 1),
    ((2, 4, 9, 10), (3, 2), (1, 2), (2, 1), 2),
    ((1, 2, 5, 6, 7), (2, 3, 1), (1, 2, 3), (2, 1, 1), 1),
    ((3, 4, 8, 8), (1, 1), (2, 2), (1, 1), 4),
]


@pytest.mark.parametrize("shape, kernel, stride, dilation, groups", CASES)
def test_gathered_patches_are_the_reference_patches(shape, kernel, stride, dilation, groups):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    gathered, out_shape = gathered_patches(x, kernel, stride, dilation, groups)
    patches, reference_shape = extract_patches(x, kernel, stride, dilation)
    assert out_shape == reference_shape
    reference = patches.view(patches.shape[0], groups, -1).unbind(1)
    for vectors, expected in zip(gathered, reference):
        assert torch.equal(vectors.materialize(), expected)
        assert torch.equal(vectors.columns(1, 4).materialize(), expected[:, 1:4])
        rows = torch.tensor([0, 2])
        assert torch.equal(vectors.index_select(0, rows).materialize(), expected[rows])


@pytest.mark.skipif(not kernels.available(), reason="the C++ kernel library is not built")
@pytest.mark.parametrize("shape, kernel, stride, dilation, groups", CASES)
def test_gather_input_stage_equals_the_dense_input_stage(shape, kernel, stride, dilation, groups):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(1))
    gathered, _ = gathered_patches(x, kernel, stride, dilation, groups)
    io = IOParameters()
    for vectors in gathered:
        factor = torch.full((vectors.shape[0],), 2.0)
        for f in (None, factor):
            scale, levels = kernels.input_stage(vectors, io, f)
            dense_scale, dense_levels = kernels.input_stage(vectors.materialize(), io, f)
            assert torch.equal(scale, dense_scale) and torch.equal(levels, dense_levels)
