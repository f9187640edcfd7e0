"""The customers' side: the machine channels that bring their reports (hotline work-order system,
IVR, WeChat service account, customer app, AMI head-end), the outage lookup those channels answer
customers with, and what the public may see of outages (never a person's data)."""
