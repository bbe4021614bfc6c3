"""Contacts across channels: one person, several handles; related tickets."""
