"""How every result is shown: tables, the result protocol, figure style."""
