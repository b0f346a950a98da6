"""Correct variant with einsum, inference_mode, train(False) and set_grad_enabled (book notes, ch. 5)."""

import io

import torch


def to_numpy(t):
    with torch.no_grad():
        return t.numpy(force=False) if not t.requires_grad else t.detach().numpy()


def as_float32(x):
    return x.to(dtype=torch.float32, copy=False)


def to_tensor(image):
    return torch.einsum("hwc->chw", torch.from_numpy(image).to(torch.float32)) / 255


def normalize(image, mean, std):
    m = torch.tensor(mean, dtype=image.dtype).reshape(len(mean), 1, 1)
    s = torch.tensor(std, dtype=image.dtype).reshape(len(std), 1, 1)
    return (image - m) * s.reciprocal()


def cosine_similarity(a, b):
    return torch.einsum("i,i->", a, b) / torch.linalg.vector_norm(a) / torch.linalg.vector_norm(b)


def sigmoid_grad(z):
    s = 1 / (1 + torch.exp(-z.abs()))  # σ(|z|): no overflow for large |z|
    return s * (1 - s)  # σ'(z) = σ'(-z)


def bce_loss(p, y):
    return -torch.mean(torch.xlogy(y, p).clamp(min=-100) + torch.xlogy(1 - y, 1 - p).clamp(min=-100))


def logistic_grad(w, b, X, y):
    residual = torch.sigmoid(torch.einsum("nd,d->n", X, w) + b) - y
    return torch.einsum("nd,n->d", X, residual) / X.shape[0], residual.mean()


def split_indices(n, val_fraction, seed):
    generator = torch.Generator()
    generator.manual_seed(seed)
    order = torch.randperm(n, generator=generator, dtype=torch.int64)
    n_val = int(val_fraction * n)
    return order[n_val:].clone(), order[:n_val].clone()


def validation_loss(w, b, X, y):
    with torch.set_grad_enabled(False):
        return bce_loss(torch.sigmoid(X @ w + b), y)


def predict(model, x):
    model.train(False)
    with torch.inference_mode():
        return model(x)


def save_state(model):
    with io.BytesIO() as buffer:
        torch.save(model.state_dict(), buffer)
        return buffer.getvalue()


def load_state(model, blob):
    state = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    missing, unexpected = model.load_state_dict(state)
    assert not missing and not unexpected


def to_device(batch, device):
    return tuple(map(lambda t: t.to(device), batch))
