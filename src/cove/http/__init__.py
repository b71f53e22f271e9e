"""HTTP: one session with retries, auth, proxies and TLS, plus a small revalidating page cache."""
