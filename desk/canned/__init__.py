"""Canned replies: the library, the composer's picker, rendering and usage."""
