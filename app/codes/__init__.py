"""One code for the city (一码通城): a person's short-lived signed code, and its verification."""
