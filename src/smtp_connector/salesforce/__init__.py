"""Salesforce: connections, the REST client and the polling trigger."""
