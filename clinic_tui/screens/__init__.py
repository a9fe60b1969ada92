"""One module per screen. Screens are thin: they show data and call the Store for everything else."""
