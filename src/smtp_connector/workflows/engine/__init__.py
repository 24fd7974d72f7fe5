"""The durable machinery: runs, their action records, leases, and the executor."""
