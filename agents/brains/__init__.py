"""The agents' chat models ("brains"): an OpenAI-compatible language model, and the fallback to the offline brain."""
