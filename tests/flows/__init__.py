"""End-to-end flows: webhooks posted through the Flask client, the worker run, forges faked."""
