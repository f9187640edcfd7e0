"""Road routing: the road graph built from the imported `roads` layer, crew-to-fault travel times
and routes. The roads themselves are stored by the grid import (dispatch/grid_import.py)."""
