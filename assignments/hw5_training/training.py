"""hw5_training: a dataset, data loaders, an MLP, and a training loop that keeps the best weights.

The grader trains your model on handwritten digits it keeps split into train, validation and
a held-out test set; your model never sees the test labels. Read INSTRUCTIONS.md first;
the public checks are in test_public.py.
"""

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
        raise NotImplementedError("your code here: see INSTRUCTIONS.md")

    def __len__(self) -> int:
        raise NotImplementedError("your code here: see INSTRUCTIONS.md")

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def split_loaders(dataset: Dataset, batch_size: int, val_fraction: float,
                  seed: int) -> tuple[DataLoader, DataLoader]:
    """Split ``dataset`` at random into training and validation loaders (SubsetRandomSampler).

    ``int(len(dataset) * val_fraction)`` samples go to validation, the rest to training; the
    two never overlap and together cover the dataset. The same seed gives the same split.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


class MLP(nn.Module):
    """Flatten → Linear(in_features, hidden) → ReLU → Linear(hidden, num_classes); returns logits."""

    def __init__(self, in_features: int, hidden: int, num_classes: int) -> None:
        super().__init__()
        raise NotImplementedError("your code here: see INSTRUCTIONS.md")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def train_epoch(model: nn.Module, loader: DataLoader, loss_fn, optimizer: torch.optim.Optimizer,
                device: str | torch.device) -> float:
    """One pass over ``loader``; returns the mean loss per sample over the epoch.

    Puts the model in training mode, moves each batch to ``device`` and, per batch, does
    zero_grad → forward → loss → backward → step. A short last batch counts for its size.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def evaluate(model: nn.Module, loader: DataLoader, device: str | torch.device) -> float:
    """Accuracy of ``model`` on ``loader`` in [0, 1]: evaluation mode, no gradient recording."""
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def fit(train_set: Dataset, val_set: Dataset, device: str | torch.device, epochs: int = EPOCHS,
        seed: int = 0) -> nn.Module:
    """Train an MLP with your train_epoch and evaluate; return it with its best validation weights.

    Each epoch calls ``train_epoch`` once and ``evaluate`` on the validation set once. The
    model gets ``model.history = {"train_loss": [...], "val_accuracy": [...]}`` (one float
    per epoch) and, when fit returns, holds the weights of its best validation epoch.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")
