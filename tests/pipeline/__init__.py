"""Tests of creme_lib.pipeline (one module per pipeline topic)."""
