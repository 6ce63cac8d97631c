"""API views: public reads (``public``) and editors' endpoints (``editorial``)."""
