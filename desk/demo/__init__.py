"""Demo data for trying desk out: `flask --app wsgi desk demo` (run by `make run`)."""
