"""Correct variant in the lecture's style: numpy shuffled indices, view(-1), F.relu, best_model_wts."""

import copy

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, SubsetRandomSampler

NUM_CLASSES = 10
EPOCHS = 20


class DigitsDataset(Dataset):
    def __init__(self, images, labels, transform=None):
        self.images = torch.tensor(np.asarray(images), dtype=torch.float32)
        self.labels = [int(label) for label in labels]
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        image = self.images[idx]
        if self.transform:
            image = self.transform(image)
        return image, self.labels[idx]


def split_loaders(dataset, batch_size, val_fraction, seed):
    num_train = len(dataset)
    indices = list(range(num_train))
    split = int(np.floor(val_fraction * num_train))
    np.random.seed(seed)
    np.random.shuffle(indices)
    train_idx, valid_idx = indices[split:], indices[:split]
    train_loader = DataLoader(dataset, batch_size=batch_size, sampler=SubsetRandomSampler(train_idx))
    valid_loader = DataLoader(dataset, batch_size=batch_size, sampler=SubsetRandomSampler(valid_idx))
    return train_loader, valid_loader


class MLP(nn.Module):
    def __init__(self, in_features, hidden, num_classes):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = x.view(x.shape[0], -1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


def train_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    running_loss = 0.0
    seen = 0
    for inputs, labels in loader:
        inputs = inputs.to(device)
        labels = labels.to(device)
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = loss_fn(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item() * inputs.size(0)
        seen += inputs.size(0)
    return running_loss / seen


def evaluate(model, loader, device):
    model.eval()
    correct = 0
    total = 0
    with torch.no_grad():
        for inputs, labels in loader:
            inputs, labels = inputs.to(device), labels.to(device)
            outputs = model(inputs)
            _, predicted = torch.max(outputs, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    return correct / total


def fit(train_set, val_set, device, epochs=EPOCHS, seed=0):
    torch.manual_seed(seed)
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=64)
    n_features = train_set[0][0].numel()
    model = MLP(n_features, 100, NUM_CLASSES).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    model.history = {"train_loss": [], "val_accuracy": []}
    best_acc = 0.0
    best_model_wts = copy.deepcopy(model.state_dict())
    for _epoch in range(epochs):
        train_loss = train_epoch(model, train_loader, criterion, optimizer, device)
        val_acc = evaluate(model, val_loader, device)
        model.history["train_loss"].append(train_loss)
        model.history["val_accuracy"].append(val_acc)
        if val_acc > best_acc:
            best_acc = val_acc
            best_model_wts = copy.deepcopy(model.state_dict())
    model.load_state_dict(best_model_wts)
    return model
