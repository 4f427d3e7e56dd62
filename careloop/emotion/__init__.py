"""Emotion analysis of contact texts: one classify() interface, a lexicon implementation first."""
