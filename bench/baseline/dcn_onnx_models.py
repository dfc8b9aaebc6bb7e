"""Inputs and ONNX's own DeformConv (opset 19) for the DCN export benchmark (bench/run-dcn-onnx-bench.sh).

Writes into --out: x, offset, mask, weight (float32, raw little-endian) for one 3x3 modulated deformable layer,
reference.bin = torchvision.ops.deform_conv2d on them, and deformconv19.onnx: a graph of the single ONNX
DeformConv node (IR 9, opset 19) with the weight as an initializer and x, offset, mask as inputs.
"""
import argparse
import os

import numpy as np
import onnx
import torch
import torchvision
from onnx import TensorProto, helper, numpy_helper

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
parser.add_argument("--channels", type=int, default=512)
parser.add_argument("--size", type=int, default=19)
a = parser.parse_args()
c, s, taps = a.channels, a.size, 9
os.makedirs(a.out, exist_ok=True)

torch.manual_seed(0)
x = torch.randn(1, c, s, s)
offset = torch.randn(1, 2 * taps, s, s) * 2  # about two pixels, as in bench/run-dcn-bench.sh
mask = torch.rand(1, taps, s, s)
weight = torch.randn(c, c, 3, 3) * (1 / (9 * c) ** 0.5)
reference = torchvision.ops.deform_conv2d(x, offset, weight, None, padding=(1, 1), mask=mask)
for name, t in [("x", x), ("offset", offset), ("mask", mask), ("weight", weight), ("reference", reference)]:
    t.numpy().astype("<f4").tofile(os.path.join(a.out, name + ".bin"))

inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape)
          for n, shape in [("x", [1, c, s, s]), ("offset", [1, 2 * taps, s, s]), ("mask", [1, taps, s, s])]]
node = helper.make_node("DeformConv", ["x", "weight", "offset", "", "mask"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
graph = helper.make_graph([node], "deformconv19", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, c, s, s])],
                          [numpy_helper.from_array(weight.numpy(), "weight")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
model.ir_version = 9  # opset 19 needs IR 9; Debian's onnx 1.12 writes it but its checker cannot check it
open(os.path.join(a.out, "deformconv19.onnx"), "wb").write(model.SerializeToString())
print("wrote", a.out, "onnx", onnx.__version__, "torch", torch.__version__, "torchvision", torchvision.__version__)
