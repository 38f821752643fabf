"""The 闵服通 service dictionary (事项): typed records, loaders and lookup by name, alias, synonym and meaning."""

from tools.dictionary.loader import load_bundled, load_guangdong, load_yaml
from tools.dictionary.lookup import Match, ServiceDictionary
from tools.dictionary.models import Material, Place, ServiceMatter

__all__ = [
    "Match",
    "Material",
    "Place",
    "ServiceDictionary",
    "ServiceMatter",
    "load_bundled",
    "load_guangdong",
    "load_yaml",
]
