"""Pre-publication checks: the legal and privacy check engine, and what each
channel has to say about a version's text."""
from workflow.messages.checks.engine import CODES, RULES, codes_in, run
from workflow.messages.checks.findings import CONTEXT_FIELDS, SERIOUS, WARNING, Contacts, Context, Finding
from workflow.messages.checks.service import checks_for, contacts_of, context_of, has_errors, text_findings

__all__ = ["CODES", "CONTEXT_FIELDS", "RULES", "SERIOUS", "WARNING", "Contacts", "Context", "Finding",
           "checks_for", "codes_in", "contacts_of", "context_of", "has_errors", "run", "text_findings"]
