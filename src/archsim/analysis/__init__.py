"""Analysis of results: replication statistics and closed-form queueing theory to check against."""
