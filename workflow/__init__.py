"""Crier's domain: messages, verification, delivery and audit."""
