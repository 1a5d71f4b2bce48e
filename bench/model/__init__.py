"""What a model is: ``resolve_model`` turns a ``--model`` string into ModelSources; the GGUF
header reader (file or HTTP ranges), the Hugging Face hub (quant ladder, shards, verified
resumable downloads), published shapes and quant layouts, and synthetic twins live here.

Nothing under ``bench.model`` predicts or measures; ``bench.predictor`` and ``bench.run`` read
models only through these names.
"""

from __future__ import annotations

from bench.model._arch import ARCHITECTURES, Hparams
from bench.model._configs import hparams_from_config
from bench.model._download import cache_root, download, from_cache
from bench.model._gguf import GGUFError, GGUFHeader, read_header, read_local, tensor_nbytes
from bench.model._hub import MAX_SHARDS, RangeReader, list_ladder, parse_shard, quant_of
from bench.model._resolve import (
    ModelSource,
    load_local,
    local_shards,
    materialize,
    repo_ref,
    resolve_model,
)
from bench.model._shapes import SHAPES, spec_from_hparams, spec_from_shape, spec_from_synth
from bench.model._spec import FileFact, ModelSpec, TensorSpec, model_spec, model_spec_from_dict
from bench.model._split import split_gguf
from bench.model._synthetic import (
    ARCHES,
    MOE_ARCHES,
    SynthResult,
    SynthSpec,
    human_params,
    make_spec,
    parse_params,
    spec_for_params,
    synthesize,
    tensor_shapes,
)
from bench.model._twins import (
    TWIN_ARCHES,
    TWIN_QUANTS,
    Made,
    TwinSpec,
    make_synth,
    make_twin,
    small_twin,
)

__all__ = [
    "ARCHES",
    "ARCHITECTURES",
    "MAX_SHARDS",
    "MOE_ARCHES",
    "SHAPES",
    "TWIN_ARCHES",
    "TWIN_QUANTS",
    "FileFact",
    "GGUFError",
    "GGUFHeader",
    "Hparams",
    "Made",
    "ModelSource",
    "ModelSpec",
    "RangeReader",
    "SynthResult",
    "SynthSpec",
    "TensorSpec",
    "TwinSpec",
    "cache_root",
    "download",
    "from_cache",
    "hparams_from_config",
    "human_params",
    "list_ladder",
    "load_local",
    "local_shards",
    "make_spec",
    "make_synth",
    "make_twin",
    "materialize",
    "model_spec",
    "model_spec_from_dict",
    "parse_params",
    "parse_shard",
    "quant_of",
    "read_header",
    "read_local",
    "repo_ref",
    "resolve_model",
    "small_twin",
    "spec_for_params",
    "spec_from_hparams",
    "spec_from_shape",
    "spec_from_synth",
    "split_gguf",
    "synthesize",
    "tensor_nbytes",
    "tensor_shapes",
]
