"""The one road every request takes, under every generated ``ApiClient``: the policy
(timeouts, deadline, retries, rate limit, error mapping, secrets kept out of every text) and the
two engines it runs on, urllib3 (``sync_rest``) and aiohttp (``aio_rest``). Nothing here knows a
client or an API; the generated ``rest`` modules hand every request to it.
"""

__all__: list[str] = []
