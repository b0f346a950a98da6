"""Correct variant in compact style: comprehension-built layers, sum-reduced loss, functional accuracy."""

import copy

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, SubsetRandomSampler

NUM_CLASSES = 10
EPOCHS = 15


class DigitsDataset(Dataset):
    def __init__(self, images, labels, transform=None):
        self.images, self.labels = torch.as_tensor(images, dtype=torch.float32), list(map(int, labels))
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return (self.transform or (lambda t: t))(self.images[i]), self.labels[i]


def split_loaders(dataset, batch_size, val_fraction, seed):
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed)).tolist()
    cut = int(len(dataset) * val_fraction)
    return tuple(DataLoader(dataset, batch_size=batch_size, sampler=SubsetRandomSampler(part))
                 for part in (order[cut:], order[:cut]))


class MLP(nn.Sequential):
    def __init__(self, in_features, hidden, num_classes):
        super().__init__(nn.Flatten(), nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))


def train_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    losses = []
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x.to(device)), y.to(device))
        loss.backward()
        optimizer.step()
        losses.append((loss.item() * len(y), len(y)))
    return sum(s for s, _ in losses) / sum(n for _, n in losses)


def evaluate(model, loader, device):
    model.eval()
    with torch.no_grad():
        counts = [((model(x.to(device)).argmax(1) == y.to(device)).sum().item(), len(y)) for x, y in loader]
    return sum(c for c, _ in counts) / sum(n for _, n in counts)


def fit(train_set, val_set, device, epochs=EPOCHS, seed=0):
    torch.manual_seed(seed)
    model = MLP(train_set[0][0].numel(), 256, NUM_CLASSES).to(device)
    opt, loss_fn = torch.optim.RMSprop(model.parameters(), lr=1e-3), nn.CrossEntropyLoss()
    loaders = DataLoader(train_set, batch_size=32, shuffle=True), DataLoader(val_set, batch_size=256)
    model.history = {"train_loss": [], "val_accuracy": []}
    best = (-1.0, None)
    for _ in range(epochs):
        model.history["train_loss"].append(train_epoch(model, loaders[0], loss_fn, opt, device))
        model.history["val_accuracy"].append(evaluate(model, loaders[1], device))
        best = max(best, (model.history["val_accuracy"][-1], copy.deepcopy(model.state_dict())), key=lambda b: b[0])
    model.load_state_dict(best[1])
    return model
