"""Prefect flows and deployments (the pipeline issue): thin, they call synthgan's library functions."""
