"""Reports: combine replications into one result, render it as tables, JSON or CSV."""
