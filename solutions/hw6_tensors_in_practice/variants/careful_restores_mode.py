"""Correct variant that restores the model's mode, checks its inputs and works on any device."""

import io

import torch


def to_numpy(t):
    return t.detach().cpu().numpy()  # .cpu() of a CPU tensor is the tensor itself


def as_float32(x):
    if x.dtype is torch.float32:
        return x
    return x.to(torch.float32)


def to_tensor(image):
    if image.ndim != 3:
        raise ValueError(f"expected an (H, W, C) image, got shape {image.shape}")
    return torch.tensor(image, dtype=torch.float32).permute(2, 0, 1).contiguous() / 255.0


def normalize(image, mean, std):
    channels = image.shape[0]
    if len(mean) != channels or len(std) != channels:
        raise ValueError("one mean and one std per channel")
    m = image.new_tensor(mean).view(channels, 1, 1)
    s = image.new_tensor(std).view(channels, 1, 1)
    out = image.clone()
    out -= m
    out /= s
    return out


def cosine_similarity(a, b):
    return torch.nn.functional.cosine_similarity(a, b, dim=0, eps=0.0)


def sigmoid_grad(z):
    s = torch.special.expit(z)
    return s - s * s


def bce_loss(p, y):
    return torch.nn.functional.binary_cross_entropy(p, y, reduction="mean")


def logistic_grad(w, b, X, y):
    n = X.shape[0]
    z = torch.addmv(b.expand(n), X, w)
    g = (torch.sigmoid(z) - y) / n
    return g @ X, g.sum()


def split_indices(n, val_fraction, seed):
    order = torch.randperm(n, generator=torch.Generator(device="cpu").manual_seed(seed))
    n_val = int(val_fraction * n)
    val, train = torch.split(order, [n_val, n - n_val])
    return train, val


def validation_loss(w, b, X, y):
    with torch.no_grad():
        p = torch.sigmoid(X @ w + b)
        return torch.nn.functional.binary_cross_entropy(p, y)


def predict(model, x):
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return model(x)
    finally:
        model.train(was_training)


def save_state(model):
    buffer = io.BytesIO()
    torch.save({name: tensor.detach().clone() for name, tensor in model.state_dict().items()}, buffer)
    return bytes(buffer.getbuffer())


def load_state(model, blob):
    model.load_state_dict(torch.load(io.BytesIO(blob), weights_only=True))
    return None


def to_device(batch, device):
    device = torch.device(device)
    inputs, labels = batch
    return inputs.to(device, non_blocking=False), labels.to(device)
