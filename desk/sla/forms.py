"""The supervisors' SLA policy form."""
