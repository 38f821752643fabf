"""The offline brain's pure parsing layer: slots from Chinese user text and a deterministic intent guess."""

from agents.offline.intents import INTENTS, Intent, IntentGuess, classify_intent
from agents.offline.slots import Slots, extract_slots, parse_number

__all__ = ["INTENTS", "Intent", "IntentGuess", "Slots", "classify_intent", "extract_slots", "parse_number"]
