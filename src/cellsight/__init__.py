"""Cellsight: an offline analyst workstation for stalking and harassment investigations."""

__version__ = "0.1.0"
