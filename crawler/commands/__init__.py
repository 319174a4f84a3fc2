"""newsmon sub-commands, one module per command (or small family); cli.py registers them."""
