#!/usr/bin/python3
"""Reads a model.safetensors written by `ffnn train` with numpy alone and checks it.

The safetensors format is parsed by hand here (no safetensors package): an 8-byte
little-endian header length, a JSON header, then the raw little-endian tensor bytes. The
script then runs the network's forward pass in numpy on a CSV file and compares the class
probabilities and predicted classes with the CSV that `ffnn predict` wrote for the same file.

usage: read_safetensors.py MODEL DATA_CSV PREDICTIONS_CSV
"""
import csv
import json
import math
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64}


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    assert 0 < header_len <= len(blob) - 8, f"header length {header_len} out of bounds"
    header = json.loads(blob[8:8 + header_len].decode("utf-8"))
    data = blob[8 + header_len:]
    meta = header.pop("__metadata__", {})
    assert all(isinstance(v, str) for v in meta.values()), "metadata values must be strings"
    tensors, end = {}, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, stop = info["data_offsets"]
        assert begin == end, f"{name}: offsets not contiguous ({begin} after {end})"
        dtype = np.dtype(DTYPES[info["dtype"]]).newbyteorder("<")
        count = math.prod(info["shape"])
        assert stop - begin == count * dtype.itemsize, f"{name}: byte length does not match shape"
        tensors[name] = np.frombuffer(data[begin:stop], dtype=dtype).reshape(info["shape"])
        end = stop
    assert end == len(data), f"{len(data) - end} bytes left over after the last tensor"
    return tensors, meta


def activation(name, z):
    if name == "relu":
        return np.maximum(z, 0)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "identity":
        return z
    if name.startswith("leaky_relu"):
        slope = float(name.split(":")[1]) if ":" in name else 0.01
        return np.where(z > 0, z, slope * z)
    if name.startswith("elu"):
        alpha = float(name.split(":")[1]) if ":" in name else 1.0
        return np.where(z > 0, z, alpha * np.expm1(z))
    if name == "gelu":
        from math import erf
        return 0.5 * z * (1 + np.vectorize(erf)(z / math.sqrt(2)))
    raise SystemExit(f"unsupported activation {name}")


def main():
    model_path, data_path, pred_path = sys.argv[1:4]
    tensors, meta = read_safetensors(model_path)
    classes = json.loads(meta["class_names"])
    features = json.loads(meta["feature_names"])
    activations = json.loads(meta["activations"])
    layers = len(activations)
    with open(data_path) as f:
        rows = list(csv.DictReader(f))
    x = np.array([[float(r[c]) for c in features] for r in rows], dtype=np.float64)
    if "standardize.mean" in tensors:
        x = (x - tensors["standardize.mean"]) / tensors["standardize.scale"]
    h = x
    for i in range(layers):
        h = activation(activations[i], h @ tensors[f"layers.{i}.W"].astype(np.float64)
                       + tensors[f"layers.{i}.b"].astype(np.float64))
    h = h - h.max(axis=1, keepdims=True)
    p = np.exp(h)
    p /= p.sum(axis=1, keepdims=True)

    with open(pred_path) as f:
        pred = list(csv.DictReader(f))
    assert len(pred) == len(rows), f"{len(pred)} predictions for {len(rows)} rows"
    got = np.array([[float(r["p_" + c]) for c in classes] for r in pred])
    # ffnn computes in float32: probabilities agree with this float64 pass to float rounding
    # accumulated over a few layers; 1e-5 is about 100 float32 ulps at 1.0.
    worst = np.abs(got - p).max()
    assert worst < 1e-5, f"probabilities differ by {worst}"
    numpy_pred = [classes[i] for i in p.argmax(axis=1)]
    ffnn_pred = [r["predicted"] for r in pred]
    mismatch = sum(a != b for a, b in zip(numpy_pred, ffnn_pred))
    assert mismatch == 0, f"{mismatch} predicted classes differ"
    print(f"read {len(tensors)} tensors, {layers} layers, classes {classes}; "
          f"{len(rows)} rows: max |p_numpy - p_ffnn| = {worst:.2e}, predictions identical")


if __name__ == "__main__":
    main()
