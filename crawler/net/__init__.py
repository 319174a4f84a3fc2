"""What newsmon may fetch and how it reads what comes back: URLs, address policy, decoding."""
