"""The console: server-rendered pages for the people who run the platform (clerks, department
and platform admins, auditors) and the city-brain screen, signed in through the platform's own
OpenID Connect provider. It calls the domains' services, never their repositories."""
