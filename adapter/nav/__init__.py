"""The NAV client, its Maskinporten tokens and its errors."""
