#!/usr/bin/python3
"""The pytorch/examples Forward-Forward recipe in PyTorch, timed on this machine: the reference that
bench/ff_speed.sh compares mortal's digital FF against in the same run.

Recipe: 784-500-500, one full batch of 50,000 training images (pixels standardised with MNIST's mean
0.1307 and sd 0.3081), label = x.max() in the first 10 pixels, negatives = the batch's labels shuffled,
layer input scaled to unit length, ReLU, goodness = mean of squares, loss = softplus of -(G - 2) for
positives and (G - 2) for negatives, Adam lr 0.03, greedy: every step of a layer on the same batch.

  /usr/bin/python3 bench/ff_torch_recipe.py --data data/mnist --steps 3          # time per layer-epoch
  /usr/bin/python3 bench/ff_torch_recipe.py --data data/mnist --steps 1000 --eval  # the whole recipe
"""
import argparse
import json
import os
import struct
import time

import numpy as np
import torch


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    _, _, _, dims = struct.unpack(">BBBB", data[:4])
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(data_dir, split):
    images = read_idx(os.path.join(data_dir, f"{split}-images-idx3-ubyte")).reshape(-1, 784)
    labels = read_idx(os.path.join(data_dir, f"{split}-labels-idx1-ubyte"))
    x = (torch.from_numpy(images.astype(np.float32)) / 255.0 - 0.1307) / 0.3081
    return x, torch.from_numpy(labels.astype(np.int64))


def with_label(x, y, value):
    out = x.clone()
    out[:, :10] = 0.0
    out[torch.arange(x.shape[0]), y] = value
    return out


class Layer(torch.nn.Module):
    def __init__(self, n_in, n_out, lr):
        super().__init__()
        self.linear = torch.nn.Linear(n_in, n_out)
        self.opt = torch.optim.Adam(self.parameters(), lr=lr)

    def forward(self, x):
        x = x / (x.norm(2, 1, keepdim=True) + 1e-4)
        return torch.relu(self.linear(x))

    def step(self, x_pos, x_neg, theta):
        g_pos = self.forward(x_pos).pow(2).mean(1)
        g_neg = self.forward(x_neg).pow(2).mean(1)
        loss = torch.nn.functional.softplus(torch.cat([theta - g_pos, g_neg - theta])).mean()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--steps", type=int, default=3, help="Adam steps per layer")
    ap.add_argument("--warmup", type=int, default=1, help="untimed steps before the timed ones")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--eval", action="store_true", help="report the test error at the end")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x, y = load(args.data, "train")
    perm = torch.randperm(x.shape[0])[:50000]
    x, y = x[perm], y[perm]
    value = float(x.max())
    x_pos = with_label(x, y, value)
    x_neg = with_label(x, y[torch.randperm(y.shape[0])], value)
    layers = [Layer(784, 500, 0.03), Layer(500, 500, 0.03)]
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(), "layers": []}
    h_pos, h_neg = x_pos, x_neg
    for i, layer in enumerate(layers):
        for _ in range(min(args.warmup, args.steps)):
            layer.step(h_pos, h_neg, 2.0)
        timed = args.steps - min(args.warmup, args.steps)
        t0 = time.perf_counter()
        loss = float("nan")
        for _ in range(timed):
            loss = layer.step(h_pos, h_neg, 2.0)
        seconds = (time.perf_counter() - t0) / max(timed, 1)
        result["layers"].append({"layer": i, "seconds_per_step": seconds, "loss": loss, "timed_steps": timed})
        with torch.no_grad():
            h_pos, h_neg = layer(h_pos), layer(h_neg)
    if args.eval:
        xt, yt = load(args.data, "t10k")
        with torch.no_grad():
            scores = []
            for label in range(10):
                h = with_label(xt, torch.full_like(yt, label), value)
                g = 0
                for layer in layers:
                    h = layer(h)
                    g = g + h.pow(2).mean(1)
                scores.append(g.unsqueeze(1))
            pred = torch.cat(scores, 1).argmax(1)
        result["test_error"] = float((pred != yt).float().mean())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
