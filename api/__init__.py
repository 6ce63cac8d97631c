"""The machines\x27 side: the REST API (Django REST framework)."""
