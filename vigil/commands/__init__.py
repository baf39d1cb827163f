"""One module per `vigil` command; imported lazily so `vigil --help` stays fast."""
