"""A tiny neural-network framework with PyTorch-like names, on deepscope's compute core."""

from .clip import clip_grad_norm, clip_grad_value, grad_norm
from .layers import (
    AvgPool2D,
    BatchNorm1d,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Identity,
    Layer,
    LeakyReLU,
    MaxPool2D,
    ReLU,
    Residual,
    Sigmoid,
    Softmax,
    Tanh,
    WeightNorm,
    activation,
)
from .losses import BCELoss, CrossEntropyLoss, Loss, MSELoss
from .model import Sequential
from .optim import (
    SGD,
    Adagrad,
    Adam,
    ConstantLR,
    ExponentialLR,
    InverseTimeLR,
    Optimizer,
    RMSprop,
    StepLR,
)
from .train import Callback, EarlyStopping, Event, History, Trainer, fit, layer_diagnostics

__all__ = [
    "AvgPool2D", "BatchNorm1d", "Conv2D", "Dense", "Dropout", "Flatten", "Identity", "Layer",
    "LeakyReLU", "MaxPool2D", "ReLU", "Residual", "Sigmoid", "Softmax", "Tanh", "WeightNorm",
    "activation",
    "BCELoss", "CrossEntropyLoss", "Loss", "MSELoss", "Sequential",
    "SGD", "Adagrad", "Adam", "ConstantLR", "ExponentialLR", "InverseTimeLR", "Optimizer",
    "RMSprop", "StepLR", "Callback", "EarlyStopping", "Event", "History", "Trainer", "fit",
    "clip_grad_norm", "clip_grad_value", "grad_norm", "layer_diagnostics",
]  # fmt: skip
