"""Ratings of closed cases (评价) and reopening on a poor one."""
