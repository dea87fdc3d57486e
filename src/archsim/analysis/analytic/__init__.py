"""Analytic estimates behind ``archsim analyze``: traffic equations, stations, labels."""
