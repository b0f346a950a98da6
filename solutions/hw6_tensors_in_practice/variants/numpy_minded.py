"""Correct variant written numpy-first: np.transpose, a numpy RNG permutation, sums spelled out."""

import io

import numpy as np
import torch


def to_numpy(t):
    return t.detach().numpy()


def as_float32(x):
    return x if x.dtype == torch.float32 else torch.as_tensor(x, dtype=torch.float32)


def to_tensor(image):
    chw = np.transpose(image, (2, 0, 1)).astype(np.float32) / np.float32(255)
    return torch.from_numpy(np.ascontiguousarray(chw))


def normalize(image, mean, std):
    m = torch.as_tensor(np.asarray(mean, dtype=np.float64)[:, None, None], dtype=image.dtype)
    s = torch.as_tensor(np.asarray(std, dtype=np.float64)[:, None, None], dtype=image.dtype)
    return (image - m) / s


def cosine_similarity(a, b):
    return (a * b).sum() / torch.sqrt((a * a).sum() * (b * b).sum())


def sigmoid_grad(z):
    return torch.sigmoid(z) * torch.sigmoid(-z)  # 1 - σ(z) = σ(-z)


def bce_loss(p, y):
    terms = y * torch.clamp(torch.log(p), min=-100) + (1 - y) * torch.clamp(torch.log1p(-p), min=-100)
    return -terms.sum() / terms.numel()


def logistic_grad(w, b, X, y):
    p = torch.sigmoid(X @ w + b)
    n = X.shape[0]
    return (X * (p - y)[:, None]).sum(axis=0) / n, (p - y).sum() / n


def split_indices(n, val_fraction, seed):
    order = torch.from_numpy(np.random.default_rng(seed).permutation(n).astype(np.int64))
    cut = int(val_fraction * n)
    return order[cut:], order[:cut]


def validation_loss(w, b, X, y):
    with torch.no_grad():
        return bce_loss(torch.sigmoid(X @ w + b), y)


def predict(model, x):
    model.eval()
    with torch.no_grad():
        return model(x)


def save_state(model):
    buffer = io.BytesIO()
    torch.save({k: v for k, v in model.state_dict().items()}, buffer)
    return buffer.getvalue()


def load_state(model, blob):
    model.load_state_dict(torch.load(io.BytesIO(blob), weights_only=True), strict=True)


def to_device(batch, device):
    inputs, labels = batch
    return inputs.to(device=device), labels.to(device=device)
