"""The local cluster: real Redis, the five functions as processes on 127.0.0.1, the bridge, under a supervisor."""
