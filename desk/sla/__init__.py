"""SLA policies, business-time clocks, escalation, sentiment and early warning."""
