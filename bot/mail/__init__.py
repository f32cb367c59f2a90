"""Staff mail: composing a ticket's mail, the delivery worker, and a local SMTP sink."""
