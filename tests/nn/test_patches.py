"""The C++ im2col kernel gathers exactly the patches of the torch reference."""

import pytest
import torch

from analog_deploy import kernels
from analog_deploy.nn.patches import extract_patches


@pytest.mark.skipif(not kernels.available(), reason="the C++ kernel library is not built")
@pytest.mark.parametrize(
    "shape, kernel, stride, dilation",
    [
        ((2, 3, 11), (3,), (2,), (1,)),
        ((2, 3, 9, 10), (3, 2), (1, 2), (2, 1)),
        ((1, 2, 5, 6, 7), (2, 3, 1), (1, 2, 3), (2, 1, 1)),
        ((3, 4, 8, 8), (1, 1), (2, 2), (1, 1)),
    ],
)
def test_kernel_im2col_equals_torch_reference(shape, kernel, stride, dilation):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    fast, fast_shape = extract_patches(x, kernel, stride, dilation)
    with kernels.disabled():
        reference, reference_shape = extract_patches(x, kernel, stride, dilation)
    assert fast_shape == reference_shape
    assert torch.equal(fast, reference)
