"""CareLoop 客户关怀与回访系统."""

__version__ = "0.1.0"
