"""Tests of the service dictionary."""
