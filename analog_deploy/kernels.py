"""The C++ kernels of ``custom_ops/src/kernels`` (built into ``analog_deploy/lib`` by
``pip install``), called through ctypes: the fast path of inference.

The kernels fuse the element-wise stages of the analog MVM and the device physics into single
multi-threaded passes with a counter-based generator (ARS, on the AES instructions): torch has no fast way to draw
the millions of Gaussian numbers the model needs. They implement the same specification as the
pure-torch functions, which remain the reference and the path for autograd, other devices and
dtypes; tests hold the two together.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import functools
import math
import os
import threading
import warnings
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import torch
from torch import Generator, Tensor

from .config.io import IOParameters
from .config.enums import BoundManagementType, NoiseManagementType, WeightNoiseType
from .config.noise import PCMLikeNoiseModel

LIBRARY_NAME = "libanalog_deploy_ops.so"
ABI_VERSION = 10

_enabled = True

_P = ctypes.c_void_p
_I64 = ctypes.c_int64
_U64 = ctypes.c_uint64
_F = ctypes.c_float
_D = ctypes.c_double
_INT = ctypes.c_int
_SIGNATURES = {
    "ad_kernels_abi_version": [],
    "ad_fill_normal": [_P, _I64, _U64, _U64, _INT],
    "ad_input_stage": [_P, _I64, _I64, _I64, _D, _D, _INT, _P, _P, _P, _INT],
    "ad_gather_input_stage": [_P, _P, _I64, _P, _I64, _D, _D, _INT, _P, _P, _P, _INT],
    "ad_output_stage": [_P, _I64, _I64, _F, _P, _I64, _D, _D, _D, _D, _U64, _U64, _P, _P, _P, _I64, _P, _P, _P, _INT],
    "ad_tile_forward": [_P, _P, _I64, _P, _P, _I64, _I64, _P, _P, _P, _INT],
    "ad_pcm_program": [_P, _I64, _F, _F, _P, _INT, _F, _F, _U64, _P, _P, _P, _P, _P, _INT],
    "ad_pcm_drift": [_P, _P, _P, _P, _I64, _F, _D, _F, _F, _F, _F, _U64, _P, _INT],
}


_INT_MAX = 2**31 - 1  # the Fortran BLAS's integers
_FLOAT32 = torch.float32

_RESTYPES = {"ad_kernels_abi_version": ctypes.c_int, "ad_output_stage": _I64, "ad_tile_forward": _I64}


def library_path() -> str | None:
    """Where ``pip install`` put the kernel library, or None if this is an unbuilt source tree."""
    try:
        path = resources.files("analog_deploy.lib") / LIBRARY_NAME
    except ModuleNotFoundError:
        return None
    return str(path) if path.is_file() else None


@functools.cache
def _library() -> ctypes.CDLL | None:
    path = library_path()
    if path is None:
        return None
    try:
        library = ctypes.CDLL(path)
    except OSError as error:  # e.g. a runtime library missing on this machine
        warnings.warn(f"analog_deploy: cannot load {path} ({error}); using the slower torch path", stacklevel=2)
        return None
    for name, argtypes in _SIGNATURES.items():
        function = getattr(library, name)
        function.argtypes = argtypes
        function.restype = _RESTYPES.get(name)
    version = library.ad_kernels_abi_version()
    if version != ABI_VERSION:
        raise ImportError(
            f"{path} has kernel ABI {version}, this analog_deploy needs {ABI_VERSION}: reinstall "
            "the package (pip install .) so the library is rebuilt"
        )
    return library


def available() -> bool:
    """True if the compiled kernels are installed (and not switched off by ``disabled()``)."""
    return _enabled and _library() is not None


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Run the pure-torch reference path inside this block (for tests and comparisons)."""
    global _enabled
    previous, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = previous


@dataclasses.dataclass(frozen=True)
class GatheredVectors:
    """Input vectors read from ``source`` on demand: element j of vector r is
    ``source.flatten()[origins[r] + offsets[j]]``. Convolutions describe their patches this
    way, so the input stage reads them straight from the padded input instead of from a
    materialized patch matrix (kernel-size times larger)."""

    source: Tensor
    """Contiguous float32 tensor the vectors are gathered from."""
    origins: Tensor
    """int64 ``[rows]``: flat index of each vector's first element."""
    offsets: Tensor
    """int64 ``[cols]``: flat offset of each element from its vector's origin."""

    @property
    def shape(self) -> tuple[int, int]:
        return (self.origins.numel(), self.offsets.numel())

    def columns(self, start: int, stop: int) -> "GatheredVectors":
        """Elements ``start:stop`` of every vector (one tile's inputs)."""
        return dataclasses.replace(self, offsets=self.offsets[start:stop].contiguous())

    def materialize(self) -> Tensor:
        """The vectors as a ``[rows, cols]`` tensor (for the torch reference path)."""
        return self.source.reshape(-1)[self.origins[:, None] + self.offsets[None, :]]

    def index_select(self, dim: int, index: Tensor) -> "GatheredVectors":
        """The vectors ``index`` (``dim`` must be 0), as ``Tensor.index_select``."""
        if dim != 0:
            raise ValueError("GatheredVectors selects vectors (dim 0) only")
        return dataclasses.replace(self, origins=self.origins.index_select(0, index))


def applicable(*tensors: Tensor | GatheredVectors | None) -> bool:
    """Whether the kernels can stand in for the torch path: built, float32 on the CPU, and no
    gradient to propagate (the kernels are inference-only); None items are skipped. Called on
    every tile forward, so written for speed."""
    if not _enabled or _library() is None:
        return False
    grad = torch.is_grad_enabled()
    for item in tensors:
        if item is None:
            continue
        t = item.source if type(item) is GatheredVectors else item
        if t.dtype is not _FLOAT32 or not t.is_cpu or (grad and t.requires_grad):
            return False
    return True


def draw_key(generator: Generator | None) -> int:
    """A 63-bit ARS key from a torch generator, so the generator (saved in checkpoints)
    stays the single source of every random number."""
    return int(torch.randint(0, 2**63 - 1, (1,), generator=generator).item())


_NO_KEY = 2**64 - 1
"""NoiseStream's key word before a key is drawn (drawn keys have 63 bits)."""


class NoiseStream:
    """The forward noise of one tile on the kernel path: a 63-bit ARS key drawn from the
    tile's generator when first needed, then a call counter as the ARS stream, so every
    output-stage pass gets fresh numbers without a generator draw per call (a draw costs as
    much as a small layer's element-wise work). Key and counter live in a two-word C array,
    which ``ad_tile_forward`` advances itself. Tiles save both in checkpoints."""

    __slots__ = ("generator", "state", "_lock")

    def __init__(self, generator: Generator | None) -> None:
        self.generator = generator
        self.state = (ctypes.c_uint64 * 2)(_NO_KEY, 0)
        """{key, calls}, as ``AdTile.noise`` points to it."""
        self._lock = threading.Lock()

    @property
    def key(self) -> int | None:
        """The ARS key, None until drawn."""
        key = self.state[0]
        return None if key == _NO_KEY else key

    @key.setter
    def key(self, key: int | None) -> None:
        self.state[0] = _NO_KEY if key is None else key

    @property
    def calls(self) -> int:
        """The number of streams used so far: the next pass draws stream ``calls``."""
        return self.state[1]

    @calls.setter
    def calls(self, calls: int) -> None:
        self.state[1] = calls

    def __getstate__(self) -> tuple[Generator | None, int | None, int]:
        return self.generator, self.key, self.calls  # the C array itself does not pickle

    def __setstate__(self, state: tuple[Generator | None, int | None, int]) -> None:
        self.__init__(state[0])
        self.key, self.calls = state[1], state[2]

    def reset(self) -> None:
        """Draw a new key at the next call (after the generator was re-seeded)."""
        self.state[0], self.state[1] = _NO_KEY, 0

    def drawn_key(self) -> int:
        """The key, drawn from the generator if it has not been yet."""
        if self.state[0] == _NO_KEY:
            self.state[0] = draw_key(self.generator)
        return self.state[0]

    def next(self) -> tuple[int, int]:
        """(key, stream) of the next output-stage pass; threads that share the stream each get
        a stream of their own, as from ``ad_tile_forward``'s atomic counter."""
        with self._lock:
            key, stream = self.drawn_key(), self.state[1]
            self.state[1] = stream + 1
        return key, stream


def _ptr(tensor: Tensor | None) -> int | None:
    return None if tensor is None else tensor.data_ptr()


def _threads() -> int:
    return torch.get_num_threads()


def fill_normal(shape: tuple[int, ...], key: int, stream: int = 0) -> Tensor:
    """Standard normals from ARS (key, stream)."""
    out = torch.empty(shape, dtype=torch.float32)
    _library().ad_fill_normal(out.data_ptr(), out.numel(), key, stream, _threads())
    return out


def input_stage(
    x: Tensor | GatheredVectors, io: IOParameters, factor: Tensor | None
) -> tuple[Tensor, Tensor]:
    """Noise management and DAC: per-row scale (0 for all-zero rows) and integer levels."""
    rows, cols = x.shape
    scale = torch.empty(rows, dtype=torch.float32)
    levels = torch.empty(rows, cols, dtype=torch.float32)
    factor = None if factor is None else factor.contiguous()
    nm = int(io.noise_management == NoiseManagementType.ABS_MAX)
    if isinstance(x, GatheredVectors):
        _library().ad_gather_input_stage(
            x.source.data_ptr(), x.origins.data_ptr(), rows, x.offsets.data_ptr(), cols, io.inp_bound,
            io.inp_res, nm, _ptr(factor), scale.data_ptr(), levels.data_ptr(), _threads(),
        )
        return scale, levels
    if x.stride(-1) != 1:
        x = x.contiguous()
    _library().ad_input_stage(
        x.data_ptr(), rows, cols, x.stride(0), io.inp_bound, io.inp_res, nm, _ptr(factor), scale.data_ptr(),
        levels.data_ptr(), _threads(),
    )
    return scale, levels


def output_stage(
    y: Tensor,
    step: float,
    levels: Tensor,
    io: IOParameters,
    key: int,
    stream: int,
    row_scale: Tensor | None = None,
    col_scale: Tensor | None = None,
    alpha: Tensor | None = None,
    addend: Tensor | None = None,
    bias: Tensor | None = None,
) -> tuple[Tensor, int]:
    """Output noise (ARS ``(key, stream)``) and ADC in place on the contiguous ``y``, then (with
    ``row_scale``, ``col_scale`` and ``alpha``, one value or one per column)
    ``y * row_scale[:, None] * (col_scale * alpha)``, then ``addend + y`` (the earlier tiles'
    sum, contiguous like ``y``) and ``+ bias``; returns which rows saturated and how many."""
    rows, cols = y.shape
    saturated = torch.empty(rows, dtype=torch.bool)
    w_noise = io.w_noise if io.w_noise_type != WeightNoiseType.NONE else 0.0
    count = _library().ad_output_stage(
        y.data_ptr(), rows, cols, step, levels.data_ptr(), levels.shape[1], io.out_noise, w_noise,
        io.out_bound, io.out_res, key, stream, _ptr(row_scale), _ptr(col_scale), _ptr(alpha),
        0 if alpha is None else alpha.numel(), _ptr(addend), _ptr(bias), saturated.data_ptr(), _threads(),
    )
    return saturated, count


@functools.cache
def _torch_sgemm() -> int | None:
    """The address of the BLAS sgemm torch itself runs (MKL's Fortran ``sgemm_``, which
    libtorch_cpu exports in torch's x86-64 Linux builds), or None where torch has none.

    With it, one C call runs a whole tile (input stage, the same GEMM as ``F.linear``, output
    stage) instead of three calls from Python, whose per-call overhead is a tenth of a small
    layer's time."""
    path = Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"
    try:
        library = ctypes.CDLL(str(path), mode=os.RTLD_NOLOAD)  # the copy torch loaded, never another
        return ctypes.cast(library.sgemm_, ctypes.c_void_p).value
    except (OSError, AttributeError):
        return None


class _AdTile(ctypes.Structure):
    """``AdTile`` of custom_ops/src/kernels/c_api.h."""

    _fields_ = [
        ("weight", _P), ("out", _I64), ("col_scale", _P), ("alpha", _P), ("alpha_count", _I64), ("inp_bound", _D),
        ("inp_res", _D), ("abs_max_scaling", _I64), ("out_noise", _D), ("w_noise", _D), ("out_bound", _D),
        ("out_res", _D), ("bm_limit", _F), ("sgemm", _P), ("noise", _P),
    ]


class KernelTile:
    """A tile as ``tile_forward`` takes it: its ``[out, in]`` weights, output scales and
    compensation gain (contiguous float32 on the CPU: callers check with ``applicable``), its IO
    parameters and noise stream, packed once into the library's ``AdTile``.

    A programmed tile keeps one across its forwards, since all this changes only when the tile
    is programmed, drifted (``alpha`` is replaced, the weights rewritten in place), loaded or
    re-configured; ``holds`` tells whether it still describes the tile. Each forward then passes
    one pointer instead of two dozen converted arguments and the library advances the noise
    stream itself: between GEMMs Python runs several times slower than at batch 1 (its caches
    are evicted), so each saved step counts. Kept tiles took 0.01-0.02x of the digital forward
    off the MLP benchmark and 0.03x off the ResNet; the packed arguments (with the layer's
    direct parameter reads) another 0.01-0.02x off the MLP."""

    __slots__ = ("weight", "col_scale", "alpha", "io", "io_fields", "noise", "addresses", "out", "arguments", "pointer")

    def __init__(self, weight: Tensor, col_scale: Tensor, alpha: Tensor, io: IOParameters, noise: NoiseStream) -> None:
        self.weight, self.col_scale, self.alpha = weight.contiguous(), col_scale.contiguous(), alpha.contiguous()
        self.io, self.io_fields = io, dict(io.__dict__)  # copied: holds() sees fields set later
        self.noise = noise
        self.addresses = (self.weight.data_ptr(), self.col_scale.data_ptr(), self.alpha.data_ptr())
        self.out = self.weight.shape[0]
        iterative = io.bound_management is BoundManagementType.ITERATIVE
        self.arguments = _AdTile(
            self.addresses[0], self.out, self.addresses[1], self.addresses[2], self.alpha.numel(), io.inp_bound,
            io.inp_res, io.noise_management is NoiseManagementType.ABS_MAX, io.out_noise,
            0.0 if io.w_noise_type is WeightNoiseType.NONE else io.w_noise, io.out_bound, io.out_res,
            io.bound_management_limit() if iterative else -math.inf, _torch_sgemm(), ctypes.addressof(noise.state),
        )
        self.pointer = ctypes.addressof(self.arguments) if self.arguments.sgemm and self.out <= _INT_MAX else None
        """The ``AdTile*`` of ``ad_tile_forward``; None without torch's BLAS (or beyond its sizes)."""

    def holds(self, weight: Tensor, col_scale: Tensor, alpha: Tensor, io: IOParameters) -> bool:
        """Whether these are the tensors it was made from, on the same memory (which a copy of
        the module, or ``.data =``, would change), and the same IO parameters."""
        return (
            weight is self.weight
            and col_scale is self.col_scale
            and alpha is self.alpha
            and io is self.io
            and (weight.data_ptr(), col_scale.data_ptr(), alpha.data_ptr()) == self.addresses
            and io.__dict__ == self.io_fields
        )


def tile_forward(
    x: Tensor | GatheredVectors, tile: KernelTile, addend: Tensor | None = None, bias: Tensor | None = None
) -> Tensor:
    """One tile's analog MVM on the kernel path: input stage, ``levels @ tile.weight.T``, then
    ``output_stage`` with row scale ``scale`` and gain ``col_scale * alpha``, then ``addend``
    and ``bias``; then, with iterative bound management, rows that saturated while their input
    division factor is <= ``io.bound_management_limit()`` run again, in ascending order, with
    the factor doubled, until none is left. Each pass takes the next stream of the tile's noise.
    float32 throughout (``addend``: ``[rows, out]``)."""
    rows, cols = x.shape
    addend = None if addend is None else addend.contiguous()
    bias = None if bias is None else bias.contiguous()
    if tile.pointer is not None and rows and max(rows, cols) <= _INT_MAX:
        y = torch.empty(rows, tile.out, dtype=_FLOAT32)
        tile.noise.drawn_key()
        if type(x) is GatheredVectors:
            vectors = (x.source.data_ptr(), 0, x.origins.data_ptr(), x.offsets.data_ptr())
        else:
            x = x if x.stride(-1) == 1 else x.contiguous()
            vectors = (x.data_ptr(), x.stride(0), None, None)
        passes = _library().ad_tile_forward(
            tile.pointer, *vectors, rows, cols, _ptr(addend), _ptr(bias), y.data_ptr(), _threads()
        )
        if passes < 0:
            raise RuntimeError(f"ad_tile_forward refused a {rows} x {cols} by {cols} x {tile.out} product")
        return y
    # Without torch's BLAS (or beyond its 32-bit sizes): the same steps, three calls per pass.
    iterative = tile.io.bound_management is BoundManagementType.ITERATIVE
    y, saturated = _tile_pass(x, tile, addend, bias, None)
    factor = torch.ones(rows, dtype=_FLOAT32)
    limit = tile.io.bound_management_limit()
    while iterative and (redo := (saturated & (factor <= limit)).nonzero()[:, 0]).numel():
        factor[redo] *= 2.0
        y_redo, saturated_redo = _tile_pass(
            x.index_select(0, redo), tile, None if addend is None else addend.index_select(0, redo), bias,
            factor.index_select(0, redo),
        )
        y.index_copy_(0, redo, y_redo)
        saturated = torch.zeros_like(saturated)
        saturated[redo] = saturated_redo
    return y


def _tile_pass(
    x: Tensor | GatheredVectors, tile: KernelTile, addend: Tensor | None, bias: Tensor | None, factor: Tensor | None
) -> tuple[Tensor, Tensor]:
    """tile_forward's steps 1-5 and 7 in three calls (input stage, F.linear, output stage), the
    vectors divided by ``factor`` when given; returns the outputs and which rows saturated."""
    io = tile.io
    scale, levels = input_stage(x, io, factor)
    y = torch.nn.functional.linear(levels, tile.weight)
    row_scale = scale if factor is None else scale * factor
    step = io.inp_res * 2 * io.inp_bound if io.inp_res > 0 else 1.0
    saturated, _ = output_stage(
        y, step, levels, io, *tile.noise.next(), row_scale, tile.col_scale, tile.alpha, addend, bias
    )
    return y, saturated


def pcm_program(
    weight: Tensor, conductance_scale: float, model: PCMLikeNoiseModel, key: int
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """(G+, G-, nu+, nu-, programmed weights) of PCM devices for tile weights (see
    physics.pcm)."""
    weight = weight.contiguous()
    g_plus, g_minus, nu_plus, nu_minus, programmed = (torch.empty_like(weight) for _ in range(5))
    coeff = torch.tensor(model.prog_coeff, dtype=torch.float32)
    std_scale = model.prog_noise_scale * model.g_max / model.prog_coeff_g_max_reference
    _library().ad_pcm_program(
        weight.data_ptr(), weight.numel(), conductance_scale, model.g_max, coeff.data_ptr(), coeff.numel(),
        std_scale, model.drift_scale, key, g_plus.data_ptr(), g_minus.data_ptr(), nu_plus.data_ptr(),
        nu_minus.data_ptr(), programmed.data_ptr(), _threads(),
    )
    return g_plus, g_minus, nu_plus, nu_minus, programmed


def pcm_drift(
    g_plus: Tensor, g_minus: Tensor, nu_plus: Tensor, nu_minus: Tensor, conductance_scale: float,
    t_inference: float, model: PCMLikeNoiseModel, key: int, out: Tensor | None = None,
) -> Tensor:
    """Tile weights t_inference seconds after programming (see physics.pcm.drift), written
    into ``out`` when given (reusing a tile's buffer saves allocating it at every time)."""
    weight = torch.empty_like(g_plus) if out is None else out
    _library().ad_pcm_drift(
        g_plus.data_ptr(), g_minus.data_ptr(), nu_plus.data_ptr(), nu_minus.data_ptr(), g_plus.numel(),
        conductance_scale, t_inference, model.g_max, model.t_0, model.t_read, model.read_noise_scale, key,
        weight.data_ptr(), _threads(),
    )
    return weight
