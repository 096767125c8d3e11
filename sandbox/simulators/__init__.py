"""HTTP simulators of the channels and suppliers, serving the sandbox world on 127.0.0.1."""
