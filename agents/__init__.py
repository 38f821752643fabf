"""Agents: the composition root, chat-model factory, policy and investment agents, router, conversation state."""
