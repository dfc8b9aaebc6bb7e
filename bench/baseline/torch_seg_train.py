#!/usr/bin/python3
"""PyTorch (Debian python3-torch / python3-torchvision) baseline for segmentation training throughput.

Same measurement and output line as `PaddleX.Cloud.Bench train` for segmentation models:
  torch_seg_train.py train --model DeepLabV3P --size 256 --batch 8 --steps 3 --warmup 1 --threads 2
prints "RESULT train <model> <size> <batch> <threads> <images/s>".
Models: DeepLabV3P = torchvision's deeplabv3_resnet50 (output stride 8, ASPP 12/24/36, no auxiliary head);
DeepLabV3P_same = the DeepLabV3+ on ResNet50_vd of PaddleX.Cloud.Vision (models/segmentation/DeepLabV3P.cs,
ResNetVd.cs) written again in PyTorch, layer for layer (same parameter names, shapes and order:
`torch_seg_train.py params --model DeepLabV3P_same` vs `PaddleX.Cloud.Bench params --model DeepLabV3P`);
UNet = the U-Net of PaddleX.Cloud.Vision (models/segmentation/UNet.cs) written again in PyTorch.
"""
import argparse
import time
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


def conv_bn_relu(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def double_conv(cin, cout):
    return nn.Sequential(conv_bn_relu(cin, cout), conv_bn_relu(cout, cout))


class UNet(nn.Module):
    """Encoder 64-128-256-512-512 (max-pool between), decoder resizes bilinearly to each skip, concatenates,
    double conv 256-128-64-64, 3x3 classifier."""

    def __init__(self, num_classes, in_channels=3):
        super().__init__()
        enc = [64, 128, 256, 512, 512]
        dec = [256, 128, 64, 64]
        self.inc = double_conv(in_channels, enc[0])
        self.down = nn.ModuleList(double_conv(enc[i - 1], enc[i]) for i in range(1, len(enc)))
        ups, cur = [], enc[-1]
        for i, d in enumerate(dec):
            ups.append(double_conv(cur + enc[len(enc) - 2 - i], d))
            cur = d
        self.up = nn.ModuleList(ups)
        self.cls = nn.Conv2d(cur, num_classes, 3, padding=1)

    def forward(self, x):
        skips = []
        x = self.inc(x)
        for block in self.down:
            skips.append(x)
            x = block(F.max_pool2d(x, 2, 2))
        for i, block in enumerate(self.up):
            skip = skips[-(i + 1)]
            x = F.interpolate(x, size=skip.shape[2:], mode="bilinear", align_corners=False)
            x = block(torch.cat([x, skip], 1))
        return self.cls(x)


class DeepLab(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.net = torchvision.models.segmentation.deeplabv3_resnet50(
            weights=None, weights_backbone=None, num_classes=num_classes, aux_loss=False)

    def forward(self, x):
        return self.net(x)["out"]


class ConvBnAct(nn.Module):
    """ConvBnAct.cs: bias-free conv (padding dilation*(k-1)/2) -> BatchNorm -> optional ReLU;
    batch_norm=False gives a biased conv without BN."""

    def __init__(self, cin, cout, k, stride=1, dilation=1, relu=True, batch_norm=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=dilation * (k - 1) // 2, dilation=dilation,
                              bias=not batch_norm)
        self.bn = nn.BatchNorm2d(cout) if batch_norm else None
        self.relu = relu

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x, inplace=True) if self.relu else x


class AveragePool(nn.Module):
    def __init__(self, size):
        super().__init__()
        self.size = size

    def forward(self, x):
        return F.avg_pool2d(x, self.size, self.size)


class ResidualUnit(nn.Module):
    """ResidualUnit.cs: relu(body(x) + shortcut(x)), the sum in place as ours."""

    def __init__(self, body, shortcut=None):
        super().__init__()
        self.body = body
        self.shortcut = shortcut

    def forward(self, x):
        y = self.body(x)
        y = y.add_(x if self.shortcut is None else self.shortcut(x))
        return y.relu_()


def bottleneck(cin, planes, stride, dilation):
    body = nn.Sequential(ConvBnAct(cin, planes, 1), ConvBnAct(planes, planes, 3, stride=stride, dilation=dilation),
                         ConvBnAct(planes, planes * 4, 1, relu=False))
    shortcut = None
    if cin != planes * 4 or stride != 1:
        projection = ConvBnAct(cin, planes * 4, 1, relu=False)
        shortcut = nn.Sequential(AveragePool(2), projection) if stride == 2 else projection
    return ResidualUnit(body, shortcut)


class ResNetVd(nn.Module):
    """ResNetVd.cs: deep stem 3x3/2 32, 3x3 32, 3x3 64; max-pool 3/2/1; bottleneck stages [3,4,6,3] (depth 50),
    dilations [1,1,2,4] for output stride 8 (a dilated stage does not stride); returns (stage 1, stage 4)."""

    def __init__(self, depth=50, in_channels=3, output_stride=8):
        super().__init__()
        blocks = {50: [3, 4, 6, 3], 101: [3, 4, 23, 3]}[depth]
        dilations = {8: [1, 1, 2, 4], 16: [1, 1, 1, 2]}[output_stride]
        self.stem = nn.Sequential(OrderedDict([
            ("conv1_1", ConvBnAct(in_channels, 32, 3, stride=2)),
            ("conv1_2", ConvBnAct(32, 32, 3)),
            ("conv1_3", ConvBnAct(32, 64, 3))]))
        stages, cin = [], 64
        for s in range(4):
            planes = 64 << s
            units = []
            for b in range(blocks[s]):
                stride = 2 if b == 0 and s > 0 and dilations[s] == 1 else 1
                units.append(bottleneck(cin, planes, stride, dilations[s]))
                cin = planes * 4
            stages.append(nn.Sequential(*units))
        self.stages = nn.ModuleList(stages)

    def forward(self, x):
        x = F.max_pool2d(self.stem(x), 3, 2, 1)
        low = self.stages[0](x)
        x = low
        for stage in self.stages[1:]:
            x = stage(x)
        return low, x


def upsample_like(x, ref):
    """Upsample.cs: bilinear, align_corners False; no-op at the same size."""
    if x.shape[2:] == ref.shape[2:]:
        return x
    return F.interpolate(x, size=ref.shape[2:], mode="bilinear", align_corners=False)


class DeepLabV3PSame(nn.Module):
    """DeepLabV3P.cs on ResNet50_vd, output stride 8: ASPP (1x1 and 3x3 at rates 12/24/36, 256 channels, BN+ReLU;
    image pooling = biased 1x1 conv + ReLU, no BN, broadcast back), 1x1 projection + Dropout(0.1); decoder: the
    projection resized to stage 1 concatenated with stage 1 reduced to 48 channels, two 3x3 ConvBnAct 256,
    1x1 biased classifier, resized to the input."""

    def __init__(self, num_classes, in_channels=3, depth=50, output_stride=8):
        super().__init__()
        rates = [12, 24, 36] if output_stride == 8 else [6, 12, 18]
        self.backbone = ResNetVd(depth, in_channels, output_stride)
        self.aspp = nn.ModuleList([ConvBnAct(2048, 256, 1)] + [ConvBnAct(2048, 256, 3, dilation=r) for r in rates])
        self.imagePool = ConvBnAct(2048, 256, 1, batch_norm=False)
        self.asppProject = ConvBnAct(256 * (len(rates) + 2), 256, 1)
        self.asppDropout = nn.Dropout(0.1)
        self.lowProject = ConvBnAct(256, 48, 1)
        self.decoder = nn.Sequential(ConvBnAct(256 + 48, 256, 3), ConvBnAct(256, 256, 3))
        self.cls = nn.Conv2d(256, num_classes, 1)

    def forward(self, inp):
        low, high = self.backbone(inp)
        branches = [b(high) for b in self.aspp]
        pooled = self.imagePool(F.adaptive_avg_pool2d(high, 1))
        branches.append(pooled.expand(-1, -1, high.shape[2], high.shape[3]))
        x = self.asppDropout(self.asppProject(torch.cat(branches, 1)))
        x = self.decoder(torch.cat([upsample_like(x, low), self.lowProject(low)], 1))
        return upsample_like(self.cls(x), inp)


MODELS = {"DeepLabV3P": DeepLab, "DeepLabV3P_same": DeepLabV3PSame, "UNet": UNet}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["train", "params"])
    p.add_argument("--model", default="UNet")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--classes", type=int, default=21)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = MODELS[a.model](a.classes)
    if a.mode == "params":  # same output as `PaddleX.Cloud.Bench params`
        named = list(model.named_parameters())
        print(f"PARAMS {sum(t.numel() for _, t in named)} tensors {len(named)}")
        for n, t in named:
            print(n, "x".join(str(d) for d in t.shape))
        return
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    x = torch.randn(a.batch, 3, a.size, a.size)
    y = torch.randint(0, a.classes, (a.batch, a.size, a.size))
    model.train()
    start = None
    for i in range(a.warmup + a.steps):
        if i == a.warmup:
            start = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        loss.item()
    ips = a.steps * a.batch / (time.perf_counter() - start)
    name = {"DeepLabV3P": "DeepLabV3P-torchvision_deeplabv3_resnet50",
            "DeepLabV3P_same": "DeepLabV3P-ResNet50_vd_same"}.get(a.model, a.model)
    print(f"RESULT train {name} {a.size} {a.batch} {a.threads} {ips:.2f}", flush=True)


if __name__ == "__main__":
    main()
