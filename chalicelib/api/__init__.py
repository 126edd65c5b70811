"""HTTP translation: requests in, domain calls, responses out. Imports stay
light: AWS libraries load on the first request that needs them."""
