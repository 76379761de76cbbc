"""``analog-deploy convert``: a pretrained digital checkpoint to an analog checkpoint."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from .. import checkpoint
from ..convert import convert_to_analog
from ..files import write_atomic
from ..nn.model import analog_layers, program_analog_weights
from . import options


def add_parser(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "convert",
        help="convert a digital checkpoint to an analog checkpoint",
        description=(
            "Convert a pretrained model: every nn.Linear and nn.Conv1d/2d/3d becomes an analog layer with the "
            "given rpu config, programmed with --seed (one chip). The output is a state_dict that carries the "
            "configs and the chip's state; load it with analog_deploy.load_analog_checkpoint, or pass it to "
            "`analog-deploy evaluate`, `export` or `info` with the same --model."
        ),
    )
    parser.add_argument("checkpoint", type=Path,
                        help="a state_dict file (torch.save(model.state_dict())), or with --full-module a whole "
                             "pickled model (torch.save(model))")
    options.add_model(parser, required=False)
    parser.add_argument("--full-module", action="store_true",
                        help="CHECKPOINT is a whole pickled model, which then needs no --model; loading it can run "
                             "code, so it needs --trusted")
    options.add_config(parser)
    parser.add_argument("--exclude", nargs="+", default=[], metavar="NAME",
                        help="layers to keep digital: names or glob patterns (e.g. fc 'head.*')")
    parser.add_argument("--seed", type=int, default=0, help="programming seed (default 0)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the analog checkpoint to write")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    if args.full_module:
        if not args.trusted:
            raise ValueError("--full-module loads a pickled model, which can run code: add --trusted if you trust "
                             f"{args.checkpoint}")
        digital = checkpoint.load_module_file(args.checkpoint)
    elif args.model is None:
        raise ValueError("give --model PACKAGE.MODULE:FACTORY (the architecture of the state_dict), or --full-module "
                         "--trusted for a whole pickled model")
    else:
        digital = checkpoint.load_checkpoint(args.checkpoint, options.architecture(args), trusted=args.trusted)
    model = convert_to_analog(digital, options.config(args), exclude=args.exclude, seed=args.seed, inplace=True).eval()
    layers = [name for name, _ in analog_layers(model)]
    if not layers:
        raise ValueError("no layer was converted: the model has no nn.Linear or nn.Conv1d/2d/3d outside --exclude")
    program_analog_weights(model, seed=args.seed)
    write_atomic(args.output, lambda temporary: torch.save(model.state_dict(), temporary))
    tiles = sum(layer.analog_tile_count() for _, layer in analog_layers(model))
    plural = "s" if len(layers) != 1 else ""
    print(f"converted {len(layers)} layer{plural} ({tiles} tiles) with --config {args.config}; wrote {args.output}")
