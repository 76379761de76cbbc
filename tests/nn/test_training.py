"""The torch path is differentiable: hardware-aware training updates the target weights."""

import torch

import analog_deploy as ad


def test_gradients_reach_weights_and_bias_through_the_noisy_forward(mlp):
    analog = ad.convert_to_analog(mlp, "pcm", seed=0).train()
    x = torch.randn(16, 20)
    analog(x).square().mean().backward()
    for _, layer in ad.analog_layers(analog):
        assert layer.weight.grad is not None and layer.weight.grad.abs().sum() > 0
        assert layer.bias.grad is not None


def test_hardware_aware_training_reduces_the_loss(cnn):
    torch.manual_seed(0)
    analog = ad.convert_to_analog(cnn, "pcm", seed=0).train()
    x = torch.randn(32, 3, 8, 8)
    target = torch.randint(0, 10, (32,))
    optimizer = torch.optim.Adam(analog.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(analog(x), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5


def test_training_mode_uses_live_weights_even_when_programmed():
    torch.manual_seed(0)
    layer = ad.AnalogLinear(8, 3, rpu_config=ad.preset("ideal")).eval()
    layer.program_analog_weights()
    with torch.no_grad():
        layer.weight.mul_(2.0)
    x = torch.randn(4, 8)
    layer.train()
    assert torch.allclose(layer(x), torch.nn.functional.linear(x, layer.weight, layer.bias), atol=1e-5)
