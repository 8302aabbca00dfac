"""Pure incident domain: no Flask, RQ, redis, forge clients or other I/O here."""
