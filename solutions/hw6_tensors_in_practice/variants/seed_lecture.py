"""Correct variant in the lectures' style: .data.cpu().numpy(), .float(), randperm as in the book, model.eval()."""

import io

import numpy as np
import torch
from torch import nn


def to_numpy(t):
    return t.data.cpu().numpy()  # the lecture's `c.data.cpu().numpy()`: .data has no grad


def as_float32(x):
    return x.float()


def to_tensor(image):
    img_t = torch.from_numpy(image)
    img_t = img_t.permute(2, 0, 1)  # permute required to go from the PIL/numpy layout to (C, H, W)
    return img_t.float() / 255.0


def normalize(image, mean, std):
    m = torch.tensor(mean, dtype=image.dtype)
    s = torch.tensor(std, dtype=image.dtype)
    return (image - m.unsqueeze(1).unsqueeze(2)) / s.unsqueeze(1).unsqueeze(2)


def cosine_similarity(a, b):
    return torch.dot(a, b) / (torch.sqrt(torch.dot(a, a)) * torch.sqrt(torch.dot(b, b)))


def sigmoid_grad(z):
    return torch.sigmoid(z) * (1 - torch.sigmoid(z))


def bce_loss(p, y):
    return nn.BCELoss(reduction="mean")(p, y)


def logistic_grad(w, b, X, y):
    t_p = 1 / (1 + torch.exp(-(X @ w + b)))
    dloss_dz = (t_p - y) / len(y)
    return torch.mv(X.t(), dloss_dz), dloss_dz.sum()


def split_indices(n, val_fraction, seed):
    n_samples = n
    n_val = int(val_fraction * n_samples)
    shuffled_indices = torch.randperm(n_samples, generator=torch.Generator().manual_seed(seed))
    train_indices = shuffled_indices[n_val:]
    val_indices = shuffled_indices[:n_val]
    return train_indices, val_indices


def validation_loss(w, b, X, y):
    with torch.no_grad():
        val_t_p = torch.sigmoid(X @ w + b)
        val_loss = bce_loss(val_t_p, y)
    return val_loss


def predict(model, x):
    model.eval()  # IMPORTANT!!!
    with torch.no_grad():  # do not record computations for computing the gradient
        outputs = model(x)
    return outputs


def save_state(model):
    f = io.BytesIO()
    torch.save(model.state_dict(), f)
    return f.getvalue()


def load_state(model, blob):
    model.load_state_dict(torch.load(io.BytesIO(blob)))


def to_device(batch, device):
    inputs = batch[0].to(device)
    labels = batch[1].to(device)
    return (inputs, labels)


_ = np  # the lecture imports numpy alongside torch
