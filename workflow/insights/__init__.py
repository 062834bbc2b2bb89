"""Audience insight: which accounts reach which communities, and what the public engages with.

``models`` (places, collections, counts, engagement, visits), ``gazetteer``
(each area's places and postcode districts), ``matching`` (a profile location to
a place), ``collection`` (follower counts and local share, resumable within rate
limits), ``engagement`` (each post's figures on a decaying schedule), ``visits``
(website visits per account, without cookies or addresses), ``passes`` (one
collection pass, and when the scheduler runs one), ``reports`` (what the API and
the console read). Follower ids, handles and raw locations are never stored:
only counts per place per collection (docs/insights.md).
"""
