"""The trust boundary's primitives: key strength, signed hops between functions, run tokens from the clock.

Every key alphamoe holds (approval secret, event key, gateway token) passes `require_key`; every HTTP hop
carries `hops.SIGNATURE_HEADER`; every run's root `market.open` carries a `runs.RunToken` that its derived
events keep, so risk can tell a run the clock (or an in-process run) issued from one somebody made up.
"""
