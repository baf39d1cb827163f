"""Delivery channels (Slack, PagerDuty, SMS, email, webhook, console): arrives with issue 5.

Kept as a package now so the user's layout, the Dockerfile and the
installed distribution already have their final shape.
"""
