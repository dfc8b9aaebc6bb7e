#!/usr/bin/python3
"""A small texture classification set from the sample pictures Debian's python3-skimage ships (no download):
brick, grass, gravel and the moon's surface, 512x512 grey photographs. Training crops come from the left 60 % of each
picture, validation crops from the right 40 %, so no validation pixel is seen in training. Crops are random in
position, size (64-160 px), rotation (multiples of 90 degrees), flips, brightness and contrast, saved as 64x64 RGB PNG
with labels.txt / train_list.txt / val_list.txt (the engine's classification layout).

usage: make_texture_set.py OUT_DIR [TRAIN_PER_CLASS=10] [VAL_PER_CLASS=40] [SEED=1]
"""
import os
import random
import sys

import numpy as np
from PIL import Image

DATA = "/usr/lib/python3/dist-packages/skimage/data"
CLASSES = ["brick", "grass", "gravel", "moon"]


def crops(picture, x_range, count, rng):
    w, h = picture.size
    out = []
    for _ in range(count):
        side = rng.randint(64, 160)
        x = rng.randint(int(x_range[0] * w), int(x_range[1] * w) - side)
        y = rng.randint(0, h - side)
        c = picture.crop((x, y, x + side, y + side)).resize((64, 64), Image.BILINEAR)
        c = c.rotate(90 * rng.randint(0, 3))
        if rng.random() < 0.5:
            c = c.transpose(Image.FLIP_LEFT_RIGHT)
        a = np.asarray(c, dtype=np.float32)
        a = (a - a.mean()) * rng.uniform(0.7, 1.3) + a.mean() + rng.uniform(-30, 30)
        out.append(Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).convert("RGB"))
    return out


def main():
    out = sys.argv[1]
    train_n = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    val_n = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    os.makedirs(out, exist_ok=True)
    lists = {"train": [], "val": []}
    for label, name in enumerate(CLASSES):
        picture = Image.open(os.path.join(DATA, name + ".png")).convert("L")
        os.makedirs(os.path.join(out, name), exist_ok=True)
        for split, x_range, n in (("train", (0.0, 0.6), train_n), ("val", (0.6, 1.0), val_n)):
            for i, c in enumerate(crops(picture, x_range, n, rng)):
                rel = f"{name}/{split}_{i}.png"
                c.save(os.path.join(out, rel))
                lists[split].append(f"{rel} {label}")
    with open(os.path.join(out, "labels.txt"), "w") as f:
        f.write("\n".join(CLASSES) + "\n")
    for split, lines in lists.items():
        rng.shuffle(lines)
        with open(os.path.join(out, f"{split}_list.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
