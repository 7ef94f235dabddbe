"""The REST API base: authentication, pagination, errors, and the v1 URL map."""
