"""UK GDPR rights and an honest record: subject access, erasure, retention and the audit log."""
