"""Correct variant, numpy-minded: arrays kept as numpy, a numpy permutation, inputs standardised inside the model."""

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, SubsetRandomSampler

NUM_CLASSES = 10
EPOCHS = 25


class DigitsDataset(Dataset):
    def __init__(self, images, labels, transform=None):
        self.images = images.numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
        self.labels = labels.numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
        self.transform = transform

    def __len__(self):
        return self.labels.shape[0]

    def __getitem__(self, i):
        x = torch.from_numpy(np.array(self.images[i], dtype=np.float32))
        if self.transform is not None:
            x = self.transform(x)
        return x, int(self.labels[i])


def split_loaders(dataset, batch_size, val_fraction, seed):
    perm = np.random.default_rng(seed).permutation(len(dataset))
    n_val = int(len(dataset) * val_fraction)
    val, train = perm[:n_val].tolist(), perm[n_val:].tolist()
    return (DataLoader(dataset, batch_size=batch_size, sampler=SubsetRandomSampler(train)),
            DataLoader(dataset, batch_size=batch_size, sampler=SubsetRandomSampler(val)))


class MLP(nn.Module):
    def __init__(self, in_features, hidden, num_classes):
        super().__init__()
        self.register_buffer("mean", torch.zeros(in_features))
        self.register_buffer("std", torch.ones(in_features))
        self.hidden = nn.Linear(in_features, hidden)
        self.out = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = (torch.flatten(x, 1) - self.mean) / self.std
        return self.out(torch.relu(self.hidden(x)))


def train_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    losses, sizes = [], []
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        sizes.append(len(y))
    return float(np.average(losses, weights=sizes))


def evaluate(model, loader, device):
    model.eval()
    hits = []
    with torch.no_grad():
        for x, y in loader:
            hits.append((model(x.to(device)).argmax(1) == y.to(device)).cpu().numpy())
    return float(np.concatenate(hits).mean())


def fit(train_set, val_set, device, epochs=EPOCHS, seed=0):
    torch.manual_seed(seed)
    images = torch.stack([train_set[i][0] for i in range(len(train_set))]).flatten(1)
    model = MLP(images.shape[1], 64, NUM_CLASSES)
    model.mean.copy_(images.mean(0))
    model.std.copy_(images.std(0) + 0.1)
    model = model.to(device)
    loader = DataLoader(train_set, batch_size=16, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=128)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    history = {"train_loss": [], "val_accuracy": []}
    best, best_state = None, None
    for _ in range(epochs):
        history["train_loss"].append(train_epoch(model, loader, loss_fn, optimizer, device))
        history["val_accuracy"].append(evaluate(model, val_loader, device))
        if best is None or history["val_accuracy"][-1] > best:
            best = history["val_accuracy"][-1]
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    model.history = history
    return model
