"""``analog-deploy export``: a checkpoint to an ONNX file with our analog ops."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from . import options


def add_parser(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "export",
        help="export a checkpoint to ONNX (analog layers as ai.analog_deploy ops)",
        description=(
            "Export a model to ONNX. CHECKPOINT is an analog checkpoint (the state_dict of a converted, "
            "programmed model) or a digital state_dict, which is converted with --config and programmed first."
        ),
    )
    parser.add_argument("checkpoint", type=Path, help="state_dict file (torch.save)")
    options.add_model(parser)
    parser.add_argument("--input-shape", required=True, type=options.shape,
                        help="shape of one example input, e.g. 1,1,8,8 (the batch dimension stays free)")
    options.add_config(parser)
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--t-inference", type=options.seconds, metavar="SECONDS",
                      help="drift the chip to this time after programming (e.g. 86400 or 1d)")
    when.add_argument("--time-parametric", action="store_true",
                      help="export the programmed devices with t_inference as a model input")
    parser.add_argument("--seed", type=int, default=0, help="programming and noise seed (default 0)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the .onnx file to write")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from .. import onnx as analog_onnx  # torch.onnx and onnxscript load slowly: only when exporting

    model = options.analog_model(args)
    example = torch.randn(args.input_shape)
    path = analog_onnx.export(
        model, example, args.output, t_inference=args.t_inference, seed=args.seed,
        time_parametric=args.time_parametric,
    )
    print(f"wrote {path}")
