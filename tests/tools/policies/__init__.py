"""Tests for the policy catalogue and matching."""
