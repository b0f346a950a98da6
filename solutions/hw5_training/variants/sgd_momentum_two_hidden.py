"""Correct variant: two hidden layers, SGD with momentum and a step schedule, model.zero_grad(), epoch index kept."""

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, SubsetRandomSampler

NUM_CLASSES = 10
EPOCHS = 30


class DigitsDataset(Dataset):
    def __init__(self, images, labels, transform=None):
        self.images = torch.tensor(images, dtype=torch.float32) if not isinstance(images, torch.Tensor) \
            else images.to(torch.float32)
        self.labels = torch.tensor(labels) if not isinstance(labels, torch.Tensor) else labels
        self.transform = transform

    def __len__(self):
        return self.images.shape[0]

    def __getitem__(self, index):
        image = self.images[index]
        return (self.transform(image) if self.transform else image), int(self.labels[index])


def split_loaders(dataset, batch_size, val_fraction, seed):
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))
    n_val = int(len(dataset) * val_fraction)
    train_sampler = SubsetRandomSampler(order[n_val:])
    val_sampler = SubsetRandomSampler(order[:n_val])
    return (DataLoader(dataset, batch_size=batch_size, sampler=train_sampler),
            DataLoader(dataset, batch_size=batch_size, sampler=val_sampler))


class MLP(nn.Module):
    def __init__(self, in_features, hidden, num_classes):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(in_features, hidden), nn.Linear(hidden, hidden),
                                     nn.Linear(hidden, num_classes)])

    def forward(self, x):
        x = x.reshape(len(x), -1)
        for layer in self.layers[:-1]:
            x = torch.relu(layer(x))
        return self.layers[-1](x)


def train_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    loss_sum, samples = 0.0, 0
    for batch, target in loader:
        batch, target = batch.to(device), target.to(device)
        model.zero_grad()
        out = model(batch)
        loss = loss_fn(out, target)
        loss.backward()
        optimizer.step()
        loss_sum += float(loss) * target.shape[0]
        samples += target.shape[0]
    return loss_sum / samples


def evaluate(model, loader, device):
    model.eval()
    right, seen = 0, 0
    with torch.no_grad():
        for batch, target in loader:
            right += int((model(batch.to(device)).argmax(dim=1) == target.to(device)).sum())
            seen += int(target.numel())
    return right / seen


def fit(train_set, val_set, device, epochs=EPOCHS, seed=0):
    torch.manual_seed(seed)
    model = MLP(train_set[0][0].numel(), 96, NUM_CLASSES).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.3)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(train_set, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(seed))
    val_loader = DataLoader(val_set, batch_size=100)
    model.history = {"train_loss": [], "val_accuracy": []}
    _best_epoch, best_accuracy, best_weights = -1, float("-inf"), None
    for epoch in range(epochs):
        model.history["train_loss"].append(train_epoch(model, loader, loss_fn, optimizer, device))
        accuracy = evaluate(model, val_loader, device)
        model.history["val_accuracy"].append(accuracy)
        scheduler.step()
        if accuracy > best_accuracy:
            _best_epoch, best_accuracy = epoch, accuracy
            best_weights = {name: p.clone() for name, p in model.state_dict().items()}
    model.load_state_dict(best_weights)
    return model
