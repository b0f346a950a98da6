"""Mistake: train_epoch runs its whole loop under torch.no_grad(), so backward() finds no graph."""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, SubsetRandomSampler

NUM_CLASSES = 10  # digits 0-9 (also MNIST and FashionMNIST)
EPOCHS = 15  # fit's default; the grader enforces a time budget on one fit() call


class DigitsDataset(Dataset):
    """Images and integer labels, with an optional transform applied to each image tensor.

    ``images``: array or tensor of shape (N, H, W); ``labels``: N integers. ``dataset[i]`` is
    ``(image, label)``: the image as a float32 tensor (after ``transform``, if given) and the
    label as a Python int.
    """

    def __init__(self, images, labels, transform=None) -> None:
        self.images = torch.as_tensor(images, dtype=torch.float32)
        self.labels = torch.as_tensor(labels, dtype=torch.long)
        if len(self.images) != len(self.labels):
            raise ValueError(f"{len(self.images)} images but {len(self.labels)} labels")
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = self.images[index]
        if self.transform is not None:
            image = self.transform(image)
        # an int label becomes an int64 batch in the DataLoader: the class indices CrossEntropyLoss wants
        return image, int(self.labels[index])


def split_loaders(dataset: Dataset, batch_size: int, val_fraction: float,
                  seed: int) -> tuple[DataLoader, DataLoader]:
    """Split ``dataset`` at random into training and validation loaders (SubsetRandomSampler).

    ``int(len(dataset) * val_fraction)`` samples go to validation, the rest to training; the
    two never overlap and together cover the dataset. The same seed gives the same split.
    """
    n = len(dataset)
    n_val = int(n * val_fraction)
    # a generator of our own: the split depends on `seed` only, not on the global random state
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    val_indices, train_indices = order[:n_val], order[n_val:]
    train_loader = DataLoader(dataset, batch_size=batch_size, sampler=SubsetRandomSampler(train_indices))
    val_loader = DataLoader(dataset, batch_size=batch_size, sampler=SubsetRandomSampler(val_indices))
    return train_loader, val_loader


class MLP(nn.Module):
    """Flatten → Linear(in_features, hidden) → ReLU → Linear(hidden, num_classes); returns logits."""

    def __init__(self, in_features: int, hidden: int, num_classes: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Flatten(),  # (B, H, W) or (B, 1, H, W) → (B, H·W)
            nn.Linear(in_features, hidden),
            nn.ReLU(),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)  # raw logits: CrossEntropyLoss applies log-softmax itself


def train_epoch(model: nn.Module, loader: DataLoader, loss_fn, optimizer: torch.optim.Optimizer,
                device: str | torch.device) -> float:
    """One pass over ``loader``; returns the mean loss per sample over the epoch.

    Puts the model in training mode, moves each batch to ``device`` and, per batch, does
    zero_grad → forward → loss → backward → step. A short last batch counts for its size.
    """
    model.train()
    total, count = 0.0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
            count += len(labels)
    return total / count


def evaluate(model: nn.Module, loader: DataLoader, device: str | torch.device) -> float:
    """Accuracy of ``model`` on ``loader`` in [0, 1]: evaluation mode, no gradient recording."""
    model.eval()
    correct, count = 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            correct += (model(images).argmax(dim=1) == labels).sum().item()
            count += len(labels)
    return correct / count


def fit(train_set: Dataset, val_set: Dataset, device: str | torch.device, epochs: int = EPOCHS,
        seed: int = 0) -> nn.Module:
    """Train an MLP with your train_epoch and evaluate; return it with its best validation weights.

    Each epoch calls ``train_epoch`` once and ``evaluate`` on the validation set once. The
    model gets ``model.history = {"train_loss": [...], "val_accuracy": [...]}`` (one float
    per epoch) and, when fit returns, holds the weights of its best validation epoch.
    """
    torch.manual_seed(seed)
    train_loader = DataLoader(train_set, batch_size=32, shuffle=True,
                              generator=torch.Generator().manual_seed(seed))
    val_loader = DataLoader(val_set, batch_size=256)
    model = MLP(train_set[0][0].numel(), 128, NUM_CLASSES).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    loss_fn = nn.CrossEntropyLoss()
    model.history = {"train_loss": [], "val_accuracy": []}
    best_accuracy, best_state = -1.0, None
    for _ in range(epochs):
        loss = train_epoch(model, train_loader, loss_fn, optimizer, device)
        accuracy = evaluate(model, val_loader, device)
        model.history["train_loss"].append(loss)
        model.history["val_accuracy"].append(accuracy)
        if accuracy > best_accuracy:
            # state_dict() holds references to the live parameters: without a deep copy,
            # "the best weights" would keep changing with every later step
            best_accuracy, best_state = accuracy, copy.deepcopy(model.state_dict())
    if best_state is not None:
        model.load_state_dict(best_state)
    return model
