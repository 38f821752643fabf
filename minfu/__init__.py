"""minfu (闵服): the kernel — settings, domain types, ports and errors. Imports no other minfu package."""

__version__ = "0.1.0"
