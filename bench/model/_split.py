"""Split a GGUF file into ``-0000K-of-0000N.gguf`` shards, as llama.cpp's gguf-split does.

The first shard keeps every metadata key; every shard carries ``split.no``, ``split.count`` and
``split.tensors.count``, which is what llama.cpp's loader needs to open the set from shard one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def shard_names(first: Path, count: int) -> list[Path]:
    """``model.gguf`` -> ``model-00001-of-00003.gguf`` … (llama.cpp's llama_split_path format)."""
    stem = first.name.removesuffix(".gguf")
    return [first.with_name(f"{stem}-{i:05d}-of-{count:05d}.gguf") for i in range(1, count + 1)]


def split_gguf(src: Path, dst: Path, count: int) -> list[Path]:
    """Write ``src`` as ``count`` shards named after ``dst``; tensors split evenly by count."""
    import gguf

    dst.parent.mkdir(parents=True, exist_ok=True)
    reader = gguf.GGUFReader(str(src))
    arch = str(reader.fields["general.architecture"].contents())
    per_shard = -(-len(reader.tensors) // count)
    writer = gguf.GGUFWriter(str(dst), arch, split_max_tensors=per_shard)
    for key, fld in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        vtype = fld.types[0]
        sub_type = fld.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, fld.contents(), vtype, sub_type=sub_type)
    for t in reader.tensors:
        data = np.asarray(t.data)
        # ReaderTensor.shape is ggml's ne (fastest dimension first); the writer wants numpy order.
        shape = [int(x) for x in reversed(t.shape.tolist())]
        if t.tensor_type in (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16):
            writer.add_tensor(t.name, data.reshape(shape), raw_dtype=t.tensor_type)
        else:
            writer.add_tensor(t.name, data, raw_shape=list(data.shape), raw_dtype=t.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return shard_names(dst, count)
