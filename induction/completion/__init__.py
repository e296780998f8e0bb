"""Completion: the rules that decide status, certificates and their verification."""
