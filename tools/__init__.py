"""Tools the agents act with: the service dictionary, policy matching and the relational store."""
