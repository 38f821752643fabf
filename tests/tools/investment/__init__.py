"""Tests for investment promotion (招商) data and site recommendation."""
