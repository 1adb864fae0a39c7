"""rapidocr's ONNX models rewritten to run faster with the same arithmetic.

PaddleOCR's PP-OCRv4 models were exported with each convolution followed by a scalar scale and
shift ("learnable affine" blocks) and with hard-swish spelt out as four operations (add 3, clip,
multiply, divide by 6). ONNX Runtime fuses neither: the constant comes first in each ``Mul`` and
its convolution fusions want it second. So each convolution's output and input passed through
six to eight element-wise operations, a third of the recogniser's time (docs/ocr.md). Here:

- a scalar ``Mul``/``Add`` after a ``Conv`` goes into its weights and bias;
- a scalar ``Mul`` before a ``Conv`` goes into its weights (zero padding stays zero); an ``Add``
  goes into the bias when the convolution has no padding, and before a padded one a ``Mul``
  then ``Add`` becomes one ``Add`` (``a * x + d = a * (x + d / a)``);
- ``x * clip(x + 3, 0, 6) / 6`` becomes ``x * HardSigmoid(x)``, which ONNX Runtime fuses into
  the convolution before it.

The model is edited as protobuf messages through a subset of ONNX's schema declared here (the
``onnx`` package takes 1.7 CPU s to import): fields not declared are kept as they are.
"""

from __future__ import annotations

import collections
import functools
from typing import Any

import numpy as np
from numpy.typing import NDArray

FLOAT = 1  # TensorProto.DataType.FLOAT and AttributeProto.AttributeType.FLOAT in ONNX

# Each message's fields as "name=number:type", "*" for a repeated field: ONNX's field numbers
# (onnx.proto), which ONNX never changes.
_SCHEMA = {
    "TensorProto": "dims=1:int64* data_type=2:int32 float_data=4:float* name=8:string "
    "raw_data=9:bytes",
    "AttributeProto": "name=1:string f=2:float t=5:TensorProto ints=8:int64* type=20:int32",
    "NodeProto": "input=1:string* output=2:string* name=3:string op_type=4:string "
    "attribute=5:AttributeProto* domain=7:string",
    "ValueInfoProto": "name=1:string",
    "GraphProto": "node=1:NodeProto* initializer=5:TensorProto* output=12:ValueInfoProto*",
    "ModelProto": "graph=7:GraphProto",
}


@functools.cache
def _model_class() -> Any:
    """The ``ModelProto`` message class of the schema subset, in a pool of its own."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    kinds = descriptor_pb2.FieldDescriptorProto
    types = {
        "int64": kinds.TYPE_INT64,
        "int32": kinds.TYPE_INT32,
        "float": kinds.TYPE_FLOAT,
        "string": kinds.TYPE_STRING,
        "bytes": kinds.TYPE_BYTES,
    }
    file = descriptor_pb2.FileDescriptorProto(
        name="invoice_extractor_onnx_subset.proto", package="ie_onnx", syntax="proto2"
    )
    for message, fields in _SCHEMA.items():
        described = file.message_type.add(name=message)
        for field in fields.split():
            name, rest = field.split("=")
            number, kind = rest.split(":")
            repeated = kind.endswith("*")
            kind = kind.rstrip("*")
            added = described.field.add(
                name=name,
                number=int(number),
                label=kinds.LABEL_REPEATED if repeated else kinds.LABEL_OPTIONAL,
                type=types.get(kind, kinds.TYPE_MESSAGE),
            )
            if kind not in types:
                added.type_name = f".ie_onnx.{kind}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("ie_onnx.ModelProto"))


def fuse(model: bytes) -> tuple[bytes, dict[str, int]]:
    """``model`` (a serialised ONNX model) with the rewrites above, and how often each applied."""
    proto = _model_class()()
    proto.ParseFromString(model)
    graph = _Graph(proto.graph)
    counts = graph.fold_after_conv() + graph.fold_before_conv() + graph.hard_swish()
    graph.store()
    return proto.SerializeToString(), dict(counts)


class _Node:
    """A node's operation and names as Python values (protobuf's repeated fields are slow to
    scan), written back to its message by ``_Graph.store``."""

    __slots__ = ("inputs", "message", "op", "output")

    def __init__(self, message: Any) -> None:
        self.message = message
        self.op: str = message.op_type
        self.inputs: list[str] = list(message.input)
        self.output: str = message.output[0] if message.output else ""


class _Graph:
    def __init__(self, graph: Any) -> None:
        self.graph = graph
        self.nodes = [_Node(message) for message in graph.node]
        self.outputs = {value.name for value in graph.output}
        # Constants are converted to arrays when first asked for: most are weights never folded.
        self.tensors: dict[str, Any] = {tensor.name: tensor for tensor in graph.initializer}
        for node in self.nodes:
            attributes = node.message.attribute
            if node.op == "Constant" and len(attributes) == 1 and attributes[0].name == "value":
                self.tensors[node.output] = attributes[0].t
        self.values: dict[str, NDArray[np.float32] | None] = {}
        self.added: list[tuple[str, NDArray[np.float32]]] = []
        self.readers: dict[str, list[_Node]] = collections.defaultdict(list)
        self.producers: dict[str, _Node] = {}
        for node in self.nodes:
            for name in node.message.output:
                self.producers[name] = node
            for name in node.inputs:
                self.readers[name].append(node)

    def value(self, name: str) -> NDArray[np.float32] | None:
        """A float constant's array (``None``: not a constant, or not float)."""
        if name not in self.values:
            tensor = self.tensors.get(name)
            if tensor is None or tensor.data_type != FLOAT:
                self.values[name] = None
            elif tensor.raw_data:
                data = np.frombuffer(tensor.raw_data, dtype="<f4").astype(np.float32)
                self.values[name] = data.reshape(tuple(tensor.dims))
            else:
                data = np.asarray(tensor.float_data, dtype=np.float32)
                self.values[name] = data.reshape(tuple(tensor.dims))
        return self.values[name]

    def scalar(self, name: str) -> float | None:
        value = self.value(name)
        return float(value.reshape(-1)[0]) if value is not None and value.size == 1 else None

    def scaled(self, node: _Node) -> tuple[float | None, str]:
        """A binary ``node``'s scalar constant and its other input (``None`` if it has none)."""
        if len(node.inputs) != 2:
            return None, ""
        first, second = node.inputs
        if self.scalar(second) is not None:
            return self.scalar(second), first
        return self.scalar(first), second

    def sole_reader(self, name: str) -> _Node | None:
        """The one node that reads ``name``, or ``None`` (several, or a graph output)."""
        readers = self.readers[name]
        return readers[0] if len(readers) == 1 and name not in self.outputs else None

    def set_inputs(self, node: _Node, inputs: list[str]) -> None:
        for name in node.inputs:
            self.readers[name].remove(node)
        node.inputs = inputs
        for name in inputs:
            self.readers[name].append(node)

    def remove(self, node: _Node) -> None:
        self.set_inputs(node, [])
        self.nodes.remove(node)

    def weights(self, conv: _Node) -> tuple[NDArray[np.float32], NDArray[np.float32]] | None:
        weight = self.value(conv.inputs[1])
        if weight is None or weight.ndim != 4:
            return None
        bias = self.value(conv.inputs[2]) if len(conv.inputs) > 2 else None
        if len(conv.inputs) > 2 and bias is None:
            return None
        return weight, bias if bias is not None else np.zeros(weight.shape[0], np.float32)

    def set_weights(
        self, conv: _Node, weight: NDArray[np.float32], bias: NDArray[np.float32]
    ) -> None:
        names = [f"{conv.output}__w{len(self.added)}", f"{conv.output}__b{len(self.added)}"]
        for name, value in zip(names, (weight, bias), strict=True):
            self.constant(name, value)
        self.set_inputs(conv, conv.inputs[:1] + names)

    def constant(self, name: str, value: NDArray[np.float32]) -> None:
        value = np.ascontiguousarray(value, dtype=np.float32)
        self.values[name] = value
        self.added.append((name, value))

    def bypass(self, node: _Node, replacement: str) -> None:
        """``node`` removed, its readers reading ``replacement`` instead."""
        for reader in list(self.readers[node.output]):
            self.set_inputs(reader, [replacement if n == node.output else n for n in reader.inputs])
        self.remove(node)

    def fold_after_conv(self) -> collections.Counter[str]:
        counts: collections.Counter[str] = collections.Counter()
        for conv in [n for n in self.nodes if n.op == "Conv"]:
            while (after := self.sole_reader(conv.output)) is not None:
                value, other = self.scaled(after) if after.op in ("Mul", "Add") else (None, "")
                found = self.weights(conv)
                if value is None or other != conv.output or found is None:
                    break
                weight, bias = found
                if after.op == "Mul":
                    weight, bias = weight * np.float32(value), bias * np.float32(value)
                else:
                    bias = bias + np.float32(value)
                self.set_weights(conv, weight, bias)
                self.bypass(after, conv.output)
                counts[f"conv then {after.op}"] += 1
        return counts

    def fold_before_conv(self) -> collections.Counter[str]:
        counts: collections.Counter[str] = collections.Counter()
        for conv in [n for n in self.nodes if n.op == "Conv"]:
            while (before := self.producers.get(conv.inputs[0])) is not None:
                if before.op not in ("Mul", "Add") or self.sole_reader(before.output) is not conv:
                    break
                value, source = self.scaled(before)
                found = self.weights(conv)
                if value is None or found is None:
                    break
                weight, bias = found
                if before.op == "Mul":
                    self.set_weights(conv, weight * np.float32(value), bias)
                    self.bypass(before, source)
                elif not any(_ints(conv.message, "pads")):
                    self.set_weights(conv, weight, bias + np.float32(value) * weight.sum((1, 2, 3)))
                    self.bypass(before, source)
                elif not self._scale_through_add(before, conv, value, weight, bias):
                    break
                counts[f"{before.op} then conv"] += 1
        return counts

    def _scale_through_add(
        self,
        add: _Node,
        conv: _Node,
        shift: float,
        weight: NDArray[np.float32],
        bias: NDArray[np.float32],
    ) -> bool:
        """``Mul(a)`` then ``Add(d)`` before a padded conv: ``Add(d / a)``, ``a`` in the weights."""
        _, source = self.scaled(add)
        scale_node = self.producers.get(source)
        if scale_node is None or scale_node.op != "Mul" or self.sole_reader(source) is not add:
            return False
        scale, source = self.scaled(scale_node)
        if not scale:
            return False
        self.set_weights(conv, weight * np.float32(scale), bias)
        name = f"{add.output}__shift"
        self.constant(name, np.full((1,), np.float32(shift) / np.float32(scale), np.float32))
        self.set_inputs(add, [source, name])
        self.remove(scale_node)
        return True

    def hard_swish(self) -> collections.Counter[str]:
        counts: collections.Counter[str] = collections.Counter()
        for add in [n for n in self.nodes if n.op == "Add"]:
            value, x = self.scaled(add)
            clip = self.sole_reader(add.output) if value == 3.0 else None
            if clip is None or clip.op != "Clip" or len(clip.inputs) != 3:
                continue
            if (self.scalar(clip.inputs[1]), self.scalar(clip.inputs[2])) != (0.0, 6.0):
                continue
            mul = self.sole_reader(clip.output)
            if mul is None or mul.op != "Mul" or sorted(mul.inputs) != sorted([x, clip.output]):
                continue
            div = self.sole_reader(mul.output)
            if div is None or div.op != "Div" or div.inputs[0] != mul.output:
                continue
            if self.scalar(div.inputs[1]) != 6.0:
                continue
            # add becomes HardSigmoid(x), clip goes, mul reads x and it, div is bypassed
            add.op = "HardSigmoid"
            self.set_inputs(add, [x])
            for name, value in (("alpha", 1.0 / 6.0), ("beta", 0.5)):
                add.message.attribute.add(name=name, f=value, type=FLOAT)
            self.set_inputs(mul, [x, add.output])
            self.remove(clip)
            self.bypass(div, mul.output)
            counts["hard-swish"] += 1
        return counts

    def store(self) -> None:
        """The nodes back into the graph, without constants nothing reads any more."""
        read = {name for node in self.nodes for name in node.inputs} | self.outputs
        messages = []
        for node in self.nodes:
            if node.op == "Constant" and node.output not in read:
                continue
            message = node.message
            message.op_type = node.op
            del message.input[:]
            message.input.extend(node.inputs)
            messages.append(message)
        del self.graph.node[:]
        self.graph.node.extend(messages)
        kept = [t for t in self.graph.initializer if t.name in read]
        del self.graph.initializer[:]
        self.graph.initializer.extend(kept)
        for name, value in self.added:
            if name in read:
                self.graph.initializer.add(
                    name=name,
                    data_type=FLOAT,
                    dims=list(value.shape),
                    raw_data=value.astype("<f4").tobytes(),
                )


def _ints(node: Any, name: str) -> list[int]:
    return next((list(a.ints) for a in node.attribute if a.name == name), [])
