#!/usr/bin/python3
"""The side-by-side tables of bench/run-train-bench.sh from its result lines (argument: the results file).

Engines: torchsharp, pytorch, torchsharp-default-heap (TorchSharp with glibc's default heap, 224 px only).
Model and data lines: "<engine> <what> <model> <size> <batch> <threads> <images/s> [<CPU s per step>]".
Layer lines:          "<engine> layer <name> <batch> <threads> <CPU ms> <wall ms>".
"""
import statistics
import sys
from collections import defaultdict

runs = defaultdict(lambda: defaultdict(list))  # key -> engine -> [(ips, cpu)]
layers = defaultdict(lambda: defaultdict(list))  # name -> engine -> [(cpu ms, wall ms)]
order, layer_order = [], []
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 7:
        continue
    engine = f[0]
    if f[1] == "layer":
        name = f[2]
        if name not in layers:
            layer_order.append(name)
        layers[name][engine].append((float(f[5]), float(f[6])))
        continue
    key = tuple(f[1:6])
    if key not in runs:
        order.append(key)
    runs[key][engine].append((float(f[6]), float(f[7]) if len(f) > 7 else None))


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, spec="{:.2f}"):
    return "–" if v is None else spec.format(v)


def heap(rows):
    if not rows:
        return "–"
    return f"{', '.join(fmt(r[0], '{:.1f}') for r in rows)}; {fmt(column(rows, 1), '{:.3f}')}"


def times(v):
    return "–" if v is None else f"{v:.2f}×"


def column(rows, i):
    return med([r[i] for r in rows])


def ratio(a, b):
    return a / b if a and b else None


print()
print("| what | model | size | batch | threads | TorchSharp images/s (runs) | PyTorch images/s (runs) | TorchSharp ÷ PyTorch | CPU s/step TorchSharp | CPU s/step PyTorch | CPU PyTorch ÷ TorchSharp | TorchSharp, glibc default heap: images/s, CPU s/step |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for key in order:
    ts, pt = runs[key]["torchsharp"], runs[key]["pytorch"]
    ts_cpu, pt_cpu = column(ts, 1), column(pt, 1)
    print(f"| {' | '.join(key)} | {', '.join(fmt(r[0], '{:.1f}') for r in ts)} | {', '.join(fmt(r[0], '{:.1f}') for r in pt)} | "
          f"**{times(ratio(column(ts, 0), column(pt, 0)))}** | {fmt(ts_cpu, '{:.3f}')} | {fmt(pt_cpu, '{:.3f}')} | "
          f"{times(ratio(pt_cpu, ts_cpu))} | {heap(runs[key]['torchsharp-default-heap'])} |")
if layer_order:
    print()
    print("| layer (batch 32, forward + backward) | TorchSharp CPU ms | PyTorch CPU ms | CPU PyTorch ÷ TorchSharp | TorchSharp wall ms | PyTorch wall ms |")
    print("|---|---|---|---|---|---|")
    for name in layer_order:
        ts, pt = layers[name]["torchsharp"], layers[name]["pytorch"]
        print(f"| {name} | {fmt(column(ts, 0), '{:.1f}')} | {fmt(column(pt, 0), '{:.1f}')} | {times(ratio(column(pt, 0), column(ts, 0)))} | "
              f"{fmt(column(ts, 1), '{:.1f}')} | {fmt(column(pt, 1), '{:.1f}')} |")
print()
